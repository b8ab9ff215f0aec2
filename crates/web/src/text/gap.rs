//! A text held in a gap buffer: the bytes before the gap, room, the bytes after it. An edit moves
//! the gap to itself, which copies only the bytes between the last edit and this one, so typing
//! into the middle of 30 MB costs what typing into a short text does; a `String` would move the
//! whole tail at every key (two tails, the model's and the checker's: two frames of a 34 MB text).
//!
//! Readers take slices: a range wholly on one side of the gap is borrowed, one across it is
//! copied (a line being typed in, a few hundred bytes). Whole-text readers (a batch check, a
//! write, a copy of everything) get one copy, as they did from a `String`.
use std::borrow::Cow;
use std::ops::Range;

/// Room made when the gap is full: a share of the text, so a paste of megabytes followed by
/// typing grows it once, not at every key.
fn room_for(len: usize) -> usize {
    (len / 64).max(4096)
}

#[derive(Debug, Clone, Default)]
pub struct GapText {
    /// `before`, the gap, `after`; the gap's bytes are zeros (never read).
    buf: Vec<u8>,
    gap: Range<usize>,
}

impl From<String> for GapText {
    fn from(text: String) -> Self {
        let len = text.len();
        let mut buf = text.into_bytes();
        buf.resize(len + room_for(len), 0);
        GapText {
            gap: len..buf.len(),
            buf,
        }
    }
}

impl PartialEq<str> for GapText {
    fn eq(&self, other: &str) -> bool {
        let (a, b) = self.parts();
        other.len() == self.len()
            && other.as_bytes()[..a.len()] == *a.as_bytes()
            && other.as_bytes()[a.len()..] == *b.as_bytes()
    }
}

impl GapText {
    pub fn len(&self) -> usize {
        self.buf.len() - self.gap.len()
    }

    /// The text before the gap and after it.
    pub fn parts(&self) -> (&str, &str) {
        // The gap only ever sits on a character boundary (`replace` checks its range), so both
        // sides are UTF-8.
        let before = &self.buf[..self.gap.start];
        let after = &self.buf[self.gap.end..];
        debug_assert!(std::str::from_utf8(before).is_ok() && std::str::from_utf8(after).is_ok());
        // SAFETY: the buffer only holds whole `str`s, and the gap moves only to character
        // boundaries (`replace` asserts them), so each side is valid UTF-8.
        unsafe {
            (
                std::str::from_utf8_unchecked(before),
                std::str::from_utf8_unchecked(after),
            )
        }
    }

