//! Validation of one input that arrives whole or in chunks: the core's `Splitter` finds the whole
//! records of each chunk (copying only an unfinished one), the core's `Checker` checks them, and
//! points and errors are collected for JS.
use linewise_core::validate::MAX_COLUMNS_PER_TABLE;
use linewise_core::{Checker, KnownSchema, Line, Piece, Precision, Splitter};

use super::encode::Encoded;

/// What to gather besides counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Collect {
    /// Keep the valid points (`parse`) or only count them (`validate`).
    pub points: bool,
    /// Errors kept in full; later ones are only counted.
    pub max_errors: u64,
}

pub struct Engine<'s> {
    splitter: Splitter,
    sink: Sink<'s>,
}

/// Checks the pieces the splitter hands over and gathers the results.
struct Sink<'s> {
    checker: Checker<'s>,
    collect: Collect,
    points: u64,
    errors: u64,
    out: Encoded,
}

impl<'s> Engine<'s> {
    /// `now_ns` is the caller's "now": lines without a timestamp get it truncated to `precision`.
    pub fn new(
        precision: Precision,
        schema: Option<&'s dyn KnownSchema>,
        collect: Collect,
        now_ns: i64,
    ) -> Self {
        Engine {
            splitter: Splitter::new(),
            sink: Sink {
                checker: Checker::new(precision, now_ns, schema)
                    .with_max_columns(MAX_COLUMNS_PER_TABLE),
                collect,
                points: 0,
                errors: 0,
                out: Encoded::default(),
            },
        }
    }

    /// Physical lines seen so far (a last line without a newline counts).
    pub fn lines(&self) -> u64 {
        self.splitter.lines()
    }

    pub fn points(&self) -> u64 {
        self.sink.points
    }

    pub fn error_count(&self) -> u64 {
        self.sink.errors
    }

    /// Points and errors gathered since the last call.
    pub fn take(&mut self) -> Encoded {
        std::mem::take(&mut self.sink.out)
    }

    /// Takes the next chunk; checks every record it completes.
    pub fn push(&mut self, chunk: &[u8]) {
        self.splitter.push(chunk, |piece| self.sink.check(piece));
    }

    /// Ends the input with `rest` (may be empty): everything left is checked as complete. Used
    /// alone, it validates a whole input in place.
    pub fn finish(&mut self, rest: &[u8]) {
        self.splitter.finish(rest, |piece| self.sink.check(piece));
    }
}

impl Sink<'_> {
    /// Checks the records of `piece`; where an unfinished one starts, if any.
    fn check(&mut self, piece: Piece<'_>) -> Option<usize> {
        let mut records = self.checker.check(piece.lines());
        let mut line = Line::new();
        while let Some(verdict) = records.next(&mut line) {
            match verdict {
                Ok(accepted) => {
                    self.points += 1;
                    if self.collect.points {
                        self.out.push_point(&line, accepted.time_ns);
                    }
                }
                Err(diagnostic) => {
                    if self.errors < self.collect.max_errors {
                        self.out.push_error(&diagnostic);
                    }
                    self.errors += 1;
                }
            }
        }
        records.lines().unfinished()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIXED: &[u8] = include_bytes!("../js/test/data/mixed-multiline.lp");
    const BAD: &[u8] = include_bytes!("../js/test/data/mixed-bad.lp");

    fn whole(input: &[u8]) -> (Encoded, u64, u64, u64) {
        let collect = Collect {
            points: true,
            max_errors: u64::MAX,
        };
        let mut engine = Engine::new(Precision::Auto, None, collect, 7);
        engine.finish(input);
        let lines = engine.lines();
        (engine.take(), lines, engine.points(), engine.error_count())
    }

    fn chunked(input: &[u8], size: usize) -> (Encoded, u64, u64, u64) {
        let collect = Collect {
            points: true,
            max_errors: u64::MAX,
        };
        let mut engine = Engine::new(Precision::Auto, None, collect, 7);
        for chunk in input.chunks(size) {
            engine.push(chunk);
        }
        engine.finish(&[]);
        let lines = engine.lines();
        (engine.take(), lines, engine.points(), engine.error_count())
    }

    #[test]
    fn chunks_of_any_size_give_the_whole_result() {
        for input in [MIXED, BAD] {
            let expected = whole(input);
            assert!(expected.3 > 0 && expected.2 > 300);
            for size in [1, 2, 3, 5, 16, 100, 999, 4096, input.len()] {
                assert!(chunked(input, size) == expected, "chunk size {size}");
            }
        }
    }

    #[test]
    fn a_string_left_open_waits_for_its_quote() {
        let input = b"m f=\"a\nb\nc\" 1\nm f=\"x\n";
        let expected = whole(input);
        assert_eq!((expected.1, expected.2, expected.3), (4, 1, 1));
        for size in 1..input.len() {
            assert!(chunked(input, size) == expected, "chunk size {size}");
        }
    }

    proptest::proptest! {
        /// Inputs made of pieces that steer record splitting (string values left open or closed
        /// on a later line, escapes, comments, CRLF, invalid UTF-8), cut at random places: the
        /// chunked result always equals the whole one.
        #[test]
        fn random_inputs_and_cuts_agree(
            pieces in proptest::collection::vec(
                proptest::sample::select(vec![
                    &b"m,t=a f=1i"[..], b"m s=\"", b"x", b"\"", b"\\", b"\\\"", b" 1", b",",
                    b"\n", b"\r\n", b"# c \"", b"=", b" ", b"g=t", b"\xc3\xa9", b"\xff",
                ]),
                0..60,
            ),
            cuts in proptest::collection::vec(1usize..40, 1..20),
        ) {
            let input = pieces.concat();
            let expected = whole(&input);
            let collect = Collect { points: true, max_errors: u64::MAX };
            let mut engine = Engine::new(Precision::Auto, None, collect, 7);
            let mut rest = &input[..];
            for cut in cuts.iter().cycle() {
                if rest.is_empty() {
                    break;
                }
                let (chunk, after) = rest.split_at((*cut).min(rest.len()));
                engine.push(chunk);
                rest = after;
            }
            engine.finish(&[]);
            let lines = engine.lines();
            proptest::prop_assert!((engine.take(), lines, engine.points(), engine.error_count()) == expected);
        }
    }
}
