//! The page's shared state and the checking loop that keeps the marks in step with the text.
//!
//! Edits arrive as splices of the text model (the editor's keystrokes, quick fixes, undo, an
//! upload). A small one is parsed at once, inside the input event, so the colours and marks of
//! the typed line are drawn with the keystroke's own frame. A large one (a paste of megabytes) is
//! parsed by one loop in slices; then the loop runs the batch check in slices. An edit that
//! arrives meanwhile cancels the batch check, which starts over on the newer text.
use std::cell::Cell;
use std::rc::Rc;

use gloo_timers::future::TimeoutFuture;
use leptos::html::Textarea;
use leptos::prelude::*;
use leptos::task::spawn_local;
use linewise_core::{KnownColumns, Precision};

use crate::check::{BatchPass, Document, EditStep, LineEdit, TimeRange};
use crate::text::history::History;
use crate::text::{Splice, Text};

/// Longest stretch of checking before the page gets the main thread back (a frame is 16 ms).
const SLICE_MS: f64 = 12.0;
/// A text this large is checked as a whole only once typing pauses this long.
const LARGE_TEXT_BYTES: usize = 1024 * 1024;
const BATCH_PAUSE_MS: f64 = 150.0;

/// What the batch check last said about the whole document.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Summary {
    pub records: usize,
    pub valid: usize,
    pub time: Option<TimeRange>,
    /// Timestamps that look like another unit than the chosen one: that unit and how many.
    pub unit_hint: Option<(Precision, usize)>,
}

/// A long check in progress, for the progress bar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    pub label: &'static str,
    /// 0.0 ..= 1.0
    pub fraction: f64,
}

/// A selection for the editor to show: bytes `start..end` of the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reveal {
    pub start: usize,
    pub end: usize,
    /// Give the editor the keyboard (a fix or a jump), or leave it where it is (an upload).
    pub focus: bool,
}

/// Everything the components share. All fields are arena handles, so the struct is `Copy`.
#[derive(Clone, Copy)]
pub struct AppState {
    pub doc: StoredValue<Document, LocalStorage>,
    /// Bumped whenever the document's text or marks change; views that read `doc` track it.
    pub version: RwSignal<u64>,
    pub busy: RwSignal<Option<Progress>>,
    pub summary: RwSignal<Summary>,
    pub precision: RwSignal<Precision>,
    pub schema: StoredValue<Rc<KnownColumns>, LocalStorage>,
    pub editor: NodeRef<Textarea>,
    /// 0-based line of the caret.
    pub caret_line: RwSignal<usize>,
    /// Status of the last time-to-marks measurement (`paste → marks` in ms), for the page and tests.
    pub last_check_ms: RwSignal<f64>,
    /// False from the first keystroke until every check of the newest text is done.
    pub settled: RwSignal<bool>,
    /// Completed checking runs (each ends with the marks matching the newest text).
    pub checks: RwSignal<u64>,
    /// The text has edits the document has not taken in yet: its colours would be the old
    /// text's, so the editor shows plain text until the check catches up.
    pub stale: RwSignal<bool>,
    /// The newest text (the document is the checked one, which can lag behind it).
    pub text: StoredValue<Text, LocalStorage>,
    history: StoredValue<History, LocalStorage>,
    /// Byte offset of the caret in the text: the editor keeps it, edits from elsewhere set it.
    pub caret: StoredValue<usize>,
    /// Bumped when the editor must refill its window from the text and show `reveal`: the text
    /// changed other than by typing in it (a fix, undo, upload), or a problem was picked.
    pub reloaded: RwSignal<u64>,
    /// What the editor selects and scrolls to on its next refill.
    pub reveal: StoredValue<Option<Reveal>>,
    /// When the oldest edit not yet parsed happened (performance.now()).
    pending: StoredValue<Option<f64>>,
    /// A large edit being parsed by the loop, with when it happened.
    in_flight: StoredValue<Option<(EditStep, f64)>, LocalStorage>,
    /// The loop is parsing the edit it took from `in_flight`.
    applying: StoredValue<bool>,
    /// When the text last changed (performance.now()).
    edited_at: StoredValue<f64>,
    batch_dirty: StoredValue<bool>,
    running: StoredValue<bool>,
}

