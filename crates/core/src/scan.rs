//! Byte classes and the token scanner.
//!
//! Tokens of real line protocol are a few bytes long and of varying length. A loop that tests one
//! byte at a time mispredicts its exit once per token, and a search that loads a block at each
//! token start makes every token wait for the previous one's load and compare. So the scanner
//! keeps a bitmap of *candidate* stop bytes (every byte that ends a token of some class: `<= 0x20`,
//! `,`, `=`, `\`) for a 64-byte window, built with independent block compares, and each token end
//! is one shift and one trailing-zero count away. A candidate that does not end the token being
//! scanned (`=` in a tag value, a control byte in a name) is stepped over.
//!
//! Windows are built from 16-byte SSE2 compares on x86_64 (part of its baseline) and from 8-byte
//! words elsewhere (WASM, ARM); a window that would reach past the input is built byte by byte.
//!
//! The scanner also checks UTF-8 as it goes. The parser's tokens must be valid UTF-8; that used to
//! be a separate check of the whole input before parsing, a tenth of the parse time, most of it
//! spent reading the input from memory a second time. Now building a window notes whether all its
//! bytes are ASCII (one more compare per block), only a window with other bytes goes through a
//! UTF-8 check, and a token that ends inside the run checked so far needs no check of its own.
use core::cell::Cell;

/// Ends a measurement: `,`, space, `\`, tab, `\r`, `\n`.
pub(crate) const MEAS: u8 = 1;
/// Ends a tag or field key: as `MEAS`, plus `=`.
pub(crate) const KEY: u8 = 2;
/// Ends a tag value: as `MEAS` (`=` is literal in tag values).
pub(crate) const TAGV: u8 = 4;
/// Ends a number, boolean or timestamp: `,`, space, `\r`, `\n`.
pub(crate) const VALUE: u8 = 8;

const NAMES: u8 = MEAS | KEY | TAGV;

static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    t[b',' as usize] = NAMES | VALUE;
    t[b' ' as usize] = NAMES | VALUE;
    t[b'\n' as usize] = NAMES | VALUE;
    t[b'\r' as usize] = NAMES | VALUE;
    t[b'\\' as usize] = NAMES;
    t[b'\t' as usize] = NAMES;
    t[b'=' as usize] = KEY;
    t
};

/// Width of the candidate window in bytes: one bit each in a `u64`.
const WINDOW: usize = 64;

/// Whether `c` may end a token of some class: every byte with a `CLASS` bit is one.
#[inline(always)]
fn is_candidate(c: u8) -> bool {
    c <= b' ' || c == b',' || c == b'=' || c == b'\\'
}

/// Finds token ends in one input, and checks UTF-8 on the way. Interior mutability lets the
/// parser's `&self` methods share it; any position may be asked for (a position outside the
/// window rebuilds it there).
pub(crate) struct Scanner {
    /// Input position of the window's first byte.
    base: Cell<usize>,
    /// Bit `k` set when the byte at `base + k` is a candidate (bits past the input are clear).
    bits: Cell<u64>,
    /// The input from the current record's start up to here is valid UTF-8, and a character
    /// starts here (or the input ends). It stops at the first invalid byte of a record.
    valid_end: Cell<usize>,
}

impl Scanner {
    pub(crate) fn new() -> Self {
        Scanner {
            // No window yet: no input position lies in the 64 bytes from here.
            base: Cell::new(usize::MAX - WINDOW),
            bits: Cell::new(0),
            valid_end: Cell::new(0),
        }
    }

    /// Starts a record at `r`, a line start. The checked run goes on from the record before
    /// unless it stopped short of `r` (at an invalid byte, or before lines the parser skipped).
    #[inline(always)]
    pub(crate) fn start_record(&self, r: usize) {
        if self.valid_end.get() < r {
            self.valid_end.set(r);
        }
    }

    /// Whether the current record's bytes up to `e` (a character start) are known to be valid
    /// UTF-8: one compare per token, which is why the run is kept from the record's start.
    #[inline(always)]
    pub(crate) fn known_valid(&self, e: usize) -> bool {
        e <= self.valid_end.get()
    }

    /// Checks the bytes up to `to` (a character start), so the checked run reaches it. The
    /// parser skips string values without building windows; this covers them.
    pub(crate) fn validate_to(&self, b: &[u8], to: usize) {
        let from = self.valid_end.get();
        if to > from {
            self.validate(b, from, to);
        }
    }

    /// Checks `from..to` (`from` is `valid_end`) and moves `valid_end` past its valid part.
    fn validate(&self, b: &[u8], from: usize, to: usize) {
        let valid = match core::str::from_utf8(&b[from..to]) {
            Ok(_) => to - from,
            Err(error) => error.valid_up_to(),
        };
        self.valid_end.set(from + valid);
    }

