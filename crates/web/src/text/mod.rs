//! The editor's own model of the text: the newest text with its line index, changed by splices.
//!
//! The textarea holds only a window of lines around the view (see [`window`]), so the whole text
//! lives here, in a gap buffer ([`gap`]). A keystroke is a splice of a few bytes: the gap moves to
//! it (the bytes since the last key) and the line index after the edit is shifted in place,
//! instead of reading, converting and re-indexing megabytes from the DOM at every key. The checker
//! takes a [`Snapshot`] with the byte range the edits since the last one could have touched, so it
//! need not compare the texts to find it.
pub mod gap;
pub mod history;
pub mod window;

use std::borrow::Cow;
use std::ops::Range;

use gap::GapText;

/// One replacement: bytes `range` of the text replaced by `insert`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Splice {
    pub range: Range<usize>,
    pub insert: String,
}

impl Splice {
    /// Byte offset just after the inserted text: where the caret goes.
    pub fn end_after(&self) -> usize {
        self.range.start + self.insert.len()
    }
}

/// The part of a text that edits since a snapshot may have changed: its first `prefix` bytes and
/// its last `suffix` bytes are as they were in the snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unchanged {
    pub prefix: usize,
    pub suffix: usize,
}

/// The text as the checker takes it: a copy, its line index, and what is unchanged
/// since the previous snapshot (`None`: compare to find out).
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub text: String,
    pub starts: Vec<usize>,
    pub unchanged: Option<Unchanged>,
}

/// The newest text and where its lines start.
#[derive(Debug)]
pub struct Text {
    text: GapText,
    starts: Vec<usize>,
    /// What is unchanged since the last snapshot; `None` before the first.
    unchanged: Option<Unchanged>,
    /// A snapshot was never taken: the checker must compare.
    fresh: bool,
}

impl Default for Text {
    fn default() -> Self {
        Text {
            text: GapText::default(),
            starts: vec![0],
            unchanged: None,
            fresh: true,
        }
    }
}

/// Byte offsets where each physical line starts. A trailing newline opens a last, empty line, as
/// in a textarea. (The model keeps its index by splices; tests build one from scratch.)
#[cfg(test)]
pub fn line_starts(text: &str) -> Vec<usize> {
    let mut starts = Vec::with_capacity(text.len() / 40 + 1);
    starts.push(0);
    starts.extend(newlines(text, 0));
    starts
}

/// Line starts after each newline of `text`, offset by `base`. memchr, not a byte loop: a paste
/// of 140 MB is indexed inside one event.
fn newlines(text: &str, base: usize) -> impl Iterator<Item = usize> + '_ {
    memchr::memchr_iter(b'\n', text.as_bytes()).map(move |i| base + i + 1)
}

/// Numbers below `n` from a fixed seed, for the tests that make random splices.
#[cfg(test)]
pub fn numbers(mut seed: u64) -> impl FnMut(usize) -> usize {
    move |n| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as usize % n.max(1)
    }
}

/// Index of the line holding byte `pos`.
pub fn line_of(starts: &[usize], pos: usize) -> usize {
    starts.partition_point(|&s| s <= pos).saturating_sub(1)
}

/// Length of the common prefix of `a` and `b`, on a character boundary. Compares 64-byte blocks
/// first: a byte-at-a-time loop over a 30 MB text is a visible pause in wasm.
pub fn common_prefix(a: &str, b: &str) -> usize {
    const BLOCK: usize = 64;
    let (x, y) = (a.as_bytes(), b.as_bytes());
    let max = x.len().min(y.len());
    let mut n = 0;
    while n + BLOCK <= max && x[n..n + BLOCK] == y[n..n + BLOCK] {
        n += BLOCK;
    }
    while n < max && x[n] == y[n] {
        n += 1;
    }
    while !a.is_char_boundary(n) || !b.is_char_boundary(n) {
        n -= 1;
    }
    n
}

/// Length of the common suffix of `a` and `b` that leaves at least `keep` bytes of each before it,
/// on a character boundary.
pub fn common_suffix(a: &str, b: &str, keep: usize) -> usize {
    const BLOCK: usize = 64;
    let (x, y) = (a.as_bytes(), b.as_bytes());
    let max = (x.len() - keep).min(y.len() - keep);
    let (xe, ye) = (x.len(), y.len());
    let mut n = 0;
    while n + BLOCK <= max && x[xe - n - BLOCK..xe - n] == y[ye - n - BLOCK..ye - n] {
        n += BLOCK;
    }
    while n < max && x[xe - n - 1] == y[ye - n - 1] {
        n += 1;
    }
    while !a.is_char_boundary(xe - n) || !b.is_char_boundary(ye - n) {
        n -= 1;
    }
    n
}

/// The splice that turns `old` into `new`: their differing middle.
pub fn diff(old: &str, new: &str) -> Splice {
    let prefix = common_prefix(old, new);
    let suffix = common_suffix(old, new, prefix);
    Splice {
        range: prefix..old.len() - suffix,
        insert: new[prefix..new.len() - suffix].to_owned(),
    }
}

