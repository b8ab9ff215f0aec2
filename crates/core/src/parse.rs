//! The line-protocol parser.
use crate::{Diagnostic, Line};

/// Iterates over the records of `input`, skipping blank and comment lines. Every invalid line yields
/// its diagnostic(s) and parsing continues with the next line.
pub fn parse_lines(input: &[u8]) -> Lines<'_> {
    todo!("{}", input.len())
}

/// Iterator over records. (Core owner: add a `next_into(&mut Line)` that reuses the tag/field Vecs.)
pub struct Lines<'a> {
    input: &'a [u8],
}

impl<'a> Iterator for Lines<'a> {
    type Item = Result<Line<'a>, Diagnostic>;
    fn next(&mut self) -> Option<Self::Item> {
        todo!("{}", self.input.len())
    }
}
