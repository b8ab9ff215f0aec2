//! The CSV mapping panel. A CSV file (uploaded, dropped, or the editor's text) is shown as one row
//! per column with its role, first guessed by the core's `csv::guess`; the first converted lines
//! and the rows that do not fit follow every change. Convert runs the core's `Converter` over the
//! whole file in slices, so a 64 MB file converts with a progress bar while the page stays
//! responsive, and puts the line protocol into the editor with the mapping's precision: checking,
//! the preview and Write then apply to it as to any text. The command line that converts the same
//! file the same way is shown, so what works in the page works in a script.
use std::sync::Arc;

use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;
use leptos::task::spawn_local;
use linewise_core::csv::{
    guess, shell_word, ColumnMap, ConvertError, Converter, Mapping, Role, TimeFormat,
};
use linewise_core::Precision;
use wasm_bindgen_futures::JsFuture;

use crate::html::{bytes, group};
use crate::state::{now_ms, AppState};

/// Bytes of the file the preview converts on every change: enough for its lines and the errors of
/// the first rows, little enough to stay instant.
const PREVIEW_BYTES: usize = 64 * 1024;
/// Converted lines the preview shows.
const PREVIEW_LINES: usize = 10;
/// Row errors the preview lists.
const PREVIEW_ERRORS: usize = 10;
/// Sample values shown per column.
const SAMPLES: usize = 3;
/// Row errors a whole conversion lists; the rest are only counted.
const MAX_ERRORS: usize = 100;
/// Bytes given to the converter per push; pushes repeat until the slice's time is used.
const CHUNK: usize = 64 * 1024;
/// Longest stretch of converting before the page gets the main thread back (a frame is 16 ms).
const SLICE_MS: f64 = 12.0;
/// Bytes of a file's start that content sniffing reads.
const SNIFF_BYTES: usize = 64 * 1024;

/// The role menu, in groups (`None`: options outside any group). Each value is a
/// [`Role::spelling`], the word `--column NAME=ROLE` takes.
type MenuGroup = (
    Option<&'static str>,
    &'static [(&'static str, &'static str)],
);
const ROLE_MENU: [MenuGroup; 4] = [
    (None, &[("measurement", "measurement"), ("tag", "tag")]),
    (
        Some("field"),
        &[
            ("float", "float"),
            ("integer", "integer"),
            ("uinteger", "unsigned integer"),
            ("string", "string"),
            ("boolean", "boolean"),
        ],
    ),
    (
        Some("time"),
        &[
            ("time:rfc3339", "RFC 3339 date"),
            ("time:auto", "date, or epoch by magnitude"),
            ("time:epoch", "epoch, unit by magnitude"),
            ("time:ns", "epoch nanoseconds"),
            ("time:us", "epoch microseconds"),
            ("time:ms", "epoch milliseconds"),
            ("time:s", "epoch seconds"),
        ],
    ),
    (None, &[("ignore", "ignore")]),
];
/// The delimiters offered: the three `guess` recognises, and `|`.
const DELIMITERS: [(u8, &str); 4] = [
    (b',', ", comma"),
    (b';', "; semicolon"),
    (b'\t', "tab"),
    (b'|', "| pipe"),
];

/// A CSV text to map: the file's name (`None`: the editor's text) and its bytes.
#[derive(Debug)]
pub struct Source {
    name: Option<String>,
    data: Vec<u8>,
}

/// Opens the panel; shared by the upload and the "Convert from CSV" button.
#[derive(Debug, Clone, Copy)]
pub struct CsvImport {
    source: RwSignal<Option<Arc<Source>>>,
}

impl CsvImport {
    pub fn new() -> Self {
        CsvImport {
            source: RwSignal::new(None),
        }
    }

    /// Shows the panel for `data`, named `name` (`None`: the editor's text).
    pub fn open(self, name: Option<String>, data: Vec<u8>) {
        self.source.set(Some(Arc::new(Source { name, data })));
    }
}

impl Default for CsvImport {
    fn default() -> Self {
        Self::new()
    }
}

