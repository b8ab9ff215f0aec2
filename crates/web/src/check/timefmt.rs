//! Timestamps as dates, and the "this looks like another unit" warning (the most common silent
//! mistake in line protocol: seconds sent as nanoseconds land in 1970).
use linewise_core::Precision;

/// Formats nanoseconds since the epoch as RFC 3339 UTC, trimming zero fractions
/// (`2022-01-01T08:00:00Z`, `1970-01-01T00:00:01.641024Z`).
pub fn iso(ns: i64) -> String {
    let secs = ns.div_euclid(1_000_000_000);
    let frac = ns.rem_euclid(1_000_000_000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let mut out = format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    );
    if frac != 0 {
        let digits = format!("{frac:09}");
        out.push('.');
        out.push_str(digits.trim_end_matches('0'));
    }
    out.push('Z');
    out
}

/// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian calendar).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// How `timestamp` reads in `unit`, or why it cannot be read so.
fn reading(timestamp: i64, unit: Precision) -> String {
    match unit.to_nanos(timestamp) {
        Ok(ns) => iso(ns),
        Err(_) => "out of range".into(),
    }
}

/// When `chosen` is a fixed unit and the timestamp's magnitude says another one, the warning text:
/// which unit it looks like and the date under each reading.
pub fn unit_warning(timestamp: i64, chosen: Precision) -> Option<String> {
    if chosen == Precision::Auto {
        return None;
    }
    let guessed = Precision::guess(timestamp);
    if guessed == chosen {
        return None;
    }
    Some(format!(
        "timestamp {timestamp} looks like {} (as {} it is {}; as {} it is {})",
        guessed.in_words(),
        chosen,
        reading(timestamp, chosen),
        guessed,
        reading(timestamp, guessed),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_dates() {
        assert_eq!(iso(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso(1_641_024_000_000_000_000), "2022-01-01T08:00:00Z");
        assert_eq!(iso(1_641_024_000), "1970-01-01T00:00:01.641024Z");
        assert_eq!(iso(-1), "1969-12-31T23:59:59.999999999Z");
        assert_eq!(iso(951_782_400_000_000_000), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn warns_when_the_magnitude_says_another_unit() {
        let w = unit_warning(1_641_024_000, Precision::Nanosecond).unwrap();
        assert!(w.contains("looks like seconds"), "{w}");
        assert!(
            w.contains("2022-01-01T08:00:00Z") && w.contains("1970-01-01T00:00:01.641024Z"),
            "{w}"
        );
        assert!(unit_warning(1_641_024_000, Precision::Second).is_none());
        assert!(unit_warning(1_641_024_000, Precision::Auto).is_none());
    }
}
