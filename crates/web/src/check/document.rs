//! The document's text split into physical lines, with the parser's verdict per line, updated
//! incrementally: an edit re-parses only the records it touched.
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ops::Range;

use linewise_core::fix::quick_fix;
use linewise_core::{Diagnostic, Lines, Precision};

use super::{Fix, Problem, Severity, Source, WarningGroup};
use crate::text::gap::GapText;
use crate::text::{common_prefix, common_suffix, line_of, Snapshot, Splice};

/// Lines parsed per step: well under a millisecond of wasm on typical lines, so the caller can
/// stop at its time budget and let the page paint and take keystrokes.
const SLICE_LINES: usize = 1000;

/// A problem on one line, positioned in characters so the editor can underline it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineMark {
    /// 1-based character column where the problem starts.
    pub column: u32,
    /// 1-based character column after the problem (equal to `column` for a point).
    pub end_column: u32,
    /// Stable identifier (`ErrorKind::as_str`, or a page-defined one such as `timestamp_unit`).
    pub kind: &'static str,
    pub message: String,
    /// The repair shared by every line of its kind: such warnings are listed as one group.
    pub fix: Option<Fix>,
    /// The core's quick fix for this line's problem, already re-checked by it.
    pub edit: Option<LineEdit>,
}

/// A quick fix on one physical line: bytes `range` of the line replaced by `text`. Kept relative to
/// the line so it moves with the line's mark when lines above are edited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineEdit {
    /// What it does (`remove the trailing ','`, `write 21.0`).
    pub title: String,
    pub range: Range<usize>,
    pub text: String,
}

impl LineEdit {
    /// The core's quick fix for `d` (a diagnostic of `input`), when it lies on `d`'s line.
    fn of(d: &Diagnostic, input: &[u8]) -> Option<LineEdit> {
        let fix = quick_fix(input, d)?;
        let start = input[..d.start]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let end = input[start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(input.len(), |i| start + i);
        (fix.range.start >= start && fix.range.end <= end).then(|| LineEdit {
            title: fix.title,
            range: fix.range.start - start..fix.range.end - start,
            text: fix.replacement,
        })
    }
}

impl LineMark {
    /// The mark for `d`, a diagnostic of `input`: its span, its message for a person, its fix.
    pub fn from_diagnostic(d: &Diagnostic, input: &[u8]) -> LineMark {
        LineMark {
            column: d.column,
            end_column: d.end_column.max(d.column),
            kind: d.kind.as_str(),
            message: d.plain_message().to_owned(),
            fix: None,
            edit: LineEdit::of(d, input),
        }
    }
}

/// What the parser said about one physical line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct LineState {
    /// A record (valid or not) starts on the line: it is not blank, a comment or a continuation.
    record: bool,
    /// The line continues a record that started on an earlier line (inside a quoted string).
    continuation: bool,
    /// Boxed: most lines have none, and a keystroke that adds a line moves every state after it.
    syntax: Option<Box<LineMark>>,
}

/// The text, its line index and every mark set. Marks are stored by 0-based line index.
#[derive(Debug, Default)]
pub struct Document {
    /// A gap buffer, so a keystroke edits it in place without moving the text after it.
    text: GapText,
    line_starts: Vec<usize>,
    lines: Vec<LineState>,
    batch: BTreeMap<usize, LineMark>,
    warnings: BTreeMap<usize, LineMark>,
    server: BTreeMap<usize, LineMark>,
    /// The unit the batch check read timestamps in, when it is one (not `auto`).
    write_unit: Option<Precision>,
}

/// An edit being checked, slice by slice. Created by [`Document::begin_edit`], advanced by
/// [`EditStep::step`], applied by [`Document::commit`].
#[derive(Debug)]
pub struct EditStep {
    text: String,
    starts: Vec<usize>,
    /// First line of the re-parsed region (same index in the old and new text).
    first: usize,
    /// End (exclusive) of the region in the old text.
    old_end: usize,
    /// End (exclusive) of the region in the new text.
    new_end: usize,
    /// Next line to parse.
    cursor: usize,
    /// Set once a record may run past a slice: the rest is parsed as one piece.
    to_end: bool,
    /// `text` is a region cut from a longer text: its last record may continue past it.
    more_follows: bool,
    region: Vec<LineState>,
}

