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

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// Marks (high bit) the bytes of `x` that may end a token: below 0x21 (space and control
/// characters), `,`, `=` or `\\`. Every byte class lies in this set. Marks above the lowest
/// one may be false (borrow propagation); the lowest one is always right.
#[inline(always)]
fn candidates(x: u64) -> u64 {
    let equal = |c: u8| {
        let y = x ^ (ONES * u64::from(c));
        y.wrapping_sub(ONES) & !y & HIGH
    };
    (x.wrapping_sub(ONES * 0x21) & !x & HIGH) | equal(b',') | equal(b'=') | equal(b'\\')
}

/// The first position at or after `i` holding a byte of class `mask` (or `b.len()`). Reads
/// eight bytes at a time and checks candidates against the class table.
#[inline(always)]
pub(crate) fn scan(b: &[u8], mut i: usize, mask: u8) -> usize {
    while let Some(chunk) = b.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let marks = candidates(u64::from_le_bytes(word));
        if marks == 0 {
            i += 8;
            continue;
        }
        let j = i + (marks.trailing_zeros() / 8) as usize;
        if CLASS[b[j] as usize] & mask != 0 {
            return j;
        }
        i = j + 1;
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The word-at-a-time scan finds the same position as a byte loop, for every class and
    /// every byte value at every offset.
    #[test]
    fn scan_matches_the_byte_loop() {
        let slow = |b: &[u8], i: usize, mask: u8| {
            (i..b.len())
                .find(|&j| CLASS[b[j] as usize] & mask != 0)
                .unwrap_or(b.len())
        };
        for mask in [MEAS, KEY, TAGV, VALUE] {
            for byte in 0..=255u8 {
                for at in 0..20 {
                    let mut b = [b'a'; 20].to_vec();
                    b[at] = byte;
                    if at + 3 < b.len() {
                        b[at + 3] = 0xC3;
                    }
                    for start in 0..4 {
                        assert_eq!(
                            scan(&b, start, mask),
                            slow(&b, start, mask),
                            "{mask} {byte} {at} {start}"
                        );
                    }
                }
            }
        }
    }
}
