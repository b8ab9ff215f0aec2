//! Timestamp units and their conversion to nanoseconds.

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

impl Precision {
    /// Parses every spelling any endpoint accepts: `auto`, `ns`/`n`/`nanosecond`, `us`/`u`/`microsecond`,
    /// `ms`/`millisecond`, `s`/`second`, `m`/`minute`, `h`/`hour`. Endpoints restrict further.
    pub fn parse(s: &str) -> Option<Precision> {
        todo!("{s}")
    }

    /// The unit `Auto` would pick for this timestamp (never `Auto`).
    pub fn guess(timestamp: i64) -> Precision {
        todo!("{timestamp}")
    }

    /// Timestamp in ns, overflow-checked.
    pub fn to_nanos(self, timestamp: i64) -> Result<i64, PrecisionError> {
        todo!("{timestamp}")
    }

    /// The time a line without a timestamp gets: `now_ns` truncated down to this unit (`Auto`: as is).
    pub fn default_time(self, now_ns: i64) -> i64 {
        todo!("{now_ns}")
    }
}
