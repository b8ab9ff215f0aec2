//! "What will be stored": per measurement, the columns with their types and the first rows, built
//! from the core's parsed lines with the same validator the server runs.
use std::collections::BTreeMap;

use leptos::prelude::*;
use linewise_core::{parse_lines, BatchValidator, FieldValue, KnownSchema};

use crate::check::timefmt::iso;
use crate::html::group;
use crate::state::AppState;

/// Rows shown per measurement.
const MAX_ROWS: usize = 20;

/// One measurement's table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    pub name: String,
    /// Column name and type, tags first then fields then `time`, in first-seen order.
    pub columns: Vec<(String, &'static str)>,
    pub rows: Vec<BTreeMap<String, String>>,
    pub total: usize,
}

fn value_text(v: &FieldValue<'_>) -> (&'static str, String) {
    match v {
        FieldValue::Float(f) => ("float", f.to_string()),
        FieldValue::Integer(i) => ("integer", i.to_string()),
        FieldValue::UInteger(u) => ("uinteger", u.to_string()),
        FieldValue::String(s) => ("string", s.unescaped().into_owned()),
        FieldValue::Boolean(b) => ("boolean", b.to_string()),
    }
}

/// Builds the preview tables of `text`; invalid lines are left out, as the server leaves them out.
pub fn build(text: &str, precision: linewise_core::Precision, schema: Option<&dyn KnownSchema>, now_ns: i64) -> Vec<Table> {
    let mut validator = BatchValidator::new(precision, schema);
    let mut tables: BTreeMap<String, Table> = BTreeMap::new();
    for line in parse_lines(text.as_bytes()).flatten() {
        let Ok(ns) = validator.check(&line, now_ns) else { continue };
        let name = line.measurement.unescaped().into_owned();
        let table = tables.entry(name.clone()).or_insert_with(|| Table { name, ..Table::default() });
        table.total += 1;
        let add_col = |table: &mut Table, col: &str, kind: &'static str| {
            if !table.columns.iter().any(|(c, _)| c == col) {
                table.columns.push((col.to_owned(), kind));
            }
        };
        for (k, _) in &line.tags {
            add_col(table, &k.unescaped(), "tag");
        }
        for (k, v) in &line.fields {
            add_col(table, &k.unescaped(), value_text(v).0);
        }
        if table.rows.len() < MAX_ROWS {
            let mut row = BTreeMap::new();
            for (k, v) in &line.tags {
                row.insert(k.unescaped().into_owned(), v.unescaped().into_owned());
            }
            for (k, v) in &line.fields {
                row.insert(k.unescaped().into_owned(), value_text(v).1);
            }
            row.insert("time".into(), iso(ns));
            table.rows.push(row);
        }
    }
    let mut out: Vec<Table> = tables.into_values().collect();
    for t in &mut out {
        t.columns.sort_by_key(|(_, k)| *k != "tag");
        t.columns.push(("time".into(), "time"));
    }
    out
}

/// The preview panel; built on request (a large document takes a moment).
#[component]
pub fn Preview() -> impl IntoView {
    let state = expect_context::<AppState>();
    let tables = RwSignal::new(None::<Vec<Table>>);
    let build_now = move |_| {
        let precision = state.precision.get_untracked();
        let schema = state.schema.get_value();
        let now_ns = (js_sys::Date::now() * 1e6) as i64;
        let schema_ref: Option<&dyn KnownSchema> = if schema.is_empty() { None } else { Some(&*schema) };
        let built = state.doc.with_value(|d| build(d.text(), precision, schema_ref, now_ns));
        tables.set(Some(built));
    };
    view! {
        <section class="panel preview" aria-labelledby="preview-title">
            <header class="panel-head">
                <h2 id="preview-title">"Preview"</h2>
                <button type="button" class="secondary" data-testid="preview-build" on:click=build_now>"Show what will be stored"</button>
            </header>
            <p class="note">"Tables as the server will store them: tags, typed fields and time (UTC). Built in the page from the core's parsed lines; invalid lines are left out."</p>
            {move || tables.get().map(|ts| if ts.is_empty() {
                view! { <p class="note">"No valid lines."</p> }.into_any()
            } else {
                ts.into_iter().map(|t| {
                    let head = t.columns.clone();
                    let cols = t.columns.clone();
                    view! {
                        <div class="table-wrap" data-testid="preview-table" data-measurement=t.name.clone()>
                            <h3>{t.name.clone()} <span class="note">{format!(" {} rows{}", group(t.total), if t.total > MAX_ROWS { format!(", first {MAX_ROWS} shown") } else { String::new() })}</span></h3>
                            <table>
                                <thead><tr>{head.into_iter().map(|(c, k)| view! { <th scope="col">{c}<span class="type">{k}</span></th> }).collect_view()}</tr></thead>
                                <tbody>{t.rows.into_iter().map(|row| {
                                    let cells = cols.iter().map(|(c, _)| view! { <td>{row.get(c).cloned().unwrap_or_default()}</td> }).collect_view();
                                    view! { <tr>{cells}</tr> }
                                }).collect_view()}</tbody>
                            </table>
                        </div>
                    }
                }).collect_view().into_any()
            })}
        </section>
    }
}
