//! The one check pipeline every face runs (the server's write path, `linewise check`, the web
//! page and its preview, the npm package): records split and parsed by [`Lines`], validated by a
//! [`BatchValidator`] against the batch so far and a [`KnownSchema`], each accepted line with its
//! time in ns and the columns it adds.
//!
//! Lines without a timestamp get "now" truncated to the request's precision
//! ([`Precision::default_time`]), as InfluxDB 3 does, so every face gives them the same time.
//!
//! ```
//! use linewise_core::{parse_lines, Checker, Precision};
//! let mut checker = Checker::new(Precision::Second, 1_641_024_000_123_456_789, None);
//! let mut records = checker.check(parse_lines(b"home temp=21.5\nhome temp=\"hi\" 1\n"));
//! let mut line = linewise_core::Line::new();
//! let accepted = records.next(&mut line).unwrap().unwrap();
//! assert_eq!(accepted.time_ns, 1_641_024_000_000_000_000);
//! assert_eq!(accepted.added[0].name, "temp");
//! assert!(records.next(&mut line).unwrap().is_err());
//! assert!(records.next(&mut line).is_none());
//! ```
use core::convert::Infallible;

use crate::validate::{NewColumn, Rejection};
use crate::{BatchValidator, Diagnostic, KnownSchema, Line, Lines, Precision};

/// The state of one batch being checked: what earlier lines established, and the time of lines
/// without a timestamp. Feed it one whole input, or the pieces of one in order.
pub struct Checker<'s> {
    validator: BatchValidator<'s>,
    default_time_ns: i64,
}

/// A valid line, accepted into the batch.
#[derive(Debug, Clone, Copy)]
pub struct Accepted<'c> {
    /// The line's time in ns: its timestamp under the precision, or the default time.
    pub time_ns: i64,
    /// The columns it adds: new to the batch and unknown to the schema (usually none).
    pub added: &'c [NewColumn],
}

impl<'s> Checker<'s> {
    /// `now_ns` is the current time; lines without a timestamp get it truncated to `precision`.
    pub fn new(precision: Precision, now_ns: i64, schema: Option<&'s dyn KnownSchema>) -> Self {
        Checker {
            validator: BatchValidator::new(precision, schema),
            default_time_ns: precision.default_time(now_ns),
        }
    }

    /// Refuses lines with more than `max` tags and fields (see
    /// [`BatchValidator::with_max_columns`]).
    pub fn with_max_columns(mut self, max: usize) -> Self {
        self.validator = self.validator.with_max_columns(max);
        self
    }

    pub fn precision(&self) -> Precision {
        self.validator.precision()
    }

    /// The time, in ns, of lines without a timestamp.
    pub fn default_time_ns(&self) -> i64 {
        self.default_time_ns
    }

    /// See [`BatchValidator::agrees_with`]: whether a checker that checked a later part of the
    /// same input on its own may have its accepted lines taken as they are.
    pub fn agrees_with(&self, later: &Checker<'_>) -> bool {
        self.validator.agrees_with(&later.validator)
    }

    /// Checks the records of `lines` (a whole input, or a piece of one: see
    /// [`Piece::lines`](crate::split::Piece::lines)).
    pub fn check<'c, 'a>(&'c mut self, lines: Lines<'a>) -> Records<'c, 's, 'a> {
        Records {
            checker: self,
            lines,
        }
    }
}

/// The records of one input, checked one by one.
pub struct Records<'c, 's, 'a> {
    checker: &'c mut Checker<'s>,
    lines: Lines<'a>,
}

