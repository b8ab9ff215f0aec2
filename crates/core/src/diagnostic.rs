//! Errors for one line, positioned for editors and compilers alike.
use alloc::string::String;

/// Stable identifiers for what went wrong. `as_str` values are part of the public contract
/// (`linewise check --format jsonl`, the npm package, the web page): never rename one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    // The core owner completes this list (one variant per rule), e.g.:
    MissingMeasurement,
    MissingFieldSet,
    TypeConflict,
    InvalidUtf8,
}

impl ErrorKind {
    /// snake_case identifier, e.g. `missing_field_set`, `type_conflict`.
    pub fn as_str(self) -> &'static str {
        todo!()
    }
}

/// One problem on one line. Columns are 1-based and count characters (not bytes), so editors can
/// underline `column..end_column` (end exclusive). Byte offsets are into the whole input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// 1-based physical line of the problem (for multi-line records: the line the problem is on).
    pub line: u32,
    /// 1-based physical line where the record containing the problem starts.
    pub record_line: u32,
    pub column: u32,
    pub end_column: u32,
    /// Byte range of the problem in the whole input.
    pub start: usize,
    pub end: usize,
    pub kind: ErrorKind,
    /// Says what was expected and where, e.g. `expected '=' after tag key "room"`.
    pub message: String,
}
