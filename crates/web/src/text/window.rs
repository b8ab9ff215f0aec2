//! The window of lines the textarea holds. A textarea lays out and shapes its whole value at every
//! change: with a 30 MB document in it, each keystroke cost the browser a second before anything
//! of the page ran. So it holds the lines around the view (a few hundred, whatever the document's
//! size), padded above and below to the document's full height so its scrollbar and scrolling
//! are the document's; the backdrop draws the text from the model, so moving the window shows
//! nothing. Typing, selection, IME and the clipboard inside the window stay the browser's own.
use std::ops::Range;

use super::{diff, Splice, Text};

/// Lines kept in the textarea above and below the view, at most.
pub const MARGIN: usize = 300;
/// Lines kept above and below the view, at least: a screen, so paging stays inside the textarea.
pub const MIN_MARGIN: usize = 30;
/// Bytes kept above and below the view, at most (down to `MIN_MARGIN` lines). Every keystroke
/// costs the browser a layout and paint of the textarea's whole value (inserting the character,
/// shaping, painting): 600 lines of 345 bytes made that 20 ms a key, 100 lines of them 3.
pub const MARGIN_BYTES: usize = 16 * 1024;
/// The window moves when the view or the caret comes this close to an edge that is not the
/// text's: a third of its margin, at most this.
pub const EDGE: usize = 100;

/// Lines `[first, end)` of the text, starting at byte `base`, as last given to the textarea.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Window {
    pub first: usize,
    pub end: usize,
    pub base: usize,
    pub text: String,
    ascii: bool,
    /// How near an inner edge the view may come before the window moves.
    edge: usize,
}

impl Window {
    /// The window for lines `view` in view: they and, on either side, the lines that fit in
    /// `MARGIN_BYTES` (`MIN_MARGIN` to `MARGIN` of them).
    pub fn around(t: &Text, view: Range<usize>) -> Window {
        let n = t.line_count();
        let start = view.start.min(n - 1);
        let stop = view.end.clamp(start + 1, n);
        let top = t.line_start(start);
        let fit_above = match top.checked_sub(MARGIN_BYTES) {
            Some(pos) => t.line_of(pos) + 1,
            None => 0,
        };
        let first = fit_above.clamp(
            start.saturating_sub(MARGIN),
            start.saturating_sub(MIN_MARGIN),
        );
        let bottom = t.line_end(stop - 1) + MARGIN_BYTES;
        let fit_below = if bottom >= t.len() {
            n
        } else {
            t.line_of(bottom)
        };
        let end = fit_below.clamp(stop + MIN_MARGIN, stop + MARGIN).min(n);
        let margin = (start - first).max(end - stop);
        let base = t.line_start(first);
        let text = t.slice(base..t.line_end(end - 1)).into_owned();
        Window {
            first,
            end,
            base,
            ascii: text.is_ascii(),
            text,
            edge: (margin / 3).clamp(1, EDGE),
        }
    }

    /// Whether the window holds the whole text, so the textarea is the document.
    pub fn is_all(&self, lines: usize) -> bool {
        self.first == 0 && self.end >= lines
    }

    /// Whether lines `view` (and a caret on them) sit far enough from the window's inner edges.
    pub fn holds(&self, view: Range<usize>, lines: usize) -> bool {
        let top = self.first == 0 || view.start >= self.first + self.edge;
        let bottom = self.end >= lines || view.end + self.edge <= self.end;
        top && bottom
    }

    /// The splice of the text that the textarea's new `value` makes. `whole` says the value
    /// replaces the whole text: the textarea's selection covered the whole window (select all)
    /// or a script set the value. The window then holds `value`.
    pub fn take(&mut self, value: String, whole: bool, text_len: usize) -> Splice {
        let splice = if whole {
            self.first = 0;
            self.base = 0;
            Splice {
                range: 0..text_len,
                insert: value.clone(),
            }
        } else {
            let s = diff(&self.text, &value);
            Splice {
                range: self.base + s.range.start..self.base + s.range.end,
                insert: s.insert,
            }
        };
        self.end = self.first + 1 + memchr::memchr_iter(b'\n', value.as_bytes()).count();
        self.ascii = value.is_ascii();
        self.text = value;
        splice
    }

    /// Byte offset in the text of the textarea's UTF-16 offset `pos`.
    pub fn text_offset(&self, pos: u32) -> usize {
        let pos = pos as usize;
        if self.ascii {
            return self.base + pos.min(self.text.len());
        }
        let mut units = 0;
        for (i, c) in self.text.char_indices() {
            if units >= pos {
                return self.base + i;
            }
            units += c.len_utf16();
        }
        self.base + self.text.len()
    }

    /// The textarea's UTF-16 offset for byte `at` of the text, if the window holds it.
    pub fn textarea_offset(&self, at: usize) -> Option<u32> {
        let local = at.checked_sub(self.base)?;
        if local > self.text.len() || !self.text.is_char_boundary(local) {
            return None;
        }
        if self.ascii {
            return Some(local as u32);
        }
        Some(self.text[..local].encode_utf16().count() as u32)
    }

