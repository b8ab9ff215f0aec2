//! Sending the document: in batches of whole records, with progress, the server's answer in the
//! status region, rejected lines marked in the editor, and a retry for a batch that failed.
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, WriteOptions, WriteOutcome};
use crate::batches::{self, Batch};
use crate::check::{Document, LineMark};
use crate::components::settings::Settings;
use crate::components::stored::measurements_in;
use crate::html::group;
use crate::state::AppState;

/// What the status region shows.
#[derive(Debug, Clone, PartialEq)]
struct Status {
    /// `idle|working|ok|partial|error`, also exposed as `data-state`.
    state: &'static str,
    text: String,
    /// The raw server answer, behind a disclosure.
    detail: String,
}

/// A write in progress (kept after a failure so it can be resumed).
#[derive(Debug, Clone)]
struct Job {
    opts: WriteOptions,
    token: String,
    batches: Vec<(Batch, String)>,
    next: usize,
    written: usize,
    rejected: usize,
}

/// Signals a write job reports to.
#[derive(Clone, Copy)]
struct Report {
    status: RwSignal<Status>,
    progress: RwSignal<Option<(usize, usize)>>,
    retry: StoredValue<Option<Job>, LocalStorage>,
    /// Bumped when the job ends, so the database list and schema are read again.
    written: RwSignal<u64>,
    /// Set when the job ends: the measurements it sent.
    tables: RwSignal<Vec<String>>,
}

async fn run(state: AppState, mut job: Job, report: Report) {
    let Report {
        status,
        progress,
        retry,
        written,
        tables,
    } = report;
    let total = job.batches.len();
    let mut last_detail = String::new();
    while job.next < total {
        progress.set(Some((job.next, total)));
        let (batch, body) = job.batches[job.next].clone();
        match api::write_lp(&job.token, &job.opts, body).await {
            Ok(WriteOutcome::Written) => job.written += batch.records,
            Ok(WriteOutcome::Rejected {
                status: code,
                error,
                lines,
            }) => {
                let stored = if job.opts.accept_partial {
                    batch.records.saturating_sub(lines.len())
                } else {
                    0
                };
                job.written += stored;
                job.rejected += lines.len();
                last_detail = format!("HTTP {code}: {error}");
                state.doc.update_value(|d| {
                    for l in &lines {
                        let at = batch.doc_line(l.line);
                        let end = d.line(at).chars().count() as u32 + 1;
                        d.add_server_mark(
                            at,
                            LineMark {
                                column: 1,
                                end_column: end,
                                kind: "server",
                                message: l.message.clone(),
                                fix: None,
                                edit: None,
                            },
                        );
                    }
                });
                state.version.update(|v| *v += 1);
            }
            Err(e) => {
                let done = job.next;
                status.set(Status {
                    state: "error",
                    text: format!(
                        "Batch {} of {total} failed: {e}. {} line(s) were written before it; Retry sends the rest.",
                        done + 1,
                        group(job.written)
                    ),
                    detail: e.to_string(),
                });
                progress.set(None);
                retry.set_value(Some(job));
                return;
            }
        }
        job.next += 1;
    }
    progress.set(None);
    retry.set_value(None);
    tables.set(measurements_in(
        job.batches.iter().map(|(_, body)| body.as_str()),
    ));
    written.update(|n| *n += 1);
    let db = &job.opts.db;
    let batches = if total == 1 {
        "1 request".to_string()
    } else {
        format!("{total} requests")
    };
    status.set(if job.rejected == 0 {
        Status {
            state: "ok",
            text: format!("Wrote {} lines to “{db}” in {batches}.", group(job.written)),
            detail: String::new(),
        }
    } else {
        Status {
            state: "partial",
            text: format!(
                "Wrote {} lines to “{db}”; the server rejected {} (marked in the editor).",
                group(job.written),
                group(job.rejected)
            ),
            detail: last_detail,
        }
    });
}