impl Text {
    /// Bytes `r` of the text (copied only when they straddle the gap: the line being typed in).
    pub fn slice(&self, r: Range<usize>) -> Cow<'_, str> {
        self.text.slice(r)
    }

    /// A copy of the whole text.
    pub fn to_text(&self) -> String {
        self.text.to_text()
    }

    /// The whole text as one slice (moves the gap to the end: for whole-text comparisons).
    pub fn contiguous(&mut self) -> &str {
        self.text.contiguous()
    }

    pub fn len(&self) -> usize {
        self.text.len()
    }

    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// Byte offset where 0-based line `i` starts (the text's end past the last line).
    pub fn line_start(&self, i: usize) -> usize {
        self.starts.get(i).copied().unwrap_or(self.text.len())
    }

    /// Byte offset of the end of 0-based line `i`, before its newline.
    pub fn line_end(&self, i: usize) -> usize {
        self.starts.get(i + 1).map_or(self.text.len(), |&s| s - 1)
    }

    /// Index of the line holding byte `pos`.
    pub fn line_of(&self, pos: usize) -> usize {
        line_of(&self.starts, pos)
    }

    /// Applies `s` and returns the splice that undoes it.
    pub fn apply(&mut self, s: &Splice) -> Splice {
        let Range { start, end } = s.range;
        let removed = self.text.slice(start..end).into_owned();
        let old_len = self.text.len();
        self.text.replace(start..end, &s.insert);
        // The index in place: the removed lines' starts give way to the inserted ones, and the
        // starts after them shift by the change in length.
        let keep = self.starts.partition_point(|&p| p <= start);
        let tail = self.starts.partition_point(|&p| p <= end);
        let grow = s.insert.len() as isize - (end - start) as isize;
        let before = self.starts.len();
        self.starts.splice(keep..tail, newlines(&s.insert, start));
        let after = tail + self.starts.len() - before;
        for p in &mut self.starts[after..] {
            *p = p.wrapping_add_signed(grow);
        }
        if let Some(u) = &mut self.unchanged {
            u.prefix = u.prefix.min(start);
            u.suffix = u.suffix.min(old_len - end);
        }
        Splice {
            range: start..start + s.insert.len(),
            insert: removed,
        }
    }

    /// Replaces the whole text with `new`, as the splice of the part that differs.
    #[cfg(test)]
    pub fn replace(&mut self, new: &str) -> Splice {
        let s = diff(self.text.contiguous(), new);
        self.apply(&s)
    }

    pub fn starts(&self) -> &[usize] {
        &self.starts
    }

    /// The checker took the edits since the last snapshot in place: nothing is changed since.
    pub fn synced(&mut self) {
        self.fresh = false;
        let len = self.text.len();
        self.unchanged = Some(Unchanged {
            prefix: len,
            suffix: len,
        });
    }

    /// A copy for the checker, and what changed since the previous one.
    pub fn snapshot(&mut self) -> Snapshot {
        let unchanged = if self.fresh { None } else { self.unchanged };
        self.fresh = false;
        let len = self.text.len();
        self.unchanged = Some(Unchanged {
            prefix: len,
            suffix: len,
        });
        Snapshot {
            text: self.text.to_text(),
            starts: self.starts.clone(),
            unchanged,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Text {
        let mut t = Text::default();
        t.replace(s);
        t
    }

    #[test]
    fn a_splice_keeps_the_line_index_exact_and_returns_its_undo() {
        let mut t = text("a\nbb\nccc\n");
        let undo = t.apply(&Splice {
            range: 3..7,
            insert: "X\nY".into(),
        });
        assert_eq!(t.to_text(), "a\nbX\nYc\n");
        assert_eq!(t.starts, line_starts(&t.to_text()));
        t.apply(&undo);
        assert_eq!(t.to_text(), "a\nbb\nccc\n");
        assert_eq!(t.starts, line_starts(&t.to_text()));
    }

    #[test]
    fn the_line_index_survives_random_splices() {
        let mut t = text("m f=1 1\nm f=2 2\n\nm f=3 3\n");
        let mut next = numbers(7);
        for _ in 0..500 {
            let len = t.len();
            let a = next(len + 1);
            let b = (a + next(6)).min(len);
            let insert = ["", "\n", "x", "é\n", "\n\nq"][next(5)].to_owned();
            let now = t.to_text();
            if !now.is_char_boundary(a) || !now.is_char_boundary(b) {
                continue;
            }
            t.apply(&Splice {
                range: a..b,
                insert,
            });
            assert_eq!(t.starts, line_starts(&t.to_text()));
        }
    }

    #[test]
    fn diff_finds_the_middle_on_character_boundaries() {
        assert_eq!(
            diff("abc", "abXc"),
            Splice {
                range: 2..2,
                insert: "X".into()
            }
        );
        // 'é' (C3 A9) and 'è' (C3 A8) share a first byte: the splice still covers whole characters.
        let s = diff("aé", "aè");
        assert_eq!((s.range, s.insert.as_str()), (1..3, "è"));
        assert_eq!(diff("aaaa", "aa").range, 2..4);
        let long = "x".repeat(1000);
        let s = diff(&format!("{long}1{long}"), &format!("{long}22{long}"));
        assert_eq!((s.range, s.insert.as_str()), (1000..1001, "22"));
    }

    #[test]
    fn snapshots_say_what_changed_since_the_last_one() {
        let mut t = text("0123456789");
        assert_eq!(t.snapshot().unchanged, None);
        t.apply(&Splice {
            range: 2..3,
            insert: "ab".into(),
        });
        t.apply(&Splice {
            range: 8..8,
            insert: "z".into(),
        });
        let s = t.snapshot();
        assert_eq!(&*s.text, "01ab3456z789");
        assert_eq!(
            s.unchanged,
            Some(Unchanged {
                prefix: 2,
                suffix: 3
            })
        );
        assert_eq!(
            t.snapshot().unchanged,
            Some(Unchanged {
                prefix: 12,
                suffix: 12
            })
        );
    }
}
