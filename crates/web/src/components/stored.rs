//! "Written data": after a write, the newest rows of the measurements just written, read back from
//! the server with SQL, and a SQL box for any other query. What the page shows here is what the
//! server stored, not what the page expected it to store (that is the Preview's job).
use std::collections::HashSet;

use leptos::prelude::*;
use leptos::task::spawn_local;
use linewise_core::parse_lines;

use crate::api::{self, QueryRows};
use crate::components::settings::Settings;
use crate::html::group;

/// Rows drawn at most; the status line says how many the answer held.
const MAX_SHOWN: usize = 500;

/// The measurements of `bodies`' valid lines, each once, in the order they first appear.
pub fn measurements_in<'a>(bodies: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for body in bodies {
        for line in parse_lines(body.as_bytes()).flatten() {
            let name = line.measurement.unescaped();
            if !seen.contains(name.as_ref()) {
                seen.insert(name.clone().into_owned());
                out.push(name.into_owned());
            }
        }
    }
    out
}

/// The query the panel starts with for `table`: its newest rows, which hold the ones just written.
pub fn newest_rows_sql(table: &str) -> String {
    format!(
        "SELECT * FROM \"{}\" ORDER BY time DESC LIMIT 100",
        table.replace('"', "\"\"")
    )
}

/// What the last query gave.
#[derive(Debug, Clone, PartialEq)]
enum Answer {
    Rows { rows: QueryRows, ms: f64 },
    Failed(String),
}

/// The result table (at most `MAX_SHOWN` rows) with its status line.
fn answer_view(answer: Answer) -> AnyView {
    match answer {
        Answer::Failed(e) => view! {
            <p class="query-error" role="alert" data-testid="sql-error">{format!("Query failed: {e}")}</p>
        }
        .into_any(),
        Answer::Rows { rows, ms } => {
            let total = rows.rows.len();
            let shown = if total > MAX_SHOWN {
                format!(", first {} shown", group(MAX_SHOWN))
            } else {
                String::new()
            };
            let QueryRows { columns, rows } = rows;
            view! {
                <p class="note" data-testid="sql-status">
                    {format!("{} row{} in {ms:.0} ms{shown}", group(total), if total == 1 { "" } else { "s" })}
                </p>
                <div class="table-wrap">
                    <table data-testid="sql-result">
                        <thead><tr>{columns.into_iter().map(|c| view! { <th scope="col">{c}</th> }).collect_view()}</tr></thead>
                        <tbody>{rows.into_iter().take(MAX_SHOWN).map(|row| view! {
                            <tr>{row.into_iter().map(|cell| view! { <td>{cell}</td> }).collect_view()}</tr>
                        }).collect_view()}</tbody>
                    </table>
                </div>
            }
            .into_any()
        }
    }
}

/// The panel.
#[component]
pub fn Stored() -> impl IntoView {
    let s = expect_context::<Settings>();
    let sql = RwSignal::new(String::new());
    let answer = RwSignal::new(None::<Answer>);
    let running = RwSignal::new(false);

    let run = move || {
        let q = sql.get_untracked();
        let db = s.db.get_untracked().trim().to_owned();
        if q.trim().is_empty() || db.is_empty() {
            answer.set(Some(Answer::Failed(
                "enter a database above and a query here".into(),
            )));
            return;
        }
        let token = s.token.get_untracked();
        running.set(true);
        spawn_local(async move {
            let started = js_sys::Date::now();
            let result = api::query(&token, &db, &q).await;
            let ms = js_sys::Date::now() - started;
            answer.set(Some(match result {
                Ok(rows) => Answer::Rows { rows, ms },
                Err(e) => Answer::Failed(e.to_string()),
            }));
            running.set(false);
        });
    };
    let show_table = move |table: &str| {
        sql.set(newest_rows_sql(table));
        run();
    };
    // After each write, read back the first measurement it wrote.
    Effect::new(move |_| {
        s.written.track();
        if let Some(first) = s.written_tables.get_untracked().first() {
            show_table(first);
        }
    });
    let on_keydown = move |ev: web_sys::KeyboardEvent| {
        if ev.key() == "Enter" && (ev.ctrl_key() || ev.meta_key()) {
            ev.prevent_default();
            run();
        }
    };

    view! {
        <section class="panel stored" aria-labelledby="stored-title" data-testid="stored">
            <header class="panel-head">
                <h2 id="stored-title">"Written data"</h2>
                {move || s.written_tables.get().into_iter().map(|t| {
                    let name = t.clone();
                    view! {
                        <button type="button" class="secondary chip" data-testid="stored-table"
                            on:click=move |_| show_table(&name)>{t}</button>
                    }
                }).collect_view()}
            </header>
            <p class="note">
                {move || if s.written_tables.get().is_empty() {
                    "After a write, the newest rows of each measurement written are read back here. Any SQL query works too (Ctrl+Enter runs it)."
                } else {
                    "Read back from the server: the newest rows of a measurement just written (pick another above), or any SQL query (Ctrl+Enter runs it)."
                }}
            </p>
            <form class="sql" on:submit=move |ev| { ev.prevent_default(); run(); }>
                <label for="sql">"SQL"</label>
                <textarea id="sql" data-testid="sql" rows="2" spellcheck="false"
                    placeholder="SELECT * FROM home ORDER BY time DESC LIMIT 100"
                    prop:value=move || sql.get()
                    on:input=move |ev| sql.set(event_target_value(&ev))
                    on:keydown=on_keydown></textarea>
                <button type="submit" class="primary" data-testid="run-sql" disabled=move || running.get()>
                    {move || if running.get() { "Running…" } else { "Run" }}
                </button>
            </form>
            {move || answer.get().map(answer_view)}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_each_measurement_once_in_order() {
        let a = "home,room=K temp=1 1\n# note\nwx\\ 2,a=b v=1\nbad line\n";
        let b = "home temp=2 2\ncpu usage=3 3\n";
        assert_eq!(measurements_in([a, b]), ["home", "wx 2", "cpu"]);
    }

    #[test]
    fn quotes_the_table_name() {
        assert_eq!(
            newest_rows_sql("my \"t\""),
            "SELECT * FROM \"my \"\"t\"\"\" ORDER BY time DESC LIMIT 100"
        );
    }
}
