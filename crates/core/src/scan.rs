//! Byte classes: one table lookup per byte tells whether it ends the token being scanned.

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

/// The first position at or after `i` holding a byte of class `mask` (or `b.len()`). Tokens
/// are short (a few bytes), so a table lookup per byte beats word-at-a-time tricks here
/// (measured with the cpu benchmark).
#[inline(always)]
pub(crate) fn scan(b: &[u8], i: usize, mask: u8) -> usize {
    match b.get(i..) {
        Some(rest) => rest
            .iter()
            .position(|&c| CLASS[c as usize] & mask != 0)
            .map_or(b.len(), |n| i + n),
        None => b.len(),
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