/// Whether a file is CSV rather than line protocol: by its name (`.csv`, `.tsv`), else by its first
/// two lines: a header without `=` (every line-protocol point has one) that `,`, `;` or a tab cuts
/// into as many cells as the next line.
pub fn is_csv(name: &str, data: &[u8]) -> bool {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".csv") || lower.ends_with(".tsv") {
        return true;
    }
    let mut lines = data[..data.len().min(SNIFF_BYTES)]
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| !l.is_empty());
    let (Some(header), Some(row)) = (lines.next(), lines.next()) else {
        return false;
    };
    if header.starts_with(b"#") || header.contains(&b'=') {
        return false;
    }
    let cells = |line: &[u8], d: u8| line.iter().filter(|&&b| b == d).count() + 1;
    [b',', b';', b'\t']
        .into_iter()
        .any(|d| cells(header, d) >= 2 && cells(header, d) == cells(row, d))
}

/// One CSV column in the table: its header and a few values. The roles are a signal of their own,
/// beside the columns, so a new guess replaces both at once.
#[derive(Debug, Clone, PartialEq)]
struct Column {
    name: String,
    samples: Vec<String>,
}

/// The first [`SAMPLES`] values of each of `width` columns.
fn samples(data: &[u8], delimiter: u8, width: usize) -> Vec<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(&data[..data.len().min(PREVIEW_BYTES)]);
    let mut columns = vec![Vec::new(); width];
    for record in reader.records().take(SAMPLES).flatten() {
        for (column, value) in columns.iter_mut().zip(record.iter()) {
            column.push(value.to_owned());
        }
    }
    columns
}

/// The unit timestamps are written in at first: an epoch column's own unit, so the line protocol
/// keeps the file's numbers; nanoseconds for dates, which lose nothing in them.
fn first_precision(mapping: &Mapping) -> Precision {
    mapping
        .columns
        .iter()
        .find_map(|c| match c.role {
            Role::Time(TimeFormat::Epoch(p)) if p != Precision::Auto => Some(p),
            _ => None,
        })
        .unwrap_or(Precision::Nanosecond)
}

/// The measurement of a file without a measurement column: its name without the extension, as
/// `linewise convert` takes it (`csv` for text that has no file name, as for standard input).
fn default_measurement(name: Option<&str>) -> String {
    name.map(|n| n.rsplit_once('.').map_or(n, |(stem, _)| stem))
        .filter(|stem| !stem.is_empty())
        .unwrap_or("csv")
        .to_owned()
}

/// What the first [`PREVIEW_BYTES`] of the file convert to.
#[derive(Debug, Clone, Default, PartialEq)]
struct Preview {
    lines: String,
    errors: Vec<ConvertError>,
    /// An error that stops the conversion (a mapping with two time columns).
    stop: Option<ConvertError>,
    /// The whole file was converted (it is smaller than the preview's share).
    whole: bool,
}

fn preview(data: &[u8], mapping: Mapping) -> Preview {
    let stopped = |e| Preview {
        stop: Some(e),
        ..Preview::default()
    };
    let mut converter = match Converter::new(mapping) {
        Ok(c) => c,
        Err(e) => return stopped(e),
    };
    let whole = data.len() <= PREVIEW_BYTES;
    let mut out = String::new();
    // A cut inside a row leaves that row pending in the converter, so it is not reported.
    let mut errors = match converter.push(&data[..data.len().min(PREVIEW_BYTES)], &mut out) {
        Ok(e) => e,
        Err(e) => return stopped(e),
    };
    if whole {
        match converter.finish(&mut out) {
            Ok(e) => errors.extend(e),
            Err(e) => return stopped(e),
        }
    }
    errors.truncate(PREVIEW_ERRORS);
    let lines: Vec<&str> = out.lines().take(PREVIEW_LINES).collect();
    Preview {
        lines: lines.join("\n"),
        errors,
        stop: None,
        whole,
    }
}

/// The `linewise convert` command that converts `file` (`None`: standard input) as `mapping` does.
/// Every column is named, so the command's own guess does not matter.
fn command(mapping: &Mapping, file: Option<&str>) -> String {
    let mut cmd = format!("linewise convert --from csv {}", mapping.flags());
    if let Some(file) = file {
        cmd.push(' ');
        cmd.push_str(&shell_word(file));
    }
    cmd
}

/// The CSV column of an error, when it is about one cell.
fn column_of(e: &ConvertError) -> Option<u32> {
    match e {
        ConvertError::Cell { column, .. } => Some(*column),
        _ => None,
    }
}

/// A conversion in progress, for the progress bar.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Running {
    bytes: usize,
    total: usize,
    points: usize,
}

/// How the last Convert ended.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    Done {
        points: usize,
        skipped: usize,
        errors: Vec<ConvertError>,
        ms: f64,
        precision: Precision,
    },
    Stopped(ConvertError),
    Cancelled {
        bytes: usize,
        total: usize,
    },
}

