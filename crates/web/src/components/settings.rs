//! Where the data goes and how it is read: database, token, precision, write options, and the
//! server's stored schema for the chosen database.
use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use linewise_core::{KnownColumns, Precision};

use crate::api;
use crate::state::AppState;
use crate::storage;

/// Write settings shared with the write panel.
#[derive(Clone, Copy)]
pub struct Settings {
    pub db: RwSignal<String>,
    pub token: RwSignal<String>,
    pub remember: RwSignal<bool>,
    pub accept_partial: RwSignal<bool>,
    pub no_sync: RwSignal<bool>,
    /// Largest request body, in KiB.
    pub batch_kib: RwSignal<u32>,
    /// Bumped after a write: the server may hold a new database and new columns.
    pub written: RwSignal<u64>,
    /// The measurements the last write sent, in the order they first appear.
    pub written_tables: RwSignal<Vec<String>>,
}

impl Settings {
    pub fn load() -> Self {
        let token = storage::get(storage::TOKEN);
        Settings {
            db: RwSignal::new(storage::get(storage::DATABASE).unwrap_or_else(|| "home".into())),
            remember: RwSignal::new(token.is_some()),
            token: RwSignal::new(token.unwrap_or_default()),
            accept_partial: RwSignal::new(true),
            no_sync: RwSignal::new(false),
            batch_kib: RwSignal::new(1024),
            written: RwSignal::new(0),
            written_tables: RwSignal::new(Vec::new()),
        }
    }
}

/// How a precision reads in the menu: `auto (by magnitude)`, `nanoseconds (ns)`, ….
fn menu_label(p: Precision) -> String {
    match p {
        Precision::Auto => String::from("auto (by magnitude)"),
        p => format!("{} ({p})", p.in_words()),
    }
}