impl<'a> Records<'_, '_, 'a> {
    /// Parses and checks the next record into `line` (reusing its vectors): `None` at the end.
    pub fn next(&mut self, line: &mut Line<'a>) -> Option<Result<Accepted<'_>, Diagnostic>> {
        let verdict = self.next_admitted(line, |_, _| Ok::<(), Infallible>(()))?;
        Some(verdict.map_err(|rejection| match rejection {
            Rejection::Syntax(d) | Rejection::Invalid(d) => d,
            Rejection::Refused(never) => match never {},
        }))
    }

    /// `next`, asking `admit` before a valid line that adds columns is accepted (the server's
    /// catalog limits); a refused line leaves no trace in the batch.
    pub fn next_admitted<R>(
        &mut self,
        line: &mut Line<'a>,
        admit: impl FnOnce(&Line<'_>, &[NewColumn]) -> Result<(), R>,
    ) -> Option<Result<Accepted<'_>, Rejection<R>>> {
        if let Err(d) = self.lines.next_into(line)? {
            return Some(Err(Rejection::Syntax(d)));
        }
        let checker = &mut *self.checker;
        Some(
            checker
                .validator
                .check_admitted(line, checker.default_time_ns, admit)
                .map(|time_ns| Accepted {
                    time_ns,
                    added: checker.validator.added(),
                }),
        )
    }

    /// The parser: where it is, and where a partial piece stopped.
    pub fn lines(&self) -> &Lines<'a> {
        &self.lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{parse_lines, ColumnKind, FieldType};
    use alloc::string::String;
    use alloc::vec::Vec;

    /// Each record's time, or its error's kind.
    fn times(precision: Precision, now_ns: i64, input: &str) -> Vec<Result<i64, String>> {
        let mut checker = Checker::new(precision, now_ns, None);
        let mut records = checker.check(parse_lines(input.as_bytes()));
        let mut line = Line::new();
        let mut out = Vec::new();
        while let Some(verdict) = records.next(&mut line) {
            out.push(
                verdict
                    .map(|a| a.time_ns)
                    .map_err(|d| String::from(d.kind.as_str())),
            );
        }
        out
    }

    #[test]
    fn lines_without_a_timestamp_get_now_truncated_to_the_precision() {
        let now = 1_641_024_000_123_456_789;
        for precision in [
            Precision::Auto,
            Precision::Nanosecond,
            Precision::Microsecond,
            Precision::Millisecond,
            Precision::Second,
            Precision::Minute,
            Precision::Hour,
        ] {
            let checker = Checker::new(precision, now, None);
            assert_eq!(checker.default_time_ns(), precision.default_time(now));
            assert_eq!(
                times(precision, now, "m f=1\nm f=2 1\n")[0],
                Ok(precision.default_time(now)),
                "{precision:?}"
            );
        }
        assert_eq!(
            times(Precision::Second, now, "m f=1\nm f=2 1\n"),
            [Ok(1_641_024_000_000_000_000), Ok(1_000_000_000)]
        );
    }

    #[test]
    fn accepted_lines_name_the_columns_they_add() {
        let mut checker = Checker::new(Precision::Auto, 0, None);
        let mut records = checker.check(parse_lines(b"m,t=a f=1\nm,t=b f=2\nm,t=c f=3,g=\"x\"\n"));
        let mut line = Line::new();
        let first = records.next(&mut line).unwrap().unwrap();
        assert_eq!(
            first.added,
            [
                NewColumn {
                    name: "t".into(),
                    kind: ColumnKind::Tag
                },
                NewColumn {
                    name: "f".into(),
                    kind: ColumnKind::Field(FieldType::Float)
                }
            ]
        );
        assert!(records.next(&mut line).unwrap().unwrap().added.is_empty());
        let third = records.next(&mut line).unwrap().unwrap();
        assert_eq!(third.added.len(), 1);
        assert_eq!(third.added[0].name, "g");
    }

    #[test]
    fn a_later_part_agrees_unless_a_column_changes_kind() {
        let check = |input: &[u8]| {
            let mut checker = Checker::new(Precision::Auto, 0, None);
            let mut records = checker.check(parse_lines(input));
            let mut line = Line::new();
            while records.next(&mut line).is_some() {}
            checker
        };
        let first = check(b"m,t=a f=1\nn g=1i\n");
        assert!(first.agrees_with(&check(b"m,t=b f=2,h=\"x\"\no k=t\n")));
        assert!(!first.agrees_with(&check(b"n g=1\n")));
        assert!(!first.agrees_with(&check(b"m f=1,t=1\n")));
    }

    #[test]
    fn a_refused_line_leaves_no_trace() {
        let mut checker = Checker::new(Precision::Auto, 0, None);
        let mut records = checker.check(parse_lines(b"m f=1i\nm f=\"s\"\nm f=2i\n"));
        let mut line = Line::new();
        let refused = records.next_admitted(&mut line, |_, _| Err("limit"));
        assert!(matches!(refused, Some(Err(Rejection::Refused("limit")))));
        // The string field is new again, as if the first line had never been seen.
        let second = records.next(&mut line).unwrap().unwrap();
        assert_eq!(second.added[0].kind, ColumnKind::Field(FieldType::String));
        assert!(matches!(
            records.next(&mut line),
            Some(Err(d)) if d.kind == crate::ErrorKind::TypeConflict
        ));
    }
}
