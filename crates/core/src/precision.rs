//! Timestamp units: their spellings and their conversion to nanoseconds.
use alloc::string::String;
use core::fmt;
use core::str::FromStr;

/// The unit of the timestamps in a write. `Auto` guesses per line from the magnitude, as InfluxDB 3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Precision {
    #[default]
    Auto,
    Nanosecond,
    Microsecond,
    Millisecond,
    Second,
    /// v1 only (`m`).
    Minute,
    /// v1 only (`h`).
    Hour,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrecisionError {
    /// `ts * unit` does not fit an i64 of nanoseconds.
    Overflow {
        timestamp: i64,
        precision: Precision,
    },
}

/// InfluxDB 3's text: `timestamp, <ts>, out of range for precision: <Precision>`.
impl fmt::Display for PrecisionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PrecisionError::Overflow {
                timestamp,
                precision,
            } => write!(
                f,
                "timestamp, {timestamp}, out of range for precision: {precision:?} \
                 (in nanoseconds it does not fit a signed 64-bit integer)"
            ),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for PrecisionError {}

/// A name that is none of the spellings of a [`Precision`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownPrecision(pub String);

impl fmt::Display for UnknownPrecision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown precision {:?}, expected one of auto, ns, us, ms, s",
            self.0
        )
    }
}

#[cfg(feature = "std")]
impl std::error::Error for UnknownPrecision {}

/// Any spelling of [`Precision::parse`].
impl FromStr for Precision {
    type Err = UnknownPrecision;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Precision::parse(s).ok_or_else(|| UnknownPrecision(s.into()))
    }
}

/// The short spelling ([`Precision::as_str`]).
impl fmt::Display for Precision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Every spelling any endpoint accepts, with its unit; the first of each unit is its short one.
const SPELLINGS: [(&str, Precision); 15] = [
    ("auto", Precision::Auto),
    ("ns", Precision::Nanosecond),
    ("n", Precision::Nanosecond),
    ("nanosecond", Precision::Nanosecond),
    ("us", Precision::Microsecond),
    ("u", Precision::Microsecond),
    ("microsecond", Precision::Microsecond),
    ("ms", Precision::Millisecond),
    ("millisecond", Precision::Millisecond),
    ("s", Precision::Second),
    ("second", Precision::Second),
    ("m", Precision::Minute),
    ("minute", Precision::Minute),
    ("h", Precision::Hour),
    ("hour", Precision::Hour),
];

impl Precision {
    /// The units a client chooses from, and all InfluxDB 3's `/api/v3/write_lp` accepts (the
    /// compatibility endpoints all but `Auto`): the page's menu, the CLI's `--precision`.
    pub const CHOICES: [Precision; 5] = [
        Precision::Auto,
        Precision::Nanosecond,
        Precision::Microsecond,
        Precision::Millisecond,
        Precision::Second,
    ];

    /// Parses every spelling any endpoint accepts: `auto`, `ns`/`n`/`nanosecond`, `us`/`u`/`microsecond`,
    /// `ms`/`millisecond`, `s`/`second`, `m`/`minute`, `h`/`hour`. Endpoints restrict further.
    pub fn parse(s: &str) -> Option<Precision> {
        SPELLINGS.iter().find(|(n, _)| *n == s).map(|(_, p)| *p)
    }

