//! Number literals of line protocol: integers (`-?D+`), unsigned (`D+`) and floats
//! (`-?D+(.D+)?([eE][+-]?D+)?`), parsed without allocating.

/// Why a literal was not a number of the wanted kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NumError {
    /// Not of the literal's form.
    Invalid,
    /// Of the right form but outside the type's range.
    Overflow,
}

/// Digits only, at least one.
fn all_digits(d: &[u8]) -> bool {
    !d.is_empty() && d.iter().all(u8::is_ascii_digit)
}

/// `D+` as u64.
pub(crate) fn parse_u64(d: &[u8]) -> Result<u64, NumError> {
    if d.is_empty() {
        return Err(NumError::Invalid);
    }
    if d.len() <= 19 {
        // 19 digits always fit a u64: no overflow checks on the common path. Eight digits at a
        // time: nanosecond timestamps have 19.
        let mut v: u64 = 0;
        let mut rest = d;
        while let Some((word, after)) = rest.split_first_chunk::<8>() {
            v = v * 100_000_000 + eight_digits(word).ok_or(NumError::Invalid)?;
            rest = after;
        }
        for &c in rest {
            let x = c.wrapping_sub(b'0');
            if x > 9 {
                return Err(NumError::Invalid);
            }
            v = v * 10 + u64::from(x);
        }
        return Ok(v);
    }
    if !all_digits(d) {
        return Err(NumError::Invalid);
    }
    d.iter().try_fold(0u64, |v, &c| {
        v.checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(c - b'0')))
            .ok_or(NumError::Overflow)
    })
}

/// The value of eight ASCII digits, or `None` if one is not a digit, in a few word operations
/// (SWAR): pairs of digits, then pairs of pairs, then the two halves.
#[inline(always)]
fn eight_digits(word: &[u8; 8]) -> Option<u64> {
    const ZEROS: u64 = u64::from_ne_bytes([b'0'; 8]);
    let x = u64::from_le_bytes(*word);
    // A digit's high nibble is 3, and adding 6 to its low nibble does not carry out of it.
    let high_nibbles = x & 0xf0f0_f0f0_f0f0_f0f0;
    let carried = x.wrapping_add(0x0606_0606_0606_0606) & 0xf0f0_f0f0_f0f0_f0f0;
    if high_nibbles != ZEROS || carried != ZEROS {
        return None;
    }
    // The first digit is the lowest byte (little-endian), so it is the most significant.
    let v = x - ZEROS;
    let pairs = (v * 10 + (v >> 8)) & 0x00ff_00ff_00ff_00ff;
    let quads = (pairs * 100 + (pairs >> 16)) & 0x0000_ffff_0000_ffff;
    Some((quads * 10_000 + (quads >> 32)) & 0xffff_ffff)
}

/// `-?D+` as i64.
pub(crate) fn parse_i64(t: &[u8]) -> Result<i64, NumError> {
    let (negative, digits) = match t.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, t),
    };
    let magnitude = parse_u64(digits)?;
    if negative {
        if magnitude <= i64::MAX as u64 + 1 {
            Ok((magnitude as i64).wrapping_neg())
        } else {
            Err(NumError::Overflow)
        }
    } else {
        i64::try_from(magnitude).map_err(|_| NumError::Overflow)
    }
}

/// Length of the run of ASCII digits at the start of `t`.
fn digit_run(t: &[u8]) -> usize {
    t.iter().take_while(|c| c.is_ascii_digit()).count()
}