/// The signals a conversion reports to, and its number: a newer number (Cancel, another file)
/// ends it at its next pause.
#[derive(Clone, Copy)]
struct Job {
    running: RwSignal<Option<Running>>,
    outcome: RwSignal<Option<Outcome>>,
    generation: StoredValue<u64>,
}

impl Job {
    /// Ends any conversion in progress.
    fn cancel(self) {
        self.generation.update_value(|g| *g += 1);
        self.running.set(None);
    }
}

/// Converts all of `source` in slices, then hands the line protocol to the editor.
async fn convert(state: AppState, source: Arc<Source>, mapping: Mapping, job: Job, mine: u64) {
    let precision = mapping.precision;
    let stop = |e| {
        job.running.set(None);
        job.outcome.set(Some(Outcome::Stopped(e)));
    };
    let mut converter = match Converter::new(mapping) {
        Ok(c) => c,
        Err(e) => return stop(e),
    };
    let data = &source.data;
    let total = data.len();
    let mut out = String::new();
    let mut errors = Vec::new();
    let mut keep = |new: Vec<ConvertError>| {
        let room = MAX_ERRORS.saturating_sub(errors.len());
        errors.extend(new.into_iter().take(room));
    };
    let started = now_ms();
    let mut slice_start = started;
    let mut at = 0;
    while at < total {
        let end = (at + CHUNK).min(total);
        match converter.push(&data[at..end], &mut out) {
            Ok(e) => keep(e),
            Err(e) => return stop(e),
        }
        if at == 0 {
            // The first chunk tells how much line protocol a CSV byte makes: one allocation for
            // all of it, instead of doubling copies of 100 MB that would each hold up a frame.
            let estimate = out.len() as f64 / end as f64 * total as f64 * 1.05;
            out.reserve((estimate as usize).saturating_sub(out.len()));
        }
        at = end;
        if now_ms() - slice_start > SLICE_MS {
            job.running.set(Some(Running {
                bytes: at,
                total,
                points: converter.progress().points,
            }));
            TimeoutFuture::new(0).await;
            if job.generation.get_value() != mine {
                job.outcome
                    .set(Some(Outcome::Cancelled { bytes: at, total }));
                return;
            }
            slice_start = now_ms();
        }
    }
    match converter.finish(&mut out) {
        Ok(e) => keep(e),
        Err(e) => return stop(e),
    }
    let progress = converter.progress();
    job.running.set(None);
    // The result is drawn before the hand-over: laying out a large text in the editor can hold
    // the page longer than converting it did, and the counts should be on screen meanwhile.
    job.outcome.set(Some(Outcome::Done {
        points: progress.points,
        skipped: progress.skipped,
        errors,
        ms: now_ms() - started,
        precision,
    }));
    next_frame().await;
    if job.generation.get_value() != mine {
        return;
    }
    state.replace_text(out);
    state.precision.set(precision);
    state.recheck_batch();
}

/// Resolves once the browser has drawn a frame, so what was set before is on screen.
async fn next_frame() {
    let frame = js_sys::Promise::new(&mut |resolve, _| {
        let _ = window().request_animation_frame(&resolve);
    });
    let _ = JsFuture::from(frame).await;
    TimeoutFuture::new(0).await;
}

/// The list of row errors, each with its CSV line and column.
fn error_list(errors: Vec<ConvertError>) -> impl IntoView {
    (!errors.is_empty()).then(|| {
        view! {
            <ul class="csv-errors" data-testid="csv-errors">
                {errors.into_iter().map(|e| view! {
                    <li data-testid="csv-error" data-line=e.line() data-column=column_of(&e)>{e.to_string()}</li>
                }).collect_view()}
            </ul>
        }
    })
}

/// "Convert from CSV": opens the panel on the editor's text, for CSV that was pasted.
#[component]
pub fn FromEditor() -> impl IntoView {
    let state = expect_context::<AppState>();
    let csv = expect_context::<CsvImport>();
    let open = move |_| {
        let text = state.text.with_value(crate::text::Text::to_text);
        csv.open(None, text.into_bytes());
    };
    view! {
        <button type="button" class="secondary" data-testid="csv-from-editor" on:click=open>"Convert from CSV…"</button>
    }
}

