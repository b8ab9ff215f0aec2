//! The whole-document check: the core's check pipeline over every record in order (type
//! conflicts between lines and with the stored schema), plus timestamp-unit warnings. It yields
//! between slices so a 100,000-line document never blocks the page.
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::future::Future;

use linewise_core::fix::timestamp_in;
use linewise_core::{parse_lines, Checker, KnownColumns, Line, Precision, Rejection};

use super::document::{LineEdit, LineMark};
use super::timefmt::unit_warning;
use super::Fix;

/// Records checked between two looks at the clock.
const CLOCK_EVERY: usize = 256;

/// The earliest and latest timestamp (ns) among valid lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    pub first: i64,
    pub last: i64,
}

/// What the batch check found. Lines are 0-based.
#[derive(Debug, Default)]
pub struct BatchResult {
    pub errors: BTreeMap<usize, LineMark>,
    pub warnings: BTreeMap<usize, LineMark>,
    pub records: usize,
    pub valid: usize,
    pub time: Option<TimeRange>,
    /// The unit most mismatched timestamps look like, and how many look so.
    pub unit_hint: Option<(Precision, usize)>,
}

/// The units a timestamp can look like, in the order of `BatchPass::run`'s counters.
const UNITS: [Precision; 4] = [
    Precision::Nanosecond,
    Precision::Microsecond,
    Precision::Millisecond,
    Precision::Second,
];

/// Inputs of one batch check.
#[derive(Debug)]
pub struct BatchPass<'a> {
    pub text: &'a str,
    pub precision: Precision,
    pub schema: &'a KnownColumns,
    /// The current time in ns: lines without a timestamp get it truncated to the precision.
    pub now_ns: i64,
}

