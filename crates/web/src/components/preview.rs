//! "What will be stored": per measurement, the Arrow columns and first rows the server's buffer
//! would hold, built by the core's `arrow` feature (`ColumnsBuilder`, the code the server's buffer
//! runs) after the check pipeline the server runs (the same validation, and the same time for lines
//! without a timestamp).
use std::collections::HashMap;

use arrow::array::{Array, AsArray, TimestampNanosecondArray};
use arrow::datatypes::{DataType, TimeUnit, TimestampNanosecondType};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use leptos::prelude::*;
use linewise_core::columns::ColumnsBuilder;
use linewise_core::{parse_lines, Checker, ColumnKind, KnownSchema, Line, Precision};

use crate::check::timefmt::iso;
use crate::html::group;
use crate::state::AppState;

/// Rows shown per measurement (only these are turned into columns).
const MAX_ROWS: usize = 20;

/// One measurement's table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    pub name: String,
    /// Column name and its type as stored.
    pub columns: Vec<(String, String)>,
    pub rows: Vec<Vec<String>>,
    /// Valid lines of this measurement in the whole document.
    pub total: usize,
}

/// How one column's values become text.
enum Cell<'a> {
    Time(&'a TimestampNanosecondArray),
    Other(ArrayFormatter<'a>),
}

impl Cell<'_> {
    fn text(&self, row: usize) -> String {
        match self {
            Cell::Time(a) if a.is_null(row) => "—".into(),
            Cell::Time(a) => iso(a.value(row)),
            Cell::Other(f) => f.value(row).to_string(),
        }
    }
}

/// The type as a person reads it: the column's kind (tags are dictionary-encoded strings).
fn type_label(t: &DataType) -> String {
    match ColumnKind::of_data_type(t) {
        Some(ColumnKind::Time) => "time (ns, UTC)".into(),
        Some(kind) => kind.to_string(),
        None => t.to_string(),
    }
}

