//! The page's shared state and the checking loop that keeps the marks in step with the text.
//!
//! Edits arrive as whole texts (the textarea's value, read after a short debounce). One loop at a
//! time re-parses the touched records in slices, then runs the batch check in slices; an edit that
//! arrives meanwhile cancels the batch check, which starts over on the newer text.
use std::cell::Cell;
use std::rc::Rc;

use gloo_timers::future::TimeoutFuture;
use leptos::html::Textarea;
use leptos::prelude::*;
use leptos::task::spawn_local;
use linewise_core::{KnownColumns, Precision};

use crate::check::{BatchPass, Document, TimeRange};

/// Longest stretch of checking before the page gets the main thread back (a frame is 16 ms).
const SLICE_MS: f64 = 12.0;

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
    /// The editor holds text the document has not taken in yet: its colours would be the old
    /// text's, so the editor shows plain text until the check catches up.
    pub stale: RwSignal<bool>,
    /// A keystroke is waiting for its debounce.
    typing: StoredValue<bool>,
    pending: StoredValue<Option<(Rc<str>, f64)>, LocalStorage>,
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
            typing: StoredValue::new(false),
            pending: StoredValue::new_local(None),
            batch_dirty: StoredValue::new(false),
            running: StoredValue::new(false),
        }
    }

    /// A keystroke happened; its text comes after the debounce.
    pub fn typed(self) {
        self.typing.set_value(true);
        self.settled.set(false);
        self.stale.set(true);
    }

    /// Queues `text` for checking; `since` is when the change happened (performance.now()).
    pub fn submit_text(self, text: Rc<str>, since: f64) {
        self.typing.set_value(false);
        self.settled.set(false);
        self.stale.set(true);
        self.pending.set_value(Some((text, since)));
        self.start();
    }

    /// Reads the textarea and queues its text.
    pub fn submit_editor(self, since: f64) {
        if let Some(el) = self.editor.get_untracked() {
            self.submit_text(Rc::from(el.value()), since);
        }
    }

    /// Replaces the editor's text (upload, author form) and checks it.
    pub fn replace_text(self, text: String) {
        let since = now_ms();
        if let Some(el) = self.editor.get_untracked() {
            el.set_value(&text);
        }
        self.submit_text(Rc::from(text), since);
    }

    /// Applies the quick fix of 0-based `line`'s error, if it has one; the caret goes after it.
    pub fn fix_line(self, line: usize) {
        let fixed = self.doc.with_value(|d| {
            let edit = d.edit_on(line)?;
            Some(d.with_edits(&[(line, edit)]))
        });
        if let Some((text, caret)) = fixed {
            self.replace_fixed(text, caret);
        }
    }

    /// Applies the quick fix of every error of `kind` that has one ("fix all of this kind").
    pub fn fix_all(self, kind: &str) {
        let (text, caret) = self
            .doc
            .with_value(|d| d.with_edits(&d.edits_of_kind(kind)));
        self.replace_fixed(text, caret);
    }

    /// The editor's text after quick fixes: checked again, the caret at byte `caret`.
    fn replace_fixed(self, text: String, caret: usize) {
        let at = text[..caret].encode_utf16().count() as u32;
        self.replace_text(text);
        if let Some(el) = self.editor.get_untracked() {
            let _ = el.focus();
            let _ = el.set_selection_range(at, at);
        }
    }

    /// The precision or the stored schema changed: only the batch check must run again.
    pub fn recheck_batch(self) {
        self.settled.set(false);
        self.batch_dirty.set_value(true);
        self.start();
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
        loop {
            if let Some((text, since)) = self.pending.try_update_value(Option::take).flatten() {
                self.apply_edit(text).await;
                if self.pending.with_value(Option::is_none) && !self.typing.get_value() {
                    self.stale.set(false);
                }
                self.last_check_ms.set(now_ms() - since);
                self.batch_dirty.set_value(true);
                continue;
            }
            if self.batch_dirty.get_value() {
                self.batch_dirty.set_value(false);
                self.batch_check().await;
                continue;
            }
            break;
        }
        self.busy.set(None);
        self.running.set_value(false);
        self.checks.update(|c| *c += 1);
        self.settled.set(!self.typing.get_value());
    }

    async fn apply_edit(self, text: Rc<str>) {
        let mut step = self.doc.with_value(|d| d.begin_edit(text));
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
        self.doc.update_value(|d| d.commit(step));
        self.bump();
    }

    async fn batch_check(self) {
        let text = self.doc.with_value(|d| d.text().clone());
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
        let cancelled = || self.pending.with_value(Option::is_some) || self.batch_dirty.get_value();
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
            .update_value(|d| d.set_batch(result.errors, result.warnings));
        self.bump();
    }

    /// The UTF-16 range of the text an editor selects to show 1-based `line`: its problem's span
    /// (the error's, else the warning's), or the line's start.
    pub fn selection_of(self, line: usize) -> (u32, u32) {
        self.doc.with_value(|d| {
            let i = line.saturating_sub(1).min(d.line_count() - 1);
            let before = &d.text()[..d.line_start(i)];
            let base = before.encode_utf16().count() as u32;
            let text = d.line(i);
            let (c0, c1) = d
                .error_on(i)
                .map(|(m, _)| (m.column, m.end_column))
                .or_else(|| d.warning_on(i).map(|m| (m.column, m.end_column)))
                .unwrap_or((1, 1));
            let utf16_at = |col: u32| -> u32 {
                text.chars()
                    .take(col.saturating_sub(1) as usize)
                    .map(|c| c.len_utf16() as u32)
                    .sum()
            };
            (base + utf16_at(c0), base + utf16_at(c1))
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