pub fn now_ms() -> f64 {
    window().performance().map_or(0.0, |p| p.now())
}

impl AppState {
    pub fn new() -> Self {
        AppState {
            doc: StoredValue::new_local(Document::default()),
            version: RwSignal::new(0),
            busy: RwSignal::new(None),
            summary: RwSignal::new(Summary::default()),
            precision: RwSignal::new(Precision::Auto),
            schema: StoredValue::new_local(Rc::new(KnownColumns::default())),
            editor: NodeRef::new(),
            caret_line: RwSignal::new(0),
            last_check_ms: RwSignal::new(0.0),
            settled: RwSignal::new(true),
            checks: RwSignal::new(0),
            stale: RwSignal::new(false),
            text: StoredValue::new_local(Text::default()),
            history: StoredValue::new_local(History::default()),
            caret: StoredValue::new(0),
            reloaded: RwSignal::new(0),
            reveal: StoredValue::new(None),
            pending: StoredValue::new(None),
            in_flight: StoredValue::new_local(None),
            applying: StoredValue::new(false),
            edited_at: StoredValue::new(0.0),
            batch_dirty: StoredValue::new(false),
            running: StoredValue::new(false),
        }
    }

    /// Applies `splice`, made at `since` (performance.now()) by typing in the editor (`typing`)
    /// or otherwise, records it for undo and checks it.
    pub fn edit(self, splice: Splice, since: f64, typing: bool) {
        let Some(undo) = self.text.try_update_value(|t| t.apply(&splice)) else {
            return;
        };
        self.edited_at.set_value(now_ms());
        let in_place = self.current()
            && self.text.with_value(|t| {
                self.doc
                    .try_update_value(|d| d.try_edit_in_place(&splice, t.starts()))
                    .unwrap_or(false)
            });
        self.history
            .update_value(|h| h.record(splice, undo, since, typing));
        if in_place {
            self.text.update_value(Text::synced);
            self.settled.set(false);
            self.last_check_ms.set(now_ms() - since);
            self.bump();
            self.batch_dirty.set_value(true);
            self.start();
        } else {
            self.queue(since);
        }
    }

    /// Applies `splice` from outside the editor (a fix, undo, redo, upload): recorded for undo
    /// unless it is an undo or redo itself, then the editor refills its window with the caret
    /// at byte `caret`.
    fn edit_outside(self, splice: Splice, caret: usize, record: bool, focus: bool) {
        let since = now_ms();
        if record {
            self.edit(splice, since, false);
        } else {
            self.text.update_value(|t| {
                t.apply(&splice);
            });
            self.queue(since);
        }
        self.show(Reveal {
            start: caret,
            end: caret,
            focus,
        });
    }

    /// Asks the editor to select and scroll to `r`.
    pub fn show(self, r: Reveal) {
        self.caret.set_value(r.start);
        self.reveal.set_value(Some(r));
        self.reloaded.update(|n| *n += 1);
    }

    /// Selects 1-based `line`'s problem span (or its start) in the editor and scrolls to it.
    pub fn jump_to(self, line: usize) {
        let (start, end) = self.selection_of(line);
        self.caret_line.set(line.saturating_sub(1));
        self.show(Reveal {
            start,
            end,
            focus: true,
        });
    }

    /// Replaces the whole text (upload, author form) and checks it; the caret goes to the end of
    /// what changed.
    pub fn replace_text(self, text: String) {
        let splice = self.splice_into(&text);
        let caret = splice.end_after();
        self.edit_outside(splice, caret, true, false);
    }

    /// Checks the (empty) text of the first load, so the page reports its first verdict.
    pub fn check_first(self) {
        self.queue(0.0);
    }

    pub fn undo(self) {
        if let Some(s) = self.history.try_update_value(History::undo).flatten() {
            let caret = s.end_after();
            self.edit_outside(s, caret, false, true);
        }
    }

    pub fn redo(self) {
        if let Some(s) = self.history.try_update_value(History::redo).flatten() {
            let caret = s.end_after();
            self.edit_outside(s, caret, false, true);
        }
    }

    /// Whether the document has taken in every edit, so its marks and fixes are the text's.
    fn current(self) -> bool {
        self.pending.get_value().is_none() && !self.edit_in_flight()
    }