/// The write button, progress and status region.
#[component]
pub fn WritePanel() -> impl IntoView {
    let state = expect_context::<AppState>();
    let s = expect_context::<Settings>();
    let status = RwSignal::new(Status {
        state: "idle",
        text: "Nothing written yet.".into(),
        detail: String::new(),
    });
    let progress = RwSignal::new(None::<(usize, usize)>);
    let retry: StoredValue<Option<Job>, LocalStorage> = StoredValue::new_local(None);
    let can_retry = RwSignal::new(false);
    let report = Report {
        status,
        progress,
        retry,
        written: s.written,
        tables: s.written_tables,
    };
    Effect::new(move |_| {
        status.track();
        can_retry.set(retry.with_value(Option::is_some));
    });

    let start = move |_| {
        let db = s.db.get_untracked().trim().to_owned();
        if db.is_empty() {
            status.set(Status {
                state: "error",
                text: "Choose a database first.".into(),
                detail: String::new(),
            });
            return;
        }
        let max = s.batch_kib.get_untracked() as usize * 1024;
        let batches: Vec<(Batch, String)> = state.doc.with_value(|d| {
            batches::plan(d, max)
                .into_iter()
                .map(|b| {
                    let body = b.body(d).into_owned();
                    (b, body)
                })
                .collect()
        });
        if batches.is_empty() {
            status.set(Status {
                state: "error",
                text: "There are no lines to write.".into(),
                detail: String::new(),
            });
            return;
        }
        state.doc.update_value(|d| d.clear_server_marks());
        state.version.update(|v| *v += 1);
        let opts = WriteOptions {
            db,
            precision: state.precision.get_untracked().as_str(),
            accept_partial: s.accept_partial.get_untracked(),
            no_sync: s.no_sync.get_untracked(),
        };
        let records: usize = batches.iter().map(|(b, _)| b.records).sum();
        status.set(Status {
            state: "working",
            text: format!("Writing {} lines…", group(records)),
            detail: String::new(),
        });
        let job = Job {
            opts,
            token: s.token.get_untracked(),
            batches,
            next: 0,
            written: 0,
            rejected: 0,
        };
        spawn_local(run(state, job, report));
    };
    let resume = move |_| {
        if let Some(mut job) = retry.get_value() {
            // The usual cause is a wrong token: take the one in the form now.
            job.token = s.token.get_untracked();
            status.set(Status {
                state: "working",
                text: "Retrying…".into(),
                detail: String::new(),
            });
            spawn_local(run(state, job, report));
        }
    };
    let errors = move || {
        state.version.track();
        state.doc.with_value(|d| d.error_lines().len())
    };

    view! {
        <section class="panel write" aria-label="Write">
            <div class="row">
                <button
                    type="button"
                    class="primary"
                    data-testid="write"
                    disabled=move || {
                        state.version.track();
                        progress.get().is_some() || state.doc.with_value(Document::is_blank)
                    }
                    on:click=start
                >
                    "Write"
                </button>
                <Show when=move || can_retry.get()>
                    <button type="button" class="secondary" data-testid="retry" on:click=resume>"Retry failed batch"</button>
                </Show>
                <span class="note">{move || match errors() {
                    0 => String::new(),
                    n => format!("{} line(s) have errors; the server will reject them.", group(n)),
                }}</span>
            </div>
            {move || progress.get().map(|(done, total)| view! {
                <div class="progress" role="progressbar" aria-label="Writing" aria-valuemin="0"
                    aria-valuemax=total aria-valuenow=done>
                    <span class="bar" style:width=format!("{:.1}%", done as f64 * 100.0 / total as f64)></span>
                    <span class="progress-label">{format!("Batch {} of {total}", done + 1)}</span>
                </div>
            })}
            <div data-testid="status" class="status" data-state=move || status.get().state role="status" aria-live="polite">
                <p>{move || status.get().text}</p>
                {move || {
                    let detail = status.get().detail;
                    (!detail.is_empty()).then(|| view! {
                        <details><summary>"Server answer"</summary><pre>{detail}</pre></details>
                    })
                }}
            </div>
        </section>
    }
}