    /// Bytes `r` of the text: borrowed unless they straddle the gap.
    pub fn slice(&self, r: Range<usize>) -> Cow<'_, str> {
        let (a, b) = self.parts();
        let split = a.len();
        if r.end <= split {
            Cow::Borrowed(&a[r])
        } else if r.start >= split {
            Cow::Borrowed(&b[r.start - split..r.end - split])
        } else {
            let mut out = String::with_capacity(r.len());
            out.push_str(&a[r.start..]);
            out.push_str(&b[..r.end - split]);
            Cow::Owned(out)
        }
    }

    /// The byte at `i`.
    pub fn byte(&self, i: usize) -> u8 {
        if i < self.gap.start {
            self.buf[i]
        } else {
            self.buf[i + self.gap.len()]
        }
    }

    /// Whether byte `i` starts a character (or is the end).
    pub fn is_char_boundary(&self, i: usize) -> bool {
        i == self.len() || (i < self.len() && (self.byte(i) as i8) >= -0x40)
    }

    /// A copy of the whole text, with room to be made a `GapText` again without a copy.
    pub fn to_text(&self) -> String {
        let (a, b) = self.parts();
        let mut out = String::with_capacity(self.len() + room_for(self.len()));
        out.push_str(a);
        out.push_str(b);
        out
    }

    /// The whole text as one slice: the gap moves to the end (a copy of what follows it).
    pub fn contiguous(&mut self) -> &str {
        let len = self.len();
        self.open(len..len);
        self.parts().0
    }

    /// Replaces bytes `range` (on character boundaries) with `insert`.
    pub fn replace(&mut self, range: Range<usize>, insert: &str) {
        // Checked, not assumed: `parts` relies on both sides of the gap staying UTF-8.
        assert!(
            range.start <= range.end
                && self.is_char_boundary(range.start)
                && self.is_char_boundary(range.end),
            "splice {range:?} is not on character boundaries"
        );
        self.open(range);
        if insert.len() > self.gap.len() {
            self.grow(insert.len());
        }
        let at = self.gap.start;
        self.buf[at..at + insert.len()].copy_from_slice(insert.as_bytes());
        self.gap.start += insert.len();
    }

    /// Makes the gap start at `range.start` and take in the bytes of `range`, moving only the
    /// bytes between the gap and the range: replacing a whole text moves none of it.
    fn open(&mut self, range: Range<usize>) {
        let Range { start, end } = self.gap.clone();
        self.gap = if range.end <= start {
            // The range is before the gap: the bytes between them move to the gap's end.
            let n = start - range.end;
            self.buf.copy_within(range.end..start, end - n);
            range.start..end - n
        } else if range.start >= start {
            // After the gap: the bytes between them move to the gap's start.
            let n = range.start - start;
            self.buf.copy_within(end..end + n, start);
            range.start..end + n + range.len()
        } else {
            // Across the gap's start: nothing moves.
            range.start..end + (range.end - start)
        };
    }

    /// Makes the gap at least `need` bytes wide.
    fn grow(&mut self, need: usize) {
        let add = need - self.gap.len() + room_for(self.len() + need);
        let old_end = self.gap.end;
        let tail = self.buf.len() - old_end;
        self.buf.resize(self.buf.len() + add, 0);
        let new_end = self.buf.len() - tail;
        self.buf.copy_within(old_end..old_end + tail, new_end);
        self.gap.end = new_end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_anywhere_read_back_as_a_string_would() {
        let mut g = GapText::from("m f=1 1\nm f=2 2\n".to_owned());
        let mut s = "m f=1 1\nm f=2 2\n".to_owned();
        let mut next = crate::text::numbers(11);
        for round in 0..2000 {
            let len = s.len();
            let a = next(len + 1);
            // Some ranges long enough to run across the gap (left at the last edit).
            let b = (a + if round % 3 == 0 { next(60) } else { next(8) }).min(len);
            if !s.is_char_boundary(a) || !s.is_char_boundary(b) {
                continue;
            }
            // Now and then a large insert, past the gap's room.
            let insert = if round % 500 == 7 {
                "é\nxyz".repeat(3000)
            } else {
                ["", "\n", "x", "é\n", "q r"][next(5)].to_owned()
            };
            s.replace_range(a..b, &insert);
            g.replace(a..b, &insert);
            assert_eq!(g.len(), s.len());
            assert!(g == *s.as_str());
            let c = next(s.len() + 1);
            let d = (c + next(40)).min(s.len());
            if s.is_char_boundary(c) && s.is_char_boundary(d) {
                assert_eq!(g.slice(c..d), &s[c..d]);
                assert_eq!(g.is_char_boundary(c), s.is_char_boundary(c));
            }
        }
        assert_eq!(g.to_text(), s);
        assert_eq!(g.contiguous(), s);
        // A whole text replaced: nothing of the old one is kept or moved.
        let len = g.len();
        g.replace(0..len, "m f=1 1\n");
        assert!(g == *"m f=1 1\n");
    }

    #[test]
    fn a_slice_across_the_gap_is_copied_and_one_beside_it_borrowed() {
        let mut g = GapText::from("abcdef".to_owned());
        g.replace(3..3, "X");
        assert_eq!(g.parts(), ("abcX", "def"));
        assert!(matches!(g.slice(0..4), Cow::Borrowed("abcX")));
        assert!(matches!(g.slice(4..7), Cow::Borrowed("def")));
        assert!(matches!(g.slice(2..6), Cow::Owned(ref s) if s == "cXde"));
        assert_eq!(g.byte(4), b'd');
    }
}