    fn edit_in_flight(self) -> bool {
        self.applying.get_value() || self.in_flight.with_value(Option::is_some)
    }

    /// Applies the quick fix of 0-based `line`'s error, if it has one; the caret goes after it.
    pub fn fix_line(self, line: usize) {
        self.apply_edits(|d| d.edit_on(line).map(|e| (line, e)).into_iter().collect());
    }

    /// Applies the quick fix of every error of `kind` that has one ("fix all of this kind").
    pub fn fix_all(self, kind: &str) {
        self.apply_edits(|d| d.edits_of_kind(kind));
    }

    /// Rewrites every warned timestamp of `kind` in the write's unit (the group's other fix).
    pub fn fix_warnings(self, kind: &str) {
        self.apply_edits(|d| d.warning_edits(kind));
    }

    /// Applies the line edits `pick` chooses from the document, as one undo step. Only when the
    /// document has taken in every edit: its fixes are then the text's.
    fn apply_edits(self, pick: impl for<'d> FnOnce(&'d Document) -> Vec<(usize, &'d LineEdit)>) {
        if !self.current() {
            return;
        }
        let fixed = self.doc.with_value(|d| {
            let edits = pick(d);
            (!edits.is_empty()).then(|| d.with_edits(&edits))
        });
        if let Some((text, caret)) = fixed {
            self.replace_fixed(&text, caret);
        }
    }

    /// The text after quick fixes, one undo step, the caret at byte `caret`.
    fn replace_fixed(self, text: &str, caret: usize) {
        let splice = self.splice_into(text);
        self.edit_outside(splice, caret, true, true);
    }

    /// The splice that turns the model's text into `text`.
    fn splice_into(self, text: &str) -> Splice {
        self.text
            .try_update_value(|t| crate::text::diff(t.contiguous(), text))
            .expect("text")
    }

    /// The precision or the stored schema changed: only the batch check must run again.
    pub fn recheck_batch(self) {
        self.settled.set(false);
        self.batch_dirty.set_value(true);
        self.start();
    }

    /// Marks the text as ahead of the document and parses the edit: at once when no large edit
    /// is in flight and one slice covers it, else in the loop.
    fn queue(self, since: f64) {
        self.settled.set(false);
        let oldest = self.pending.get_value().map_or(since, |p| p.min(since));
        self.pending.set_value(Some(oldest));
        if !self.edit_in_flight() {
            self.begin_edit();
        }
        if !self.current() {
            self.stale.set(true);
        }
        self.batch_dirty.set_value(true);
        self.start();
    }

    /// Takes the pending edits into the document: committed now if one slice parses them, else
    /// left in flight for the loop.
    fn begin_edit(self) {
        let Some(since) = self.pending.try_update_value(Option::take).flatten() else {
            return;
        };
        let snapshot = self.text.try_update_value(Text::snapshot).expect("text");
        let mut step = self
            .doc
            .try_update_value(|d| d.begin_edit(snapshot))
            .expect("document");
        step.step();
        if step.is_done() {
            self.commit(step, since);
        } else {
            self.in_flight.set_value(Some((step, since)));
        }
    }

    fn commit(self, step: EditStep, since: f64) {
        self.doc.update_value(|d| d.commit(step));
        if self.current() {
            self.stale.set(false);
        }
        self.last_check_ms.set(now_ms() - since);
        self.bump();
    }

    fn start(self) {
        if self.running.get_value() {
            return;
        }
        self.running.set_value(true);
        spawn_local(self.run());
    }

    fn bump(self) {
        self.version.update(|v| *v += 1);
    }

    async fn run(self) {
        // The keystroke's frame first: the batch check starts after it is drawn.
        TimeoutFuture::new(0).await;
        loop {
            if let Some((step, since)) = self.in_flight.try_update_value(Option::take).flatten() {
                self.applying.set_value(true);
                self.finish_edit(step, since).await;
                continue;
            }
            if self.pending.get_value().is_some() {
                self.begin_edit();
                continue;
            }
            if self.batch_dirty.get_value() {
                // While a large text is being typed into, the whole-document check waits for a
                // pause: each run copies and reads megabytes, which would delay the next key's
                // frame. The typed line's own marks are already drawn.
                let idle = now_ms() - self.edited_at.get_value();
                let large = self.doc.with_value(Document::text_len) > LARGE_TEXT_BYTES;
                if large && idle < BATCH_PAUSE_MS {
                    TimeoutFuture::new((BATCH_PAUSE_MS - idle).ceil() as u32).await;
                    continue;
                }
                self.batch_dirty.set_value(false);
                self.batch_check().await;
                continue;
            }
            break;
        }
        self.busy.set(None);
        self.running.set_value(false);
        self.checks.update(|c| *c += 1);
        self.settled.set(true);
    }