    /// The first position at or after `i` holding a byte of class `mask` (or `b.len()`).
    #[inline(always)]
    pub(crate) fn scan(&self, b: &[u8], mut i: usize, mask: u8) -> usize {
        loop {
            let j = self.next_candidate(b, i);
            match b.get(j) {
                Some(&c) if CLASS[c as usize] & mask == 0 => i = j + 1,
                _ => return j,
            }
        }
    }

    /// The first position at or after `i` holding a candidate byte (or `b.len()`). When the byte
    /// there is the separator a caller expects, that is the token's end without a class check.
    #[inline(always)]
    pub(crate) fn next_candidate(&self, b: &[u8], mut i: usize) -> usize {
        loop {
            let base = self.base.get();
            let offset = i.wrapping_sub(base);
            if offset < WINDOW {
                let rest = self.bits.get() >> offset;
                if rest != 0 {
                    return i + rest.trailing_zeros() as usize;
                }
                i = base + WINDOW;
            }
            if i >= b.len() {
                return b.len();
            }
            self.load(b, i);
        }
    }

    /// Builds the window at `i` (`i < b.len()`), extends the checked run over it, and returns
    /// its bitmap.
    #[inline(always)]
    fn load(&self, b: &[u8], i: usize) -> u64 {
        let (bits, ascii) = window(b, i);
        self.base.set(i);
        self.bits.set(bits);
        let end = (i + WINDOW).min(b.len());
        if ascii && i <= self.valid_end.get() {
            self.valid_end.set(end.max(self.valid_end.get()));
        } else {
            self.validate_window(b, i, end, ascii);
        }
        bits
    }

    /// A cursor whose first candidate is the first at or after `i`.
    #[inline(always)]
    pub(crate) fn cursor(&self, i: usize) -> Cursor {
        let base = self.base.get();
        let offset = i.wrapping_sub(base);
        if offset < WINDOW {
            Cursor {
                base,
                rest: self.bits.get() & (u64::MAX << offset),
            }
        } else {
            // An empty window that ends at `i`: the first `next` builds the window there.
            Cursor {
                base: i.wrapping_sub(WINDOW),
                rest: 0,
            }
        }
    }

    /// Extends the checked run over the window `i..end`, which holds non-ASCII bytes or starts
    /// past the run (after the few bytes the parser stepped over, like a string value's closing
    /// quote and the comma after it), and up to three bytes past the window, so that a character
    /// it cuts is checked whole.
    #[cold]
    #[inline(never)]
    fn validate_window(&self, b: &[u8], i: usize, end: usize, ascii: bool) {
        let from = self.valid_end.get();
        if ascii && b[from..i].is_ascii() {
            self.valid_end.set(end);
        } else {
            self.validate_to(b, (end + 3).min(b.len()));
        }
    }
}

/// Candidates in order, for a parse that takes every candidate after its start in turn (the
/// plain-record path): each costs a trailing-zero count and clearing that bit, with the window
/// held in locals rather than reloaded from the scanner. Windows it builds are the scanner's own,
/// so the scanner answers as before for any position after it.
pub(crate) struct Cursor {
    base: usize,
    /// The window's candidates not taken yet.
    rest: u64,
}

impl Cursor {
    /// The next candidate (or `b.len()` at the end).
    #[inline(always)]
    pub(crate) fn next(&mut self, scanner: &Scanner, b: &[u8]) -> usize {
        loop {
            if self.rest != 0 {
                let at = self.base + self.rest.trailing_zeros() as usize;
                self.rest &= self.rest - 1;
                return at;
            }
            let next = self.base.wrapping_add(WINDOW);
            if next >= b.len() {
                return b.len();
            }
            self.base = next;
            self.rest = scanner.load(b, next);
        }
    }
}

/// The candidate bitmap of the 64 bytes from `i` (`i < b.len()`), and whether they are all ASCII.
#[inline(always)]
fn window(b: &[u8], i: usize) -> (u64, bool) {
    let rest = &b[i..];
    match rest.first_chunk::<WINDOW>() {
        Some(block) => blocks::window(block),
        None => bytewise_window(rest),
    }
}

/// The window of fewer than 64 bytes, one at a time: the input's last window only.
#[cold]
fn bytewise_window(rest: &[u8]) -> (u64, bool) {
    let rest = &rest[..rest.len().min(WINDOW)];
    let bits = rest
        .iter()
        .enumerate()
        .fold(0, |bits, (k, &c)| bits | (u64::from(is_candidate(c)) << k));
    (bits, rest.is_ascii())
}