/// A float literal; finite results only (a literal too large for f64 is `Overflow`).
pub(crate) fn parse_f64(t: &[u8]) -> Result<f64, NumError> {
    let mut i = usize::from(t.first() == Some(&b'-'));
    let int_digits = digit_run(&t[i..]);
    if int_digits == 0 {
        return Err(NumError::Invalid);
    }
    i += int_digits;
    let mut frac_digits = 0;
    if t.get(i) == Some(&b'.') {
        frac_digits = digit_run(&t[i + 1..]);
        if frac_digits == 0 {
            return Err(NumError::Invalid);
        }
        i += 1 + frac_digits;
    }
    let mantissa_end = i;
    if matches!(t.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(t.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp_digits = digit_run(&t[i..]);
        if exp_digits == 0 {
            return Err(NumError::Invalid);
        }
        i += exp_digits;
    }
    if i != t.len() {
        return Err(NumError::Invalid);
    }
    if mantissa_end == t.len() {
        if let Some(v) = fast_decimal(t, int_digits, frac_digits) {
            return Ok(v);
        }
    }
    // The form is checked: ASCII only, so the conversion cannot fail.
    let text = core::str::from_utf8(t).map_err(|_| NumError::Invalid)?;
    let v: f64 = text.parse().map_err(|_| NumError::Invalid)?;
    if v.is_finite() {
        Ok(v)
    } else {
        Err(NumError::Overflow)
    }
}

/// Exact powers of ten that an f64 holds without rounding.
const POW10: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// `-?D+(.D+)?` with at most 15 significant digits: mantissa and power of ten are exact in f64,
/// so one division rounds correctly and equals `str::parse` (Clinger's fast path).
fn fast_decimal(t: &[u8], int_digits: usize, frac_digits: usize) -> Option<f64> {
    if int_digits + frac_digits > 15 {
        return None;
    }
    let negative = t[0] == b'-';
    let mut m: u64 = 0;
    for &c in &t[usize::from(negative)..] {
        if c != b'.' {
            m = m * 10 + u64::from(c - b'0');
        }
    }
    let v = m as f64 / POW10[frac_digits];
    Some(if negative { -v } else { v })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers() {
        assert_eq!(parse_i64(b"0"), Ok(0));
        assert_eq!(parse_i64(b"-0"), Ok(0));
        assert_eq!(parse_i64(b"0012"), Ok(12));
        assert_eq!(parse_i64(b"9223372036854775807"), Ok(i64::MAX));
        assert_eq!(parse_i64(b"-9223372036854775808"), Ok(i64::MIN));
        assert_eq!(parse_i64(b"9223372036854775808"), Err(NumError::Overflow));
        assert_eq!(parse_i64(b"-9223372036854775809"), Err(NumError::Overflow));
        assert_eq!(parse_i64(b"00000000000000000000000001"), Ok(1));
        assert_eq!(
            parse_i64(b"99999999999999999999999"),
            Err(NumError::Overflow)
        );
        for bad in [
            &b""[..],
            b"-",
            b"1.5",
            b"1e3",
            b"0x10",
            b"+1",
            b"1_000",
            b"--1",
        ] {
            assert_eq!(parse_i64(bad), Err(NumError::Invalid), "{bad:?}");
        }
        assert_eq!(parse_u64(b"18446744073709551615"), Ok(u64::MAX));
        assert_eq!(parse_u64(b"18446744073709551616"), Err(NumError::Overflow));
        assert_eq!(parse_u64(b"-1"), Err(NumError::Invalid));
    }

    #[test]
    fn floats() {
        for (s, v) in [
            ("1", 1.0),
            ("-0", -0.0),
            ("01", 1.0),
            ("1e3", 1000.0),
            ("1E+3", 1000.0),
            ("-1.5e-3", -0.0015),
            ("12.34", 12.34),
            ("1.2340E01", 12.34),
            ("12340e-3", 12.34),
            ("-7.4e+11", -7.4e11),
            ("0.1", 0.1),
            ("123456789012345", 123456789012345.0),
            (
                "1234567890.123456789",
                "1234567890.123456789".parse().unwrap(),
            ),
        ] {
            assert_eq!(parse_f64(s.as_bytes()), Ok(v), "{s}");
        }
        assert!(parse_f64(b"-0").unwrap().is_sign_negative());
        for bad in [
            "1.", ".5", "+1", "NaN", "inf", "1.2.3", "1e", "1e+", "--1.0", "e5", "1x", "",
        ] {
            assert_eq!(parse_f64(bad.as_bytes()), Err(NumError::Invalid), "{bad}");
        }
        assert_eq!(parse_f64(b"1e400"), Err(NumError::Overflow));
    }

    #[test]
    fn fast_decimal_path_equals_std() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let int = x % 1_000_000_000;
            let frac_len = (x >> 40) as usize % 7;
            let frac = (x >> 20) % 10u64.pow(frac_len as u32);
            let s = if frac_len == 0 {
                alloc::format!("{int}")
            } else {
                alloc::format!("{int}.{frac:0width$}", width = frac_len)
            };
            assert_eq!(
                parse_f64(s.as_bytes()),
                Ok(s.parse::<f64>().unwrap()),
                "{s}"
            );
        }
    }
}