    /// Parses the rest of a large edit in slices, then commits it; edits made meanwhile wait in
    /// `pending` and are taken in next.
    async fn finish_edit(self, mut step: EditStep, since: f64) {
        let total = step.region_len().max(1) as f64;
        let mut slice_start = now_ms();
        loop {
            step.step();
            if step.is_done() {
                break;
            }
            if now_ms() - slice_start > SLICE_MS {
                let fraction = 1.0 - step.remaining() as f64 / total;
                self.busy.set(Some(Progress {
                    label: "Checking lines",
                    fraction,
                }));
                TimeoutFuture::new(0).await;
                slice_start = now_ms();
            }
        }
        self.applying.set_value(false);
        self.commit(step, since);
    }

    async fn batch_check(self) {
        // Its own copy: the document's text stays free to take keystrokes in place meanwhile.
        let text = self.doc.with_value(Document::to_text);
        let schema = self.schema.get_value();
        let precision = self.precision.get_untracked();
        let now_ns = (js_sys::Date::now() * 1e6) as i64;
        let pass = BatchPass {
            text: &text,
            precision,
            schema: &schema,
            now_ns,
        };
        let len = text.len().max(1) as f64;
        let cancelled = || !self.current() || self.batch_dirty.get_value();
        let progress = |pos: usize| {
            self.busy.set(Some(Progress {
                label: "Checking types",
                fraction: pos as f64 / len,
            }));
        };
        // Reset to "unknown" by a pause; the next look at the clock starts the new slice.
        let slice_start = Cell::new(now_ms());
        let pause = || {
            slice_start.set(f64::INFINITY);
            TimeoutFuture::new(0)
        };
        let slice_over = || {
            if slice_start.get().is_infinite() {
                slice_start.set(now_ms());
                return false;
            }
            now_ms() - slice_start.get() > SLICE_MS
        };
        let Some(result) = pass.run(pause, slice_over, cancelled, progress).await else {
            self.batch_dirty.set_value(true);
            return;
        };
        self.summary.set(Summary {
            records: result.records,
            valid: result.valid,
            time: result.time,
            unit_hint: result.unit_hint,
        });
        self.doc
            .update_value(|d| d.set_batch(result.errors, result.warnings, precision));
        self.bump();
    }

    /// The byte range of the text an editor selects to show 1-based `line`: its problem's span
    /// (the error's, else the warning's), or the line's start.
    pub fn selection_of(self, line: usize) -> (usize, usize) {
        self.doc.with_value(|d| {
            let i = line.saturating_sub(1).min(d.line_count() - 1);
            let base = d.line_start(i);
            let text = d.line(i);
            let (c0, c1) = d
                .error_on(i)
                .map(|(m, _)| (m.column, m.end_column))
                .or_else(|| d.warning_on(i).map(|m| (m.column, m.end_column)))
                .unwrap_or((1, 1));
            let byte_at = |col: u32| {
                text.char_indices()
                    .nth(col.saturating_sub(1) as usize)
                    .map_or(text.len(), |(b, _)| b)
            };
            (base + byte_at(c0), base + byte_at(c1))
        })
    }

    /// 1-based line of the next (or previous) problem after the caret, wrapping around.
    pub fn next_problem(self, forward: bool) -> Option<usize> {
        let caret = self.caret_line.get_untracked();
        self.doc.with_value(|d| {
            let mut lines = d.error_lines();
            if lines.is_empty() {
                lines = d.warning_lines();
            }
            let pick = if forward {
                lines.iter().find(|&&l| l > caret).or(lines.first())
            } else {
                lines.iter().rev().find(|&&l| l < caret).or(lines.last())
            };
            pick.map(|l| l + 1)
        })
    }
}

impl Default for AppState {
    fn default() -> Self {
        Self::new()
    }
}