    /// UTF-16 length of the window's text: a selection of `0..utf16_len` selects it all.
    pub fn utf16_len(&self) -> u32 {
        if self.ascii {
            self.text.len() as u32
        } else {
            self.text.encode_utf16().count() as u32
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbered(n: usize) -> Text {
        let mut t = Text::default();
        let s: String = (0..n).map(|i| format!("m f={i} {i}\n")).collect();
        t.replace(&s);
        t
    }

    #[test]
    fn the_window_holds_the_view_and_its_margins() {
        let t = numbered(10_000);
        let w = Window::around(&t, 5_000..5_030);
        assert_eq!((w.first, w.end), (5_000 - MARGIN, 5_030 + MARGIN));
        assert!(w
            .text
            .starts_with(&format!("m f={0} {0}\n", 5_000 - MARGIN)));
        assert!(w.text.ends_with(&format!("m f={0} {0}", 5_029 + MARGIN)));
        assert!(w.holds(5_000..5_030, t.line_count()));
        assert!(!w.holds(5_000 - MARGIN + 10..5_000, t.line_count()));
        let top = Window::around(&t, 0..30);
        assert_eq!(top.first, 0);
        assert!(top.holds(0..30, t.line_count()));
        assert!(Window::around(&numbered(20), 0..30).is_all(21));
    }

    #[test]
    fn long_lines_get_a_margin_of_bytes_and_a_nearer_edge() {
        // 345-byte lines, as in the cpu benchmark: 300 of them a side would be 200 KB of textarea.
        let mut t = Text::default();
        let line = format!("{}\n", "x".repeat(344));
        t.replace(&line.repeat(10_000));
        let w = Window::around(&t, 5_000..5_030);
        let fit = MARGIN_BYTES / line.len();
        assert!(
            (5_000 - w.first).abs_diff(fit) <= 1,
            "{} above",
            5_000 - w.first
        );
        assert!(
            (w.end - 5_030).abs_diff(fit) <= 1,
            "{} below",
            w.end - 5_030
        );
        assert!(w.text.len() <= (60 + 2 * fit) * line.len());
        assert!(w.holds(5_000..5_030, t.line_count()));
        // Nearing the edge by a third of the margin moves the window.
        assert!(!w.holds(
            w.first + fit / 3 - 2..w.first + fit / 3 + 28,
            t.line_count()
        ));
        // Lines longer than the budget: a screen a side all the same.
        let mut wide = Text::default();
        wide.replace(&format!("{}\n", "y".repeat(20_000)).repeat(200));
        let w = Window::around(&wide, 100..130);
        assert_eq!((w.first, w.end), (100 - MIN_MARGIN, 130 + MIN_MARGIN));
    }

    #[test]
    fn typing_in_the_window_is_a_splice_of_the_text() {
        let mut t = numbered(10_000);
        let mut w = Window::around(&t, 5_000..5_030);
        let mut value = w.text.clone();
        let at = value.find("m f=5010 ").expect("line 5010") + 4;
        value.insert_str(at, "9\nm f=1 ");
        let s = w.take(value, false, t.len());
        t.apply(&s);
        assert_eq!(t.slice(t.line_start(5010)..t.line_end(5010)), "m f=9");
        assert_eq!(
            t.slice(t.line_start(5011)..t.line_end(5011)),
            "m f=1 5010 5010"
        );
        assert_eq!(w.end, 5_031 + MARGIN);
        assert_eq!(w.text, t.slice(w.base..t.line_end(w.end - 1)));
    }

    #[test]
    fn a_whole_value_replaces_the_whole_text() {
        let mut t = numbered(10_000);
        let mut w = Window::around(&t, 5_000..5_030);
        let s = w.take("a b=1\n".into(), true, t.len());
        t.apply(&s);
        assert_eq!(t.to_text(), "a b=1\n");
        assert_eq!((w.first, w.end, w.base), (0, 2, 0));
    }

    #[test]
    fn offsets_convert_between_utf16_and_bytes() {
        let mut t = Text::default();
        t.replace("zero\nm,t=é😀 f=1\nend");
        let w = Window::around(&t, 1..2);
        assert_eq!(w.first, 0);
        let line = w.text.find("m,t").expect("line 1");
        // 'é' is 1 UTF-16 unit and 2 bytes, '😀' 2 units and 4 bytes.
        let after_emoji16 = (line + 4 + 1 + 2) as u32;
        let after_emoji = line + 4 + 2 + 4;
        assert_eq!(w.text_offset(after_emoji16), after_emoji);
        assert_eq!(w.textarea_offset(after_emoji), Some(after_emoji16));
        assert_eq!(w.utf16_len(), w.text.encode_utf16().count() as u32);
    }
}