/// SSE2: four 16-byte compares per window.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
mod blocks {
    use super::WINDOW;
    use core::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };

    /// The candidate bitmap of `block` (64 bytes), and whether it is all ASCII.
    #[inline(always)]
    pub(super) fn window(block: &[u8; WINDOW]) -> (u64, bool) {
        let mut bits = 0u64;
        let mut high = 0u32;
        for k in 0..WINDOW / 16 {
            // SAFETY: `16 * k + 16 <= WINDOW`, so the 16 bytes read lie inside `block`; `loadu` has
            // no alignment requirement, and SSE2 is enabled at compile time (the cfg above).
            let (mask, v_high) = unsafe {
                let v = _mm_loadu_si128(block.as_ptr().add(16 * k).cast::<__m128i>());
                let low = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(b' ' as i8)), v);
                let comma = _mm_cmpeq_epi8(v, _mm_set1_epi8(b',' as i8));
                let equals = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'=' as i8));
                let backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
                let any = _mm_or_si128(_mm_or_si128(low, comma), _mm_or_si128(equals, backslash));
                (
                    _mm_movemask_epi8(any) as u32 as u16,
                    _mm_movemask_epi8(v) as u32,
                )
            };
            bits |= u64::from(mask) << (16 * k);
            high |= v_high;
        }
        (bits, high == 0)
    }
}

/// Portable: eight 8-byte words per window.
#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
mod blocks {
    pub(super) use super::swar::window;
}

