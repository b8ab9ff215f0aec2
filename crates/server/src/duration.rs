//! Duration flags (`--persist-interval 10s`, `--query-timeout 1m30s`): humantime's spellings
//! (`10ms`, `1.5s`, `1h`, `2m 30s`, `500us`), and a bare number as seconds, as the flags have
//! always accepted.
use std::time::Duration;

/// Why a flag's value is not a duration.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DurationError {
    #[error("`{text}`: unknown unit `{unit}` (use ns, us, ms, s, m or h)")]
    UnknownUnit { text: String, unit: String },
    #[error("`{text}` is not a duration like 10ms, 1s or 5m: {reason}")]
    Malformed {
        text: String,
        reason: humantime::DurationError,
    },
    #[error("`{0}`: must be more than zero")]
    Zero(String),
}

/// `1h`, `10s`, `250ms`, `1.5s`, `500us`, `100ns` (a bare number is seconds).
pub fn parse_duration(s: &str) -> Result<Duration, DurationError> {
    let text = s.trim();
    let bare = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    let parsed = if bare {
        humantime::parse_duration(&format!("{text}s"))
    } else {
        humantime::parse_duration(text)
    };
    parsed.map_err(|reason| match reason {
        humantime::DurationError::UnknownUnit { unit, .. } if !unit.is_empty() => {
            DurationError::UnknownUnit {
                text: text.into(),
                unit,
            }
        }
        reason => DurationError::Malformed {
            text: text.into(),
            reason,
        },
    })
}

/// A duration that must not be zero (a timeout of nothing would refuse everything).
pub fn positive_duration(s: &str) -> Result<Duration, DurationError> {
    let d = parse_duration(s)?;
    if d.is_zero() {
        return Err(DurationError::Zero(s.trim().into()));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10ms"), Ok(Duration::from_millis(10)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert!(parse_duration("5 parsecs")
            .unwrap_err()
            .to_string()
            .contains("unknown unit"));
        assert!(parse_duration("ms").is_err());
    }

    #[test]
    fn the_units_the_flags_have_always_taken() {
        for (text, want) in [
            ("100ns", Duration::from_nanos(100)),
            ("500us", Duration::from_micros(500)),
            ("500µs", Duration::from_micros(500)),
            ("5m", Duration::from_secs(300)),
            (" 30s ", Duration::from_secs(30)),
            ("0.25", Duration::from_millis(250)),
        ] {
            assert_eq!(parse_duration(text), Ok(want), "{text}");
        }
    }

    #[test]
    fn errors_name_the_text() {
        assert_eq!(
            parse_duration("5 parsecs").unwrap_err().to_string(),
            "`5 parsecs`: unknown unit `parsecs` (use ns, us, ms, s, m or h)"
        );
        assert!(parse_duration("")
            .unwrap_err()
            .to_string()
            .starts_with("`` is not a duration"));
        assert_eq!(
            positive_duration("0s").unwrap_err(),
            DurationError::Zero("0s".into())
        );
        assert_eq!(positive_duration("1s"), Ok(Duration::from_secs(1)));
    }
}