impl EditStep {
    /// Lines still to parse, for a progress indicator.
    pub fn remaining(&self) -> usize {
        self.new_end - self.cursor
    }

    /// Lines in the region being re-parsed.
    pub fn region_len(&self) -> usize {
        self.new_end - self.first
    }

    pub fn is_done(&self) -> bool {
        self.cursor >= self.new_end
    }

    /// Parses the next slice of the region.
    pub fn step(&mut self) {
        if self.is_done() {
            return;
        }
        let n = self.starts.len();
        let start_line = self.cursor;
        let end_line = if self.to_end {
            self.new_end
        } else {
            (start_line + SLICE_LINES).min(self.new_end)
        };
        let from = self.starts[start_line];
        let to = if end_line >= n {
            self.text.len()
        } else {
            self.starts[end_line]
        };
        let slice = &self.text.as_bytes()[from..to];
        let mut states = vec![LineState::default(); end_line - start_line];
        let mut lines = Lines::new(slice);
        if (end_line < n && !self.to_end) || self.more_follows {
            // More lines follow: the parser stops at a record they could still change.
            lines = lines.partial();
        }
        for item in lines.by_ref() {
            match item {
                Ok(line) => {
                    let rec = line.line_number as usize - 1;
                    let extra = line.raw.bytes().filter(|&b| b == b'\n').count();
                    mark_record(&mut states, rec, rec + extra);
                }
                Err(d) => {
                    let rec = d.record_line as usize - 1;
                    let at = (d.line as usize).max(1) - 1;
                    mark_record(&mut states, rec, at);
                    if let Some(state) = states.get_mut(at) {
                        if state.syntax.is_none() {
                            state.syntax = Some(Box::new(LineMark::from_diagnostic(&d, slice)));
                        }
                    }
                }
            }
        }
        match lines.unfinished() {
            Some(offset) => {
                // The record at `offset` may continue beyond this slice: parse again from its
                // start to the end.
                let rec = slice[..offset].iter().filter(|&&b| b == b'\n').count();
                states.truncate(rec);
                self.region.extend(states);
                self.cursor = start_line + rec;
                self.to_end = true;
                let grow = n - self.new_end;
                self.new_end = n;
                self.old_end += grow;
            }
            None => {
                self.region.extend(states);
                self.cursor = end_line;
            }
        }
    }
}

/// Marks the record from line `record` to line `last`: where it starts, and its continuations.
fn mark_record(states: &mut [LineState], record: usize, last: usize) {
    if let Some(state) = states.get_mut(record) {
        state.record = true;
    }
    mark_continuation(states, record, last);
}

fn mark_continuation(states: &mut [LineState], record: usize, last: usize) {
    for state in states.iter_mut().take(last + 1).skip(record + 1) {
        state.continuation = true;
    }
}

impl Document {
    /// Runs a whole edit to `text` at once (the page runs it in slices); the length of the region
    /// it re-checked. For tests of the modules that read a checked document.
    #[cfg(test)]
    pub fn apply(&mut self, text: &str) -> usize {
        let mut step = self.begin_edit(Snapshot {
            text: text.to_owned(),
            starts: crate::text::line_starts(text),
            unchanged: None,
        });
        let region = step.region_len();
        while !step.is_done() {
            step.step();
        }
        self.commit(step);
        region
    }

    /// A document holding `text`, checked.
    #[cfg(test)]
    pub fn checked(text: &str) -> Document {
        let mut doc = Document::default();
        doc.apply(text);
        doc
    }

    /// Length of the text in bytes.
    pub fn text_len(&self) -> usize {
        self.text.len()
    }