/// Word-at-a-time (SWAR) bitmap; also compiled for the tests on x86_64, so that it is tested there.
#[cfg(any(test, not(all(target_arch = "x86_64", target_feature = "sse2"))))]
mod swar {
    use super::WINDOW;

    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const LOW7: u64 = u64::from_ne_bytes([0x7f; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);

    /// High bit set in exactly the bytes of `x` below `n` (`1 <= n <= 128`): the low seven bits
    /// plus `0x80 - n` reach the high bit iff the byte is at least `n`, without carrying into the
    /// next byte; bytes with their own high bit set are at least `n` anyway.
    #[inline(always)]
    fn below(x: u64, n: u8) -> u64 {
        !(((x & LOW7) + ONES * u64::from(0x80 - n)) | x) & HIGHS
    }

    /// The candidate bitmap of `block` (64 bytes), and whether it is all ASCII.
    #[inline(always)]
    pub(crate) fn window(block: &[u8; WINDOW]) -> (u64, bool) {
        let (words, _) = block.as_chunks::<8>();
        let mut high = 0;
        let bits = words.iter().enumerate().fold(0, |bits, (k, word)| {
            let x = u64::from_le_bytes(*word);
            high |= x;
            let flags = below(x, b' ' + 1)
                | below(x ^ (ONES * u64::from(b',')), 1)
                | below(x ^ (ONES * u64::from(b'=')), 1)
                | below(x ^ (ONES * u64::from(b'\\')), 1);
            // Gathers the flag of byte j (bit 8j + 7) into bit 56 + j, then shifts down.
            let byte_bits = (flags >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56;
            bits | (byte_bits << (8 * k))
        });
        (bits, high & HIGHS == 0)
    }
}

/// The first position at or after `i` that is not a space.
#[inline]
pub(crate) fn skip_spaces(b: &[u8], mut i: usize) -> usize {
    while b.get(i) == Some(&b' ') {
        i += 1;
    }
    i
}

/// Whether a line ends at `i`: end of input, `\n`, or `\r` followed by `\n` or the end.
#[inline]
pub(crate) fn is_eol(b: &[u8], i: usize) -> bool {
    match b.get(i) {
        None | Some(b'\n') => true,
        Some(b'\r') => matches!(b.get(i + 1), None | Some(b'\n')),
        Some(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;
    use proptest::prelude::*;

    /// The definition: one byte at a time.
    fn scan_bytewise(b: &[u8], i: usize, mask: u8) -> usize {
        (i..b.len())
            .find(|&j| CLASS[b[j] as usize] & mask != 0)
            .unwrap_or(b.len())
    }

    fn bytes() -> impl Strategy<Value = Vec<u8>> {
        // Mostly name bytes with stop bytes, valid multi-byte characters and stray high bytes
        // mixed in, so that every window position, every byte class and invalid UTF-8 are hit.
        let piece = prop_oneof![
            16 => (b'a'..=b'z').prop_map(|c| vec![c]),
            2 => prop::sample::select(&b",= \\\t\r\n\"\x01\x7f\x21\x20\x1f"[..])
                .prop_map(|c| vec![c]),
            2 => prop::sample::select(&["é", "°C", "🌡", "日本"][..])
                .prop_map(|s| s.as_bytes().to_vec()),
            1 => any::<u8>().prop_map(|c| vec![c]),
        ];
        prop::collection::vec(piece, 0..200).prop_map(|pieces| pieces.concat())
    }

    /// The next line start at or after `p` (or the end).
    fn line_start(b: &[u8], p: usize) -> usize {
        if p == 0 {
            return 0;
        }
        (p..b.len()).find(|&k| b[k - 1] == b'\n').unwrap_or(b.len())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        /// One scanner asked for a series of positions (forwards, backwards, repeated), as the
        /// parser and its error paths ask, with records started at later and later line starts.
        /// Whatever it calls checked, from the record's start, is valid UTF-8.
        #[test]
        fn scan_finds_the_first_byte_of_the_class(
            b in bytes(),
            steps in prop::collection::vec((0usize..450, any::<bool>()), 1..12),
        ) {
            let scanner = Scanner::new();
            let mut record = 0;
            scanner.start_record(record);
            for (start, new_record) in steps {
                if new_record && start > record {
                    record = line_start(&b, start);
                    scanner.start_record(record);
                }
                for mask in [MEAS, KEY, TAGV, VALUE] {
                    let j = scanner.scan(&b, start, mask);
                    prop_assert_eq!(j, scan_bytewise(&b, start, mask));
                    if j >= record && scanner.known_valid(j) {
                        let checked = &b[record..j];
                        prop_assert!(core::str::from_utf8(checked).is_ok(), "{}..{}", record, j);
                    }
                }
            }
        }

        /// Scanning valid UTF-8 token by token keeps every token end inside the checked run, so
        /// the parser never needs a check of its own there.
        #[test]
        fn scanning_valid_text_checks_as_it_goes(
            text in "([a-z]{0,9}[,= \n]|é|🌡|=\"[a-z é]{0,90}\")*",
        ) {
            let b = text.as_bytes();
            let scanner = Scanner::new();
            scanner.start_record(0);
            let mut i = 0;
            while i < b.len() {
                let j = scanner.scan(b, i, KEY);
                prop_assert!(scanner.known_valid(j), "token end {} of {:?}", j, text);
                i = j + 1;
                if b.get(j) == Some(&b'=') && b.get(i) == Some(&b'"') {
                    // As the parser does with a string value: skip to the closing quote.
                    let close = i + 1 + b[i + 1..].iter().position(|&c| c == b'"').unwrap();
                    scanner.validate_to(b, close + 1);
                    prop_assert!(scanner.known_valid(close));
                    i = close + 1;
                }
            }
        }

        /// A cursor yields every candidate from its start in order, as successive scans would,
        /// and leaves the scanner answering any later position rightly.
        #[test]
        fn a_cursor_takes_the_candidates_in_order(
            b in bytes(),
            first in 0usize..40,
            start in 0usize..250,
            later in 0usize..320,
        ) {
            let scanner = Scanner::new();
            scanner.start_record(0);
            // A window somewhere before, as the previous record leaves it.
            scanner.next_candidate(&b, first);
            let mut cursor = scanner.cursor(start);
            let mut expected = start;
            loop {
                let expected_at = (expected..b.len())
                    .find(|&j| is_candidate(b[j]))
                    .unwrap_or(b.len());
                let at = cursor.next(&scanner, &b);
                prop_assert_eq!(at, expected_at);
                if at >= b.len() {
                    break;
                }
                expected = at + 1;
            }
            prop_assert_eq!(scanner.scan(&b, later, KEY), scan_bytewise(&b, later, KEY));
        }

        #[test]
        fn every_window_builder_marks_exactly_the_candidates(b in any::<[u8; WINDOW]>()) {
            let expected = bytewise_window(&b);
            prop_assert_eq!(swar::window(&b), expected);
            prop_assert_eq!(blocks::window(&b), expected);
        }
    }

    #[test]
    fn every_class_byte_is_a_candidate() {
        for c in 0..=255u8 {
            if CLASS[c as usize] != 0 {
                assert!(is_candidate(c), "byte 0x{c:02x}");
            }
        }
    }

    #[test]
    fn the_word_builder_handles_every_byte_value_in_every_position() {
        for c in 0..=255u8 {
            for k in 0..64 {
                let mut block = [b'a'; 64];
                block[k] = c;
                let expected = (u64::from(is_candidate(c)) << k, c.is_ascii());
                assert_eq!(swar::window(&block), expected, "byte 0x{c:02x} at {k}");
            }
        }
    }
}