    /// The short spelling (`auto`, `ns`, `us`, `ms`, `s`, `m`, `h`).
    pub fn as_str(self) -> &'static str {
        match self {
            Precision::Auto => "auto",
            Precision::Nanosecond => "ns",
            Precision::Microsecond => "us",
            Precision::Millisecond => "ms",
            Precision::Second => "s",
            Precision::Minute => "m",
            Precision::Hour => "h",
        }
    }

    /// Every spelling of this unit, the short one ([`Precision::as_str`]) first.
    pub fn spellings(self) -> impl Iterator<Item = &'static str> {
        SPELLINGS
            .iter()
            .filter(move |(_, p)| *p == self)
            .map(|(n, _)| *n)
    }

    /// The unit in words, for messages (`auto`, `nanoseconds`, …, `hours`).
    pub fn in_words(self) -> &'static str {
        match self {
            Precision::Auto => "auto",
            Precision::Nanosecond => "nanoseconds",
            Precision::Microsecond => "microseconds",
            Precision::Millisecond => "milliseconds",
            Precision::Second => "seconds",
            Precision::Minute => "minutes",
            Precision::Hour => "hours",
        }
    }

    /// Nanoseconds per unit (`Auto`: 1).
    pub fn nanos_per_unit(self) -> i64 {
        match self {
            Precision::Auto | Precision::Nanosecond => 1,
            Precision::Microsecond => 1_000,
            Precision::Millisecond => 1_000_000,
            Precision::Second => 1_000_000_000,
            Precision::Minute => 60_000_000_000,
            Precision::Hour => 3_600_000_000_000,
        }
    }

    /// The unit `Auto` would pick for this timestamp (never `Auto`): InfluxDB 3's magnitude rule
    /// with `v = |ts| / 1e9`: below 5 seconds, below 5000 milliseconds, below 5e6 microseconds,
    /// else nanoseconds.
    pub fn guess(timestamp: i64) -> Precision {
        let v = timestamp.unsigned_abs() / 1_000_000_000;
        if v < 5 {
            Precision::Second
        } else if v < 5_000 {
            Precision::Millisecond
        } else if v < 5_000_000 {
            Precision::Microsecond
        } else {
            Precision::Nanosecond
        }
    }

    /// Timestamp in ns, overflow-checked.
    pub fn to_nanos(self, timestamp: i64) -> Result<i64, PrecisionError> {
        let unit = match self {
            Precision::Auto => Precision::guess(timestamp),
            p => p,
        };
        timestamp
            .checked_mul(unit.nanos_per_unit())
            .ok_or(PrecisionError::Overflow {
                timestamp,
                precision: self,
            })
    }

    /// The time a line without a timestamp gets: `now_ns` truncated down to this unit (`Auto`: as is).
    pub fn default_time(self, now_ns: i64) -> i64 {
        let unit = self.nanos_per_unit();
        now_ns.div_euclid(unit) * unit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_spelling() {
        for (s, p) in [
            ("auto", Precision::Auto),
            ("n", Precision::Nanosecond),
            ("ns", Precision::Nanosecond),
            ("nanosecond", Precision::Nanosecond),
            ("u", Precision::Microsecond),
            ("us", Precision::Microsecond),
            ("microsecond", Precision::Microsecond),
            ("ms", Precision::Millisecond),
            ("millisecond", Precision::Millisecond),
            ("s", Precision::Second),
            ("second", Precision::Second),
            ("m", Precision::Minute),
            ("minute", Precision::Minute),
            ("h", Precision::Hour),
            ("hour", Precision::Hour),
        ] {
            assert_eq!(Precision::parse(s), Some(p), "{s}");
            assert_eq!(s.parse(), Ok(p), "{s}");
        }
        assert_eq!(Precision::parse("S"), None);
        assert_eq!(Precision::parse("µ"), None);
        let err = "S".parse::<Precision>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown precision \"S\", expected one of auto, ns, us, ms, s"
        );
    }

    #[test]
    fn the_short_spelling_comes_first_and_reads_back() {
        for p in [Precision::Minute, Precision::Hour]
            .into_iter()
            .chain(Precision::CHOICES)
        {
            assert_eq!(p.spellings().next(), Some(p.as_str()));
            assert_eq!(p.to_string().parse(), Ok(p));
        }
        let names: alloc::vec::Vec<String> =
            Precision::CHOICES.iter().map(|p| p.to_string()).collect();
        assert_eq!(names, ["auto", "ns", "us", "ms", "s"]);
        assert_eq!(
            Precision::Microsecond
                .spellings()
                .collect::<alloc::vec::Vec<_>>(),
            ["us", "u", "microsecond"]
        );
        assert_eq!(Precision::Millisecond.in_words(), "milliseconds");
    }

    #[test]
    fn auto_guesses_by_magnitude() {
        assert_eq!(Precision::guess(1_708_473_600), Precision::Second);
        assert_eq!(Precision::guess(1_708_473_600_000), Precision::Millisecond);
        assert_eq!(
            Precision::guess(1_708_473_600_000_000),
            Precision::Microsecond
        );
        assert_eq!(
            Precision::guess(1_708_473_600_000_000_000),
            Precision::Nanosecond
        );
        assert_eq!(Precision::guess(-1_708_473_600), Precision::Second);
        assert_eq!(Precision::guess(4_999_999_999), Precision::Second);
        assert_eq!(Precision::guess(5_000_000_000), Precision::Millisecond);
        let ns = 1_708_473_600_000_000_000;
        for ts in [1_708_473_600, 1_708_473_600_000, 1_708_473_600_000_000, ns] {
            assert_eq!(Precision::Auto.to_nanos(ts), Ok(ns));
        }
        assert_eq!(Precision::Auto.to_nanos(i64::MIN), Ok(i64::MIN));
    }

    #[test]
    fn conversion_is_overflow_checked() {
        assert_eq!(
            Precision::Second.to_nanos(1_641_024_000),
            Ok(1_641_024_000_000_000_000)
        );
        assert_eq!(Precision::Hour.to_nanos(2), Ok(7_200_000_000_000));
        assert_eq!(Precision::Minute.to_nanos(-1), Ok(-60_000_000_000));
        let err = Precision::Second.to_nanos(10_000_000_000).unwrap_err();
        assert_eq!(
            err,
            PrecisionError::Overflow {
                timestamp: 10_000_000_000,
                precision: Precision::Second
            }
        );
        assert!(err
            .to_string()
            .starts_with("timestamp, 10000000000, out of range for precision: Second"));
    }

    #[test]
    fn default_time_truncates_to_the_unit() {
        let now = 1_641_024_000_123_456_789;
        assert_eq!(Precision::Auto.default_time(now), now);
        assert_eq!(Precision::Nanosecond.default_time(now), now);
        assert_eq!(
            Precision::Microsecond.default_time(now),
            1_641_024_000_123_456_000
        );
        assert_eq!(
            Precision::Millisecond.default_time(now),
            1_641_024_000_123_000_000
        );
        assert_eq!(
            Precision::Second.default_time(now),
            1_641_024_000_000_000_000
        );
        assert_eq!(Precision::Second.default_time(-1), -1_000_000_000);
    }
}