impl BatchPass<'_> {
    /// Runs the check. Whenever `slice_over()` says the current slice has used its time, it
    /// reports the byte offset reached to `progress`, awaits `pause()`, and gives up (`None`) when
    /// `cancelled()` says a newer text is waiting.
    pub async fn run<P, F>(
        &self,
        mut pause: P,
        mut slice_over: impl FnMut() -> bool,
        cancelled: impl Fn() -> bool,
        mut progress: impl FnMut(usize),
    ) -> Option<BatchResult>
    where
        P: FnMut() -> F,
        F: Future<Output = ()>,
    {
        let schema = if self.schema.is_empty() {
            None
        } else {
            Some(self.schema as &dyn linewise_core::KnownSchema)
        };
        let mut checker = Checker::new(self.precision, self.now_ns, schema);
        let mut records = checker.check(parse_lines(self.text.as_bytes()));
        let mut out = BatchResult::default();
        let mut line = Line::new();
        let mut looks_like = [0_usize; UNITS.len()];
        let mut n = 0;
        // Syntax errors are the document's marks; only the batch's own verdicts are kept here.
        while let Some(verdict) = records.next_admitted(&mut line, |_, _| Ok::<(), Infallible>(()))
        {
            out.records += 1;
            match verdict {
                Ok(ok) => {
                    let ns = ok.time_ns;
                    out.valid += 1;
                    out.time = Some(match out.time {
                        None => TimeRange {
                            first: ns,
                            last: ns,
                        },
                        Some(r) => TimeRange {
                            first: r.first.min(ns),
                            last: r.last.max(ns),
                        },
                    });
                    if let Some((at, mark)) = self.timestamp_warning(&line) {
                        out.warnings.insert(at, mark);
                        let guessed = line.timestamp.map(Precision::guess);
                        if let Some(i) = UNITS.iter().position(|u| Some(*u) == guessed) {
                            looks_like[i] += 1;
                        }
                    }
                }
                Err(Rejection::Invalid(d)) => {
                    let mark = LineMark::from_diagnostic(&d, self.text.as_bytes());
                    out.errors
                        .entry((d.line as usize).max(1) - 1)
                        .or_insert(mark);
                }
                Err(Rejection::Syntax(_)) => {}
                Err(Rejection::Refused(never)) => match never {},
            }
            n += 1;
            if n % CLOCK_EVERY == 0 && slice_over() {
                progress(records.lines().position());
                pause().await;
                if cancelled() {
                    return None;
                }
            }
        }
        progress(self.text.len());
        out.unit_hint = looks_like
            .iter()
            .enumerate()
            .max_by_key(|(_, n)| **n)
            .filter(|(_, n)| **n > 0)
            .map(|(i, n)| (UNITS[i], *n));
        Some(out)
    }

    /// The warning for a timestamp that looks like another unit, placed on the timestamp itself.
    fn timestamp_warning(&self, line: &Line<'_>) -> Option<(usize, LineMark)> {
        let ts = line.timestamp?;
        let message = unit_warning(ts, self.precision)?;
        let last = line
            .raw
            .rsplit('\n')
            .next()
            .unwrap_or(line.raw)
            .trim_end_matches('\r');
        let start = last.rfind(' ').map_or(0, |i| i + 1);
        let column = last[..start].chars().count() as u32 + 1;
        let end_column = column + last[start..].chars().count() as u32;
        let extra = line.raw.bytes().filter(|&b| b == b'\n').count();
        let at = line.line_number as usize - 1 + extra;
        let guessed = Precision::guess(ts);
        let edit = timestamp_in(ts, guessed, self.precision).map(|v| LineEdit {
            title: format!("write {v} ({})", self.precision),
            range: start..last.len(),
            text: v.to_string(),
        });
        Some((
            at,
            LineMark {
                column,
                end_column,
                kind: "timestamp_unit",
                message,
                fix: Some(Fix::Precision(guessed)),
                edit,
            },
        ))
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    use super::*;

    /// Drives a future whose pauses are always ready.
    fn block_on<F: Future>(f: F) -> F::Output {
        let mut f = pin!(f);
        let mut cx = Context::from_waker(Waker::noop());
        loop {
            if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
                return v;
            }
        }
    }

    fn check(text: &str, precision: Precision) -> BatchResult {
        let schema = KnownColumns::default();
        let pass = BatchPass {
            text,
            precision,
            schema: &schema,
            now_ns: 0,
        };
        block_on(pass.run(|| async {}, || true, || false, |_| {})).expect("not cancelled")
    }

    #[test]
    fn finds_type_conflicts_between_lines() {
        let r = check("m f=1 1\nm f=\"x\" 2\nm f=2 3\n", Precision::Second);
        assert_eq!(r.errors.keys().copied().collect::<Vec<_>>(), vec![1]);
        assert_eq!(r.errors[&1].kind, "type_conflict");
        assert_eq!(
            r.errors[&1].edit, None,
            "a string is no float: nothing to offer"
        );
        assert_eq!(
            r.errors[&1].message,
            "column 'f' of 'm' is a float field (first seen on line 1); this value, \"x\", is a \
             string; a float fits, such as 1.5"
        );
        assert_eq!((r.records, r.valid), (3, 2));
        assert_eq!(
            r.time,
            Some(TimeRange {
                first: 1_000_000_000,
                last: 3_000_000_000
            })
        );
    }

    #[test]
    fn warns_on_timestamps_in_another_unit_and_names_it() {
        let r = check(
            "m f=1 1641024000\nm f=1 1641027600\n",
            Precision::Nanosecond,
        );
        assert_eq!(r.warnings.len(), 2);
        let w = &r.warnings[&0];
        assert_eq!((w.column, w.end_column), (7, 17));
        assert_eq!(w.fix, Some(Fix::Precision(Precision::Second)));
        let edit = w.edit.as_ref().expect("convertible exactly");
        assert_eq!(
            (edit.range.clone(), edit.text.as_str()),
            (6..16, "1641024000000000000")
        );
        assert_eq!(r.unit_hint, Some((Precision::Second, 2)));
        assert!(check("m f=1 1641024000\n", Precision::Second)
            .warnings
            .is_empty());
    }

    #[test]
    fn gives_up_when_a_newer_text_waits() {
        let text: String = (0..2000).map(|i| format!("m f={i} {i}\n")).collect();
        let schema = KnownColumns::default();
        let pass = BatchPass {
            text: &text,
            precision: Precision::Auto,
            schema: &schema,
            now_ns: 0,
        };
        assert!(block_on(pass.run(|| async {}, || true, || true, |_| {})).is_none());
    }
}