/// Builds the preview tables of `text`; invalid lines are left out, as the server leaves them out.
/// `now_ns` is the current time, which lines without a timestamp get truncated to `precision`.
pub fn build(
    text: &str,
    precision: Precision,
    schema: Option<&dyn KnownSchema>,
    now_ns: i64,
) -> Result<Vec<Table>, String> {
    let mut checker = Checker::new(precision, now_ns, schema);
    let mut records = checker.check(parse_lines(text.as_bytes()));
    let mut line = Line::new();
    let mut builder = ColumnsBuilder::new();
    let mut totals: HashMap<String, usize> = HashMap::new();
    while let Some(verdict) = records.next(&mut line) {
        let Ok(ok) = verdict else {
            continue;
        };
        let ns = ok.time_ns;
        let total = totals
            .entry(line.measurement.unescaped().into_owned())
            .or_default();
        *total += 1;
        if *total <= MAX_ROWS {
            builder.push(&line, ns).map_err(|e| e.to_string())?;
        }
    }
    let options = FormatOptions::default().with_null("—");
    let mut out = Vec::new();
    for (name, batch) in builder.finish().map_err(|e| e.to_string())? {
        let schema = batch.schema();
        let columns = schema
            .fields()
            .iter()
            .map(|f| (f.name().clone(), type_label(f.data_type())))
            .collect();
        // Arrow's own formatter needs chrono-tz for a named zone; times are shown as RFC 3339 UTC here.
        let cells: Vec<Cell<'_>> = batch
            .columns()
            .iter()
            .map(|c| match c.data_type() {
                DataType::Timestamp(TimeUnit::Nanosecond, _) => {
                    Ok(Cell::Time(c.as_primitive::<TimestampNanosecondType>()))
                }
                _ => ArrayFormatter::try_new(c.as_ref(), &options).map(Cell::Other),
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())?;
        let rows = (0..batch.num_rows())
            .map(|r| cells.iter().map(|c| c.text(r)).collect())
            .collect();
        let total = totals.get(&name).copied().unwrap_or(0);
        out.push(Table {
            name,
            columns,
            rows,
            total,
        });
    }
    Ok(out)
}

/// The preview panel; built on request (a large document takes a moment).
#[component]
pub fn Preview() -> impl IntoView {
    let state = expect_context::<AppState>();
    let tables = RwSignal::new(None::<Result<Vec<Table>, String>>);
    let build_now = move |_| {
        let precision = state.precision.get_untracked();
        let schema = state.schema.get_value();
        let now_ns = (js_sys::Date::now() * 1e6) as i64;
        let schema_ref: Option<&dyn KnownSchema> = if schema.is_empty() {
            None
        } else {
            Some(&*schema)
        };
        let built = state
            .doc
            .with_value(|d| build(&d.to_text(), precision, schema_ref, now_ns));
        tables.set(Some(built));
    };
    view! {
        <section class="panel preview" aria-labelledby="preview-title">
            <header class="panel-head">
                <h2 id="preview-title">"Preview"</h2>
                <button type="button" class="secondary" data-testid="preview-build" on:click=build_now>"Show what will be stored"</button>
            </header>
            <p class="note">"Tables as the server will store them: tags, typed fields and time (UTC), built in the page by the core's Arrow conversion, the same code as the server's buffer. Invalid lines are left out."</p>
            {move || tables.get().map(|built| match built {
                Err(e) => view! { <p class="note">{format!("No preview: {e}")}</p> }.into_any(),
                Ok(ts) if ts.is_empty() => view! { <p class="note">"No valid lines."</p> }.into_any(),
                Ok(ts) => ts.into_iter().map(|t| {
                    let shown = if t.total > MAX_ROWS { format!(", first {MAX_ROWS} shown") } else { String::new() };
                    view! {
                        <div class="table-wrap" data-testid="preview-table" data-measurement=t.name.clone()>
                            <h3>{t.name.clone()} <span class="note">{format!(" {} rows{shown}", group(t.total))}</span></h3>
                            <table>
                                <thead><tr>{t.columns.into_iter().map(|(c, k)| view! { <th scope="col">{c}<span class="type">{k}</span></th> }).collect_view()}</tr></thead>
                                <tbody>{t.rows.into_iter().map(|row| view! {
                                    <tr>{row.into_iter().map(|cell| view! { <td>{cell}</td> }).collect_view()}</tr>
                                }).collect_view()}</tbody>
                            </table>
                        </div>
                    }
                }).collect_view().into_any(),
            })}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_typed_tables_without_invalid_lines() {
        let text = "home,room=Kitchen temp=21.5,co=1i 1641024000\nhome temp=bad\nwx wind=3u,ok=true 1641024000\n";
        let tables = build(text, Precision::Second, None, 0).unwrap();
        assert_eq!(tables.len(), 2);
        let home = &tables[0];
        assert_eq!(home.total, 1);
        let cols: Vec<(&str, &str)> = home
            .columns
            .iter()
            .map(|(c, k)| (c.as_str(), k.as_str()))
            .collect();
        assert_eq!(
            cols,
            [
                ("room", "tag"),
                ("temp", "float"),
                ("co", "integer"),
                ("time", "time (ns, UTC)")
            ]
        );
        assert_eq!(home.rows[0][..3], ["Kitchen", "21.5", "1"]);
        assert_eq!(home.rows[0][3], "2022-01-01T08:00:00Z");
        assert_eq!(tables[1].columns[0].1, "uinteger");
    }

    #[test]
    fn lines_without_a_timestamp_get_the_servers_time() {
        let now = 1_641_024_000_987_654_321;
        for (precision, shown) in [
            (Precision::Second, "2022-01-01T08:00:00Z"),
            (Precision::Millisecond, "2022-01-01T08:00:00.987Z"),
        ] {
            let tables = build("m f=1\n", precision, None, now).unwrap();
            // The server gives such a line the request's "now" truncated to its precision.
            assert_eq!(tables[0].rows[0][1], iso(precision.default_time(now)));
            assert_eq!(tables[0].rows[0][1], shown);
        }
    }
}