/// The mapping panel, shown while a CSV file is open.
#[component]
pub fn CsvPanel() -> impl IntoView {
    let state = expect_context::<AppState>();
    let source = expect_context::<CsvImport>().source;
    let columns = RwSignal::new(Vec::<Column>::new());
    let roles = RwSignal::new(Vec::<Role>::new());
    let measurement = RwSignal::new(String::new());
    let precision = RwSignal::new(Precision::Nanosecond);
    let delimiter = RwSignal::new(b',');
    let unreadable = RwSignal::new(None::<ConvertError>);
    let job = Job {
        running: RwSignal::new(None),
        outcome: RwSignal::new(None),
        generation: StoredValue::new(0),
    };

    // Guesses the mapping of the open file; `delimiter` is the person's choice, if any.
    let guess_columns = move |src: &Source, chosen: Option<u8>| -> Option<Mapping> {
        match guess(&src.data, &default_measurement(src.name.as_deref()), chosen) {
            Ok(m) => {
                let values = samples(&src.data, m.delimiter, m.columns.len());
                roles.set(m.columns.iter().map(|c| c.role.clone()).collect());
                columns.set(
                    m.columns
                        .iter()
                        .zip(values)
                        .map(|(c, samples)| Column {
                            name: c.name.clone(),
                            samples,
                        })
                        .collect(),
                );
                delimiter.set(m.delimiter);
                unreadable.set(None);
                Some(m)
            }
            Err(e) => {
                roles.set(Vec::new());
                columns.set(Vec::new());
                unreadable.set(Some(e));
                None
            }
        }
    };
    Effect::new(move |_| {
        let Some(src) = source.get() else {
            return;
        };
        job.cancel();
        job.outcome.set(None);
        if let Some(m) = guess_columns(&src, None) {
            measurement.set(m.measurement.clone());
            precision.set(first_precision(&m));
        }
    });
    let choose_delimiter = move |d: u8| {
        if let Some(src) = source.get_untracked() {
            guess_columns(&src, Some(d));
        }
    };
    // One measurement and one time column, as `--column` has it: choosing one replaces the other.
    let set_role = move |at: usize, role: Role| {
        let single = matches!(role, Role::Time(_) | Role::Measurement);
        let kind = std::mem::discriminant(&role);
        roles.update(|rs| {
            for r in rs.iter_mut() {
                if single && std::mem::discriminant(r) == kind {
                    *r = Role::Ignore;
                }
            }
            if let Some(r) = rs.get_mut(at) {
                *r = role;
            }
        });
    };

    let mapping = Memo::new(move |_| Mapping {
        columns: columns.with(|cols| {
            roles.with(|rs| {
                cols.iter()
                    .zip(rs)
                    .map(|(c, role)| ColumnMap {
                        name: c.name.clone(),
                        role: role.clone(),
                    })
                    .collect()
            })
        }),
        measurement: measurement.get(),
        precision: precision.get(),
        delimiter: delimiter.get(),
    });
    let preview = Memo::new(move |_| {
        let m = mapping.get();
        source.with(|s| s.as_ref().map(|s| preview(&s.data, m)).unwrap_or_default())
    });
    let file_name = move || source.with(|s| s.as_ref().and_then(|s| s.name.clone()));
    let cli = move || command(&mapping.get(), file_name().as_deref());

    let start = move |_| {
        let Some(src) = source.get_untracked() else {
            return;
        };
        job.cancel();
        let mine = job.generation.get_value();
        job.outcome.set(None);
        job.running.set(Some(Running {
            bytes: 0,
            total: src.data.len(),
            points: 0,
        }));
        spawn_local(convert(state, src, mapping.get_untracked(), job, mine));
    };
    let close = move |_| {
        job.cancel();
        source.set(None);
    };

    let title = move || {
        source.with(|s| {
            s.as_ref().map_or(String::new(), |s| match &s.name {
                Some(name) => format!("“{name}” ({})", bytes(s.data.len())),
                None => format!("the editor's text ({})", bytes(s.data.len())),
            })
        })
    };
    let table = move || {
        columns
            .get()
            .into_iter()
            .enumerate()
            .map(|(at, c)| {
                let option = move |(value, label): (&'static str, &'static str)| {
                    let chosen = move || roles.with(|rs| rs.get(at).is_some_and(|r| r.spelling() == value));
                    view! { <option value=value prop:selected=chosen>{label}</option> }
                };
                view! {
                    <tr>
                        <th scope="row">{c.name.clone()}</th>
                        <td class="samples">{c.samples.join(" · ")}</td>
                        <td>
                            <select
                                data-testid="csv-role"
                                data-column=c.name.clone()
                                aria-label=format!("Role of column {}", c.name)
                                on:change:target=move |ev| {
                                    if let Some(r) = Role::parse(&ev.target().value()) {
                                        set_role(at, r);
                                    }
                                }
                            >
                                {ROLE_MENU.into_iter().map(|(group, items)| {
                                    let options = items.iter().copied().map(option).collect_view();
                                    match group {
                                        Some(label) => view! { <optgroup label=label>{options}</optgroup> }.into_any(),
                                        None => options.into_any(),
                                    }
                                }).collect_view()}
                            </select>
                        </td>
                    </tr>
                }
            })
            .collect_view()
    };
    let progress_bar = move || {
        job.running.get().map(|r| {
            let fraction = r.bytes as f64 / r.total.max(1) as f64;
            view! {
                <div class="progress" data-testid="csv-progress" role="progressbar" aria-label="Converting"
                    aria-valuemin="0" aria-valuemax=r.total aria-valuenow=r.bytes>
                    <span class="bar" style:width=format!("{:.1}%", fraction * 100.0)></span>
                    <span class="progress-label">{format!("Converting: {} of {} · {} points", bytes(r.bytes), bytes(r.total), group(r.points))}</span>
                </div>
            }
        })
    };
    let outcome = move || {
        job.outcome.get().map(|o| match o {
            Outcome::Done { points, skipped, errors, ms, precision } => {
                let skipped_text = match skipped {
                    0 => String::from("every row converted"),
                    n => format!("{} rows skipped (listed below)", group(n)),
                };
                let more = (skipped > errors.len())
                    .then(|| format!("The first {} of {} are listed.", errors.len(), group(skipped)));
                view! {
                    <div class="status" data-testid="csv-result" data-state=if skipped == 0 { "ok" } else { "partial" }
                        data-points=points data-skipped=skipped data-ms=format!("{ms:.0}")>
                        <p>{format!("Converted {} points in {:.0} ms, {skipped_text}. The line protocol goes into the editor, with precision {precision}: check it, then press Write.", group(points), ms)}</p>
                        {more.map(|m| view! { <p>{m}</p> })}
                        {error_list(errors)}
                    </div>
                }
                .into_any()
            }
            Outcome::Stopped(e) => view! {
                <div class="status" data-testid="csv-result" data-state="error"><p>{format!("Not converted: {e}")}</p></div>
            }
            .into_any(),
            Outcome::Cancelled { bytes: done, total } => view! {
                <div class="status" data-testid="csv-result" data-state="cancelled">
                    <p>{format!("Cancelled after {} of {}; the editor is unchanged.", bytes(done), bytes(total))}</p>
                </div>
            }
            .into_any(),
        })
    };

    view! {
        <Show when=move || source.with(Option::is_some)>
            <section class="csv-import" data-testid="csv-panel" aria-label="CSV to line protocol">
                <header class="panel-head">
                    <h2>"CSV → line protocol: " {title}</h2>
                    <button type="button" class="icon" aria-label="Close the CSV panel" data-testid="csv-close" on:click=close>"×"</button>
                </header>
                {move || unreadable.get().map(|e| view! { <p class="query-error" data-testid="csv-unreadable">{format!("This is not CSV the page can read: {e}")}</p> })}
                <div class="row csv-options">
                    <label class="inline" for="csv-measurement">"Measurement"</label>
                    <input id="csv-measurement" data-testid="csv-measurement" autocomplete="off"
                        title="The measurement of rows without a measurement column (or with an empty one)"
                        prop:value=move || measurement.get()
                        on:input:target=move |ev| measurement.set(ev.target().value()) />
                    <label class="inline" for="csv-precision">"Write timestamps in"</label>
                    <select id="csv-precision" data-testid="csv-precision"
                        on:change:target=move |ev| precision.set(ev.target().value().parse().unwrap_or(Precision::Nanosecond))>
                        {Precision::CHOICES.into_iter().filter(|&p| p != Precision::Auto).map(|p| view! {
                            <option value=p.as_str() prop:selected=move || precision.get() == p>{format!("{} ({p})", p.in_words())}</option>
                        }).collect_view()}
                    </select>
                    <label class="inline" for="csv-delimiter">"Delimiter"</label>
                    <select id="csv-delimiter" data-testid="csv-delimiter"
                        on:change:target=move |ev| {
                            if let Some(&(d, _)) = DELIMITERS.iter().find(|(_, label)| *label == ev.target().value()) {
                                choose_delimiter(d);
                            }
                        }>
                        {DELIMITERS.into_iter().map(|(d, label)| view! {
                            <option value=label prop:selected=move || delimiter.get() == d>{label}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div class="table-wrap">
                    <table class="csv-mapping" data-testid="csv-mapping">
                        <thead><tr><th>"Column"</th><th>"First values"</th><th>"Becomes"</th></tr></thead>
                        <tbody>{table}</tbody>
                    </table>
                </div>
                <h3>{move || if preview.get().whole { "Line protocol" } else { "Line protocol of the first rows" }}</h3>
                <pre class="csv-preview" data-testid="csv-preview">{move || preview.get().lines}</pre>
                {move || {
                    let p = preview.get();
                    match p.stop {
                        Some(e) => view! { <p class="query-error" data-testid="csv-stop">{e.to_string()}</p> }.into_any(),
                        None => error_list(p.errors).into_any(),
                    }
                }}
                <p class="note">"The same conversion in a script:"</p>
                <code class="csv-command" data-testid="csv-command">{cli}</code>
                <div class="row csv-actions">
                    <button type="button" class="primary" data-testid="csv-convert" on:click=start
                        disabled=move || job.running.with(Option::is_some) || preview.with(|p| p.stop.is_some()) || columns.with(Vec::is_empty)>
                        "Convert"
                    </button>
                    <Show when=move || job.running.with(Option::is_some)>
                        <button type="button" class="secondary" data-testid="csv-cancel" on:click=move |_| job.cancel()>"Cancel"</button>
                    </Show>
                </div>
                {progress_bar}
                {outcome}
            </section>
        </Show>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_csv_by_name_then_by_its_first_lines() {
        assert!(is_csv("Home.CSV", b"anything"));
        assert!(is_csv(
            "data.txt",
            b"time,room,temp\n2022-01-01T08:00:00Z,Kitchen,21.5\n"
        ));
        assert!(is_csv("data", b"time;room\r\n1;a\r\n"));
        assert!(!is_csv(
            "home.lp",
            b"home,room=Kitchen temp=21.5 1\nhome,room=Hall temp=1 2\n"
        ));
        assert!(!is_csv("home.lp", b"# a,b\nc,d\n"));
        assert!(!is_csv("one.txt", b"a,b\n"));
    }

    #[test]
    fn every_role_in_the_menu_is_a_spelling_the_core_reads_back() {
        for (value, _) in ROLE_MENU.iter().flat_map(|(_, items)| items.iter()) {
            assert_eq!(
                Role::parse(value).map(|r| r.spelling()).as_deref(),
                Some(*value)
            );
        }
    }

    #[test]
    fn the_command_names_every_column_and_quotes_for_the_shell() {
        let data = b"time,room name,temp\n1641024000,Living Room,21.5\n";
        let mut m = guess(data, "my home", None).unwrap();
        m.precision = Precision::Second;
        assert_eq!(
            command(&m, Some("home's.csv")),
            "linewise convert --from csv --measurement 'my home' --delimiter , --precision s \
             --column time=time:s --column 'room name=tag' --column temp=float 'home'\\''s.csv'"
        );
        assert_eq!(first_precision(&m), Precision::Second);
        assert_eq!(default_measurement(Some("home.csv")), "home");
        assert_eq!(default_measurement(None), "csv");
    }

    #[test]
    fn the_preview_shows_the_first_lines_and_the_rows_that_do_not_fit() {
        let data =
            b"time,room,co\n2022-01-01T08:00:00Z,Kitchen,3\n2022-01-01T09:00:00Z,Kitchen,x\n";
        let mut m = guess(data, "home", None).unwrap();
        let p = preview(data, m.clone());
        assert_eq!(p.lines, "home,room=Kitchen co=\"3\" 1641024000000000000\nhome,room=Kitchen co=\"x\" 1641027600000000000");
        m.columns[2].role = Role::parse("integer").unwrap();
        let p = preview(data, m.clone());
        assert_eq!(p.lines, "home,room=Kitchen co=3i 1641024000000000000");
        assert_eq!(p.errors.len(), 1);
        assert_eq!(
            (p.errors[0].line(), column_of(&p.errors[0])),
            (Some(3), Some(3))
        );
        m.columns[1].role = Role::parse("time:s").unwrap();
        assert!(preview(data, m).stop.is_some());
    }
}