/// The settings panel.
#[component]
pub fn SettingsPanel() -> impl IntoView {
    let state = expect_context::<AppState>();
    let s = expect_context::<Settings>();
    let databases = RwSignal::new(Vec::<String>::new());
    let db_note = RwSignal::new(String::new());
    let schema_note = RwSignal::new(String::from("Choose a database to see its stored schema."));
    let schema_view = RwSignal::new(Vec::<(String, String)>::new());

    // Lists the databases, then reads the chosen one's stored schema if it exists: asking for
    // the schema of a database not created yet answers 404, which the browser logs as an error,
    // and a call without a token on a server that needs one answers 401 the same way.
    let refresh = move || {
        let token = s.token.get_untracked();
        let db = s.db.get_untracked();
        spawn_local(async move {
            if token.is_empty() && api::token_required().await.unwrap_or(false) {
                db_note.set(String::from(
                    "This server needs a token: enter it to list its databases.",
                ));
                schema_note.set(String::from("Enter the token to see the stored schema."));
                return;
            }
            let list = match api::list_databases(&token).await {
                Ok(list) => list,
                Err(e) => {
                    db_note.set(format!("Could not list databases: {e}"));
                    return;
                }
            };
            db_note.set(format!("{} database(s) on the server.", list.len()));
            let exists = list.contains(&db);
            databases.set(list);
            if db.is_empty() {
                return;
            }
            let (schema, note, rows) = if !exists {
                (
                    KnownColumns::default(),
                    format!("“{db}” does not exist yet: the first write creates it."),
                    Vec::new(),
                )
            } else {
                match api::fetch_schema(&token, &db).await {
                    Ok(schema) if schema.is_empty() => {
                        (KnownColumns::default(), format!("Nothing stored in “{db}” yet."), Vec::new())
                    }
                    Ok(schema) => {
                        let rows = schema
                            .tables()
                            .map(|(t, cols)| {
                                let cols: Vec<String> = cols.map(|(c, k)| format!("{c}: {k}")).collect();
                                (t.to_owned(), cols.join(", "))
                            })
                            .collect();
                        let note = format!(
                            "Stored schema of “{db}”; lines that conflict with it are marked before writing."
                        );
                        (schema, note, rows)
                    }
                    Err(e) => (
                        KnownColumns::default(),
                        format!(
                            "The server did not give the stored schema ({e}). Conflicts with stored column \
                             types are found only when writing."
                        ),
                        Vec::new(),
                    ),
                }
            };
            schema_view.set(rows);
            schema_note.set(note);
            state.schema.set_value(Rc::new(schema));
            state.recheck_batch();
        });
    };
    let create = move |_| {
        let token = s.token.get_untracked();
        let db = s.db.get_untracked();
        spawn_local(async move {
            match api::create_database(&token, &db).await {
                Ok(()) => {
                    db_note.set(format!("Database “{db}” is ready."));
                    refresh();
                }
                Err(e) => db_note.set(format!("Could not create “{db}”: {e}")),
            }
        });
    };

    Effect::new(move |_| {
        let (token, remember) = (s.token.get(), s.remember.get());
        if remember {
            storage::set(storage::TOKEN, &token);
        } else {
            storage::remove(storage::TOKEN);
        }
    });
    Effect::new(move |_| storage::set(storage::DATABASE, &s.db.get()));
    // Runs once at start, then after every write.
    Effect::new(move |_| {
        s.written.track();
        refresh();
    });

    view! {
        <section class="panel settings" aria-label="Destination and options">
            <div class="field">
                <label for="database">"Database"</label>
                <div class="row">
                    <input
                        id="database"
                        data-testid="database"
                        list="database-list"
                        autocomplete="off"
                        prop:value=move || s.db.get()
                        on:input:target=move |ev| s.db.set(ev.target().value())
                        on:change=move |_| refresh()
                    />
                    <datalist id="database-list">
                        <For each=move || databases.get() key=|d| d.clone() let:name>
                            <option value=name.clone()></option>
                        </For>
                    </datalist>
                    <button type="button" class="secondary" on:click=create>"Create"</button>
                    <button type="button" class="secondary" on:click=move |_| refresh()>"Refresh"</button>
                </div>
                <p class="note" data-testid="database-note" aria-live="polite">{move || db_note.get()}</p>
            </div>
            <div class="field">
                <label for="token">"Token"</label>
                <input
                    id="token"
                    data-testid="token"
                    type="password"
                    autocomplete="off"
                    placeholder="not needed without auth"
                    prop:value=move || s.token.get()
                    on:input:target=move |ev| s.token.set(ev.target().value())
                    on:change=move |_| refresh()
                />
                <label class="check">
                    <input type="checkbox" prop:checked=move || s.remember.get()
                        on:change:target=move |ev| s.remember.set(ev.target().checked()) />
                    "Remember on this device"
                </label>
            </div>
            <div class="field">
                <label for="precision">"Precision"</label>
                <select
                    id="precision"
                    data-testid="precision"
                    on:change:target=move |ev| {
                        state.precision.set(ev.target().value().parse().unwrap_or_default());
                        state.recheck_batch();
                    }
                >
                    {Precision::CHOICES.into_iter().map(|p| {
                        view! { <option value=p.as_str() prop:selected=move || state.precision.get() == p>{menu_label(p)}</option> }
                    }).collect_view()}
                </select>
            </div>
            <fieldset class="field options">
                <legend>"Write options"</legend>
                <label class="check">
                    <input type="checkbox" id="accept-partial" prop:checked=move || s.accept_partial.get()
                        on:change:target=move |ev| s.accept_partial.set(ev.target().checked()) />
                    "Accept partial (store the valid lines)"
                </label>
                <label class="check">
                    <input type="checkbox" id="no-sync" prop:checked=move || s.no_sync.get()
                        on:change:target=move |ev| s.no_sync.set(ev.target().checked()) />
                    "No sync (answer before the WAL is on disk)"
                </label>
                <label class="inline" for="batch-size">"Batch size (KiB)"</label>
                <input id="batch-size" type="number" min="1" max="65536"
                    prop:value=move || s.batch_kib.get().to_string()
                    on:change:target=move |ev| {
                        if let Ok(v) = ev.target().value().parse::<u32>() { s.batch_kib.set(v.clamp(1, 65_536)) }
                    } />
            </fieldset>
            <details class="schema">
                <summary>"Stored schema"</summary>
                <p class="note" data-testid="schema-note">{move || schema_note.get()}</p>
                <dl>
                    <For each=move || schema_view.get() key=|(t, c)| format!("{t}{c}") let:row>
                        <dt>{row.0.clone()}</dt>
                        <dd>{row.1.clone()}</dd>
                    </For>
                </dl>
            </details>
        </section>
    }
}