    /// Bytes `r` of the text (copied only when they straddle the last edit).
    pub fn slice(&self, r: Range<usize>) -> Cow<'_, str> {
        self.text.slice(r)
    }

    /// A copy of the whole text: for a check or a conversion that reads all of it.
    pub fn to_text(&self) -> String {
        self.text.to_text()
    }

    /// Whether the text holds nothing but whitespace.
    pub fn is_blank(&self) -> bool {
        let (a, b) = self.text.parts();
        a.trim().is_empty() && b.trim().is_empty()
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len().max(1)
    }

    /// The text of 0-based line `i`, without its newline.
    pub fn line(&self, i: usize) -> Cow<'_, str> {
        let Some(&start) = self.line_starts.get(i) else {
            return Cow::Borrowed("");
        };
        let end = self
            .line_starts
            .get(i + 1)
            .map_or(self.text.len(), |&e| e - 1);
        self.text.slice(start..end)
    }

    /// Byte offset where 0-based line `i` starts.
    pub fn line_start(&self, i: usize) -> usize {
        self.line_starts.get(i).copied().unwrap_or(self.text.len())
    }

    /// Whether a record (or a blank/comment line) starts on 0-based line `i`: batches are cut only there.
    pub fn is_boundary(&self, i: usize) -> bool {
        self.lines.get(i).is_none_or(|l| !l.continuation)
    }

    /// Whether a record (a data line, valid or not) starts on 0-based line `i`, as the parser
    /// found: blank lines, comments and continuations are none.
    pub fn starts_record(&self, i: usize) -> bool {
        self.lines.get(i).is_some_and(|l| l.record)
    }

    /// Starts checking `text` against the current state: finds the lines the edit touched and widens
    /// them to whole records.
    pub fn begin_edit(&mut self, snapshot: Snapshot) -> EditStep {
        let Snapshot {
            text,
            starts,
            unchanged,
        } = snapshot;
        let old_len = self.text.len();
        let (prefix, suffix) = match unchanged {
            Some(u) => {
                let prefix = u.prefix.min(old_len).min(text.len());
                (prefix, u.suffix.min(old_len.min(text.len()) - prefix))
            }
            None => {
                // Only the first check of a text compares it (the gap moves out of the way once).
                let old = self.text.contiguous();
                let prefix = common_prefix(old, &text);
                (prefix, common_suffix(old, &text, prefix))
            }
        };
        let (first, old_end, new_end) = self.region(prefix, suffix, old_len, text.len(), &starts);
        EditStep {
            text,
            starts,
            first,
            old_end,
            new_end,
            cursor: first,
            to_end: false,
            more_follows: false,
            region: Vec::new(),
        }
    }

    /// The lines an edit touched, widened to whole records: the first, the end in the old text
    /// and the end in the new one (`starts`), from the bytes the edit left alone at either end.
    fn region(
        &self,
        prefix: usize,
        suffix: usize,
        old_len: usize,
        new_len: usize,
        starts: &[usize],
    ) -> (usize, usize, usize) {
        let old_n = self.lines.len();
        let (mut first, mut old_end, mut new_end) = if old_n == 0 {
            (0, 0, starts.len())
        } else {
            let first = line_of(&self.line_starts, prefix);
            let old_last = line_of(&self.line_starts, old_len - suffix);
            let new_last = line_of(starts, new_len - suffix);
            (first, old_last + 1, new_last + 1)
        };
        while first > 0 && self.lines.get(first).is_some_and(|l| l.continuation) {
            first -= 1;
        }
        while old_end < old_n && self.lines[old_end].continuation {
            old_end += 1;
            new_end += 1;
        }
        (first, old_end, new_end)
    }

    /// Applies splice `s` to the document's own text in place and parses the records it touched,
    /// at once: a keystroke then costs no copy of a text of megabytes. False, with nothing
    /// changed, when the edit touches more lines than one slice parses, or when a record may run
    /// past them (an open string): the caller then checks a copy, in slices. `starts` is the line
    /// index of the text after the edit.
    pub fn try_edit_in_place(&mut self, s: &Splice, starts: &[usize]) -> bool {
        let old_len = self.text.len();
        if self.lines.is_empty() || s.range.end > old_len {
            return false;
        }
        let new_len = old_len - s.range.len() + s.insert.len();
        let (first, old_end, new_end) = self.region(
            s.range.start,
            old_len - s.range.end,
            old_len,
            new_len,
            starts,
        );
        if new_end - first > SLICE_LINES {
            return false;
        }
        let from = starts[first];
        let to = starts.get(new_end).copied().unwrap_or(new_len);
        let old_to = to + old_len - new_len;
        let mut region = String::with_capacity(to - from);
        region.push_str(&self.text.slice(from..s.range.start));
        region.push_str(&s.insert);
        region.push_str(&self.text.slice(s.range.end..old_to));
        let mut step = EditStep {
            text: region,
            starts: starts[first..new_end].iter().map(|p| p - from).collect(),
            first: 0,
            old_end: 0,
            new_end: new_end - first,
            cursor: 0,
            to_end: false,
            more_follows: to < new_len,
            region: Vec::new(),
        };
        step.step();
        if !step.is_done() || step.to_end {
            return false;
        }
        self.text.replace(s.range.clone(), &s.insert);
        let old_end = old_end.min(self.lines.len());
        self.lines.splice(first..old_end, step.region);
        self.line_starts.clear();
        self.line_starts.extend_from_slice(starts);
        for marks in [&mut self.batch, &mut self.warnings, &mut self.server] {
            shift(marks, first, old_end, new_end);
        }
        true
    }

    /// Applies a finished edit: new text, the region's fresh marks, and the other mark sets shifted.
    pub fn commit(&mut self, step: EditStep) {
        debug_assert!(step.is_done());
        let EditStep {
            text,
            starts,
            first,
            old_end,
            new_end,
            region,
            ..
        } = step;
        let old_end = old_end.min(self.lines.len());
        self.lines.splice(first..old_end, region);
        debug_assert_eq!(self.lines.len(), starts.len());
        self.text = GapText::from(text);
        self.line_starts = starts;
        for marks in [&mut self.batch, &mut self.warnings, &mut self.server] {
            shift(marks, first, old_end, new_end);
        }
    }

    /// Replaces the batch check's marks (errors and timestamp warnings).
    pub fn set_batch(
        &mut self,
        errors: BTreeMap<usize, LineMark>,
        warnings: BTreeMap<usize, LineMark>,
        precision: Precision,
    ) {
        self.batch = errors;
        self.warnings = warnings;
        self.write_unit = Some(precision).filter(|p| *p != Precision::Auto);
    }

    /// Adds the server's verdict on one line (0-based).
    pub fn add_server_mark(&mut self, line: usize, mark: LineMark) {
        if line < self.lines.len() {
            self.server.insert(line, mark);
        }
    }

    pub fn clear_server_marks(&mut self) {
        self.server.clear();
    }

    /// The error shown on 0-based line `i`, if any: the parser's first, then the server's, then the
    /// batch check's. The server's answer to a write says what happened to the line; the batch
    /// check, run again with the schema read after that write, would only say what might.
    pub fn error_on(&self, i: usize) -> Option<(&LineMark, Source)> {
        if let Some(m) = self.lines.get(i).and_then(|l| l.syntax.as_deref()) {
            return Some((m, Source::Syntax));
        }
        if let Some(m) = self.server.get(&i) {
            return Some((m, Source::Server));
        }
        self.batch.get(&i).map(|m| (m, Source::Batch))
    }

    pub fn warning_on(&self, i: usize) -> Option<&LineMark> {
        self.warnings.get(&i)
    }

    /// 0-based indexes of lines with an error, in order.
    pub fn error_lines(&self) -> Vec<usize> {
        let mut out: Vec<usize> = self
            .lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.syntax.is_some())
            .map(|(i, _)| i)
            .collect();
        out.extend(self.batch.keys().copied());
        out.extend(self.server.keys().copied());
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The quick fix of the error shown on 0-based line `i`.
    pub fn edit_on(&self, i: usize) -> Option<&LineEdit> {
        self.error_on(i).and_then(|(m, _)| m.edit.as_ref())
    }

    /// Every line whose shown error is of `kind` and has a quick fix: "fix all of this kind".
    pub fn edits_of_kind(&self, kind: &str) -> Vec<(usize, &LineEdit)> {
        self.error_lines()
            .into_iter()
            .filter_map(|i| match self.error_on(i) {
                Some((m, _)) if m.kind == kind => m.edit.as_ref().map(|e| (i, e)),
                _ => None,
            })
            .collect()
    }

    /// The text with `edits` applied (0-based line, its edit), and where the first one ends (a
    /// byte offset of the new text, for the caret).
    pub fn with_edits(&self, edits: &[(usize, &LineEdit)]) -> (String, usize) {
        let mut at: Vec<(Range<usize>, &str)> = edits
            .iter()
            .map(|(i, e)| {
                let base = self.line_start(*i);
                (base + e.range.start..base + e.range.end, e.text.as_str())
            })
            .collect();
        at.sort_by_key(|(r, _)| r.start);
        let mut out = String::with_capacity(self.text.len() + 16 * at.len());
        let mut from = 0;
        let mut caret = None;
        for (range, text) in at {
            if range.start < from {
                continue;
            }
            out.push_str(&self.text.slice(from..range.start));
            out.push_str(text);
            caret.get_or_insert(out.len());
            from = range.end;
        }
        out.push_str(&self.text.slice(from..self.text.len()));
        (out, caret.unwrap_or(0))
    }

    /// 0-based indexes of lines with a warning and no error, in order.
    pub fn warning_lines(&self) -> Vec<usize> {
        self.warnings
            .keys()
            .copied()
            .filter(|i| self.error_on(*i).is_none())
            .collect()
    }

    /// The warnings that share a fix, one group per fix, in the order of their first lines: a
    /// problems list shows "48 lines: timestamps look like seconds" once, with one button.
    pub fn warning_groups(&self) -> Vec<WarningGroup> {
        let mut groups: Vec<WarningGroup> = Vec::new();
        for (&i, mark) in &self.warnings {
            let Some(fix) = mark.fix else { continue };
            if self.error_on(i).is_some() {
                continue;
            }
            let unit = mark.edit.as_ref().and(self.write_unit);
            match groups.iter_mut().find(|g| g.fix == fix) {
                Some(g) => {
                    g.lines += 1;
                    if g.convert != unit {
                        g.convert = None;
                    }
                }
                None => groups.push(WarningGroup {
                    fix,
                    kind: mark.kind,
                    first_line: i as u32 + 1,
                    lines: 1,
                    convert: unit,
                }),
            }
        }
        groups
    }

    /// The edits of every warning of `kind` on a line without an error: "convert them all".
    pub fn warning_edits(&self, kind: &str) -> Vec<(usize, &LineEdit)> {
        self.warnings
            .iter()
            .filter(|(&i, m)| m.kind == kind && self.error_on(i).is_none())
            .filter_map(|(&i, m)| m.edit.as_ref().map(|e| (i, e)))
            .collect()
    }

    pub fn warning_count(&self) -> usize {
        self.warnings
            .keys()
            .filter(|i| self.error_on(**i).is_none())
            .count()
    }

    /// Every problem: each line's error in line order, then warnings on lines without one, at most
    /// `max_errors` errors and `max_warnings` warnings.
    pub fn problems(&self, max_errors: usize, max_warnings: usize) -> Vec<Problem> {
        let mut out = Vec::new();
        for i in self.error_lines().into_iter().take(max_errors) {
            if let Some((mark, source)) = self.error_on(i) {
                out.push(Problem {
                    line: i as u32 + 1,
                    mark: mark.clone(),
                    source,
                    severity: Severity::Error,
                });
            }
        }
        let warnings = self
            .warnings
            .iter()
            .filter(|(i, m)| m.fix.is_none() && self.error_on(**i).is_none())
            .take(max_warnings);
        for (&i, mark) in warnings {
            out.push(Problem {
                line: i as u32 + 1,
                mark: mark.clone(),
                source: Source::Batch,
                severity: Severity::Warning,
            });
        }
        out
    }
}

/// Drops marks inside the edited region `[first, old_end)` and moves the ones after it.
fn shift(marks: &mut BTreeMap<usize, LineMark>, first: usize, old_end: usize, new_end: usize) {
    let mut tail = marks.split_off(&first);
    let after = tail.split_off(&old_end);
    marks.extend(after.into_iter().map(|(i, m)| (i + new_end - old_end, m)));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(doc: &Document) -> Vec<usize> {
        doc.error_lines().into_iter().map(|i| i + 1).collect()
    }

    #[test]
    fn marks_only_the_bad_line() {
        let mut doc = Document::default();
        doc.apply("m f=1 1\nm f= 2\nm f=3 3\n");
        assert_eq!(errors(&doc), vec![2]);
        assert_eq!(doc.line_count(), 4);
        assert_eq!(doc.line(1), "m f= 2");
    }

    #[test]
    fn edit_reparses_only_touched_lines_and_fixes_mark() {
        let mut doc = Document::default();
        let text: String = (0..100).map(|i| format!("m f={i} {i}\n")).collect();
        doc.apply(&text);
        assert!(errors(&doc).is_empty());
        let broken = text.replacen("m f=50 50", "m f=50x 50", 1);
        let region = doc.apply(&broken);
        assert_eq!(region, 1);
        assert_eq!(errors(&doc), vec![51]);
        let region = doc.apply(&text);
        assert_eq!(region, 1);
        assert!(errors(&doc).is_empty());
    }

    #[test]
    fn inserted_lines_shift_other_marks() {
        let mut doc = Document::default();
        doc.apply("m f=1 1\nbad\nm f=3 3\n");
        doc.add_server_mark(
            2,
            LineMark {
                column: 1,
                end_column: 2,
                kind: "server",
                message: "x".into(),
                fix: None,
                edit: None,
            },
        );
        doc.apply("new f=0 0\nnew f=0 0\nm f=1 1\nbad\nm f=3 3\n");
        assert_eq!(errors(&doc), vec![4, 5]);
        assert_eq!(doc.error_on(4).map(|(_, s)| s), Some(Source::Server));
    }

    #[test]
    fn the_servers_verdict_outranks_the_batch_check() {
        let mut doc = Document::default();
        doc.apply("m f=1 1\n");
        let mark = |kind, message: &str| LineMark {
            column: 1,
            end_column: 2,
            kind,
            message: message.into(),
            fix: None,
            edit: None,
        };
        doc.set_batch(
            BTreeMap::from([(0, mark("type_conflict", "stored as string"))]),
            BTreeMap::new(),
            linewise_core::Precision::Second,
        );
        assert_eq!(doc.error_on(0).map(|(_, s)| s), Some(Source::Batch));
        doc.add_server_mark(0, mark("server", "rejected"));
        assert_eq!(
            doc.error_on(0).map(|(m, s)| (m.message.as_str(), s)),
            Some(("rejected", Source::Server))
        );
        doc.clear_server_marks();
        assert_eq!(doc.error_on(0).map(|(_, s)| s), Some(Source::Batch));
    }

    #[test]
    fn quick_fixes_come_from_the_core_and_apply_one_or_all() {
        let mut doc = Document::default();
        doc.apply("m f=1 1\nm f=2, 2\nm f=abc 3\nm g=3, 4\n");
        assert_eq!(
            doc.edit_on(1),
            Some(&LineEdit {
                title: "remove the trailing ','".into(),
                range: 5..6,
                text: String::new()
            })
        );
        assert_eq!(doc.edit_on(2).map(|e| e.text.as_str()), Some("\"abc\""));
        let one = [(2, doc.edit_on(2).unwrap())];
        assert_eq!(
            doc.with_edits(&one),
            ("m f=1 1\nm f=2, 2\nm f=\"abc\" 3\nm g=3, 4\n".into(), 26)
        );
        let all = doc.edits_of_kind("trailing_comma");
        assert_eq!(all.iter().map(|(i, _)| *i).collect::<Vec<_>>(), [1, 3]);
        let (text, _) = doc.with_edits(&all);
        assert_eq!(text, "m f=1 1\nm f=2 2\nm f=abc 3\nm g=3 4\n");
        doc.apply(&text);
        assert_eq!(errors(&doc), [3]);
    }

    #[test]
    fn warnings_that_share_a_fix_are_one_group() {
        let mut doc = Document::default();
        doc.apply("m f=1 1\nm f=1 2\nm f= 3\nm f=1 4\n");
        let warning = |fix: Option<Fix>| LineMark {
            column: 7,
            end_column: 8,
            kind: "timestamp_unit",
            message: "looks like seconds".into(),
            fix,
            edit: fix.map(|_| LineEdit {
                title: "write 1000000000 (ns)".into(),
                range: 6..7,
                text: "1000000000".into(),
            }),
        };
        let fix = Fix::Precision(linewise_core::Precision::Second);
        let seconds = Some(fix);
        doc.set_batch(
            BTreeMap::new(),
            BTreeMap::from([
                (0, warning(seconds)),
                (1, warning(seconds)),
                (2, warning(seconds)),
                (3, warning(None)),
            ]),
            linewise_core::Precision::Nanosecond,
        );
        // Line 3 has a syntax error: its warning is not shown, in the group or elsewhere.
        assert_eq!(
            doc.warning_groups(),
            [WarningGroup {
                fix,
                kind: "timestamp_unit",
                first_line: 1,
                lines: 2,
                convert: Some(linewise_core::Precision::Nanosecond),
            }]
        );
        let edits: Vec<usize> = doc
            .warning_edits("timestamp_unit")
            .iter()
            .map(|(i, _)| *i)
            .collect();
        assert_eq!(edits, [0, 1]);
        let (text, _) = doc.with_edits(&doc.warning_edits("timestamp_unit"));
        assert_eq!(
            text,
            "m f=1 1000000000\nm f=1 1000000000\nm f= 3\nm f=1 4\n"
        );
        let listed: Vec<u32> = doc.problems(10, 10).iter().map(|p| p.line).collect();
        assert_eq!(
            listed,
            [3, 4],
            "the error, then the one warning without a fix"
        );
        assert_eq!(doc.warning_lines(), [0, 1, 3]);
    }

    #[test]
    fn multi_line_string_is_one_record() {
        let mut doc = Document::default();
        doc.apply("m s=\"a\nb\" 1\nm f=1 2\n");
        assert!(errors(&doc).is_empty(), "{:?}", doc.problems(10, 10));
        assert!(!doc.is_boundary(1));
        // Closing the quote on another line and breaking it again re-parses the whole record.
        doc.apply("m s=\"a\nb 1\nm f=1 2\n");
        assert!(!errors(&doc).is_empty());
    }

    #[test]
    fn edits_in_place_mark_as_a_fresh_check_does() {
        let mut text = String::from("m f=1 1\nm s=\"a\nb\" 2\nbad\nm f=3 3\n");
        let mut doc = Document::checked(&text);
        let edits = [
            (0, 0, "x"),
            (2, 3, ""),
            (9, 9, "\"open"),
            (20, 21, "\n"),
            (0, 1, "m"),
            (5, 5, "2i"),
        ];
        let mut in_place = 0;
        for (a, b, insert) in edits {
            let (a, b) = (a.min(text.len()), b.min(text.len()));
            let splice = Splice {
                range: a..b,
                insert: insert.into(),
            };
            text.replace_range(a..b, insert);
            let starts = crate::text::line_starts(&text);
            if doc.try_edit_in_place(&splice, &starts) {
                in_place += 1;
            } else {
                doc.apply(&text);
            }
            let fresh = Document::checked(&text);
            assert!(doc.text == *text);
            assert_eq!(doc.line_starts, fresh.line_starts);
            assert_eq!(
                doc.lines, fresh.lines,
                "after {a}..{b} -> {insert:?}: {text:?}"
            );
        }
        assert!(in_place >= 4, "most edits go in place ({in_place})");
    }

    #[test]
    fn big_region_is_parsed_in_slices() {
        let mut doc = Document::default();
        let text: String = (0..10_000)
            .map(|i| {
                if i == 9_999 {
                    "x\n".into()
                } else {
                    format!("m f={i}\n")
                }
            })
            .collect();
        let mut step = doc.begin_edit(Snapshot {
            text: text.clone(),
            starts: crate::text::line_starts(&text),
            unchanged: None,
        });
        let mut slices = 0;
        while !step.is_done() {
            step.step();
            slices += 1;
        }
        doc.commit(step);
        assert!(slices >= 3);
        assert_eq!(errors(&doc), vec![10_000]);
    }
}
