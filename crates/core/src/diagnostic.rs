//! Errors for one line, positioned for editors and compilers alike.
use alloc::borrow::Cow;
use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use core::fmt;
use core::ops::Range;

/// Stable identifiers for what went wrong. `as_str` values are part of the public contract
/// (`linewise check --format jsonl`, the npm package, the web page): never rename one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Bytes that are not UTF-8 somewhere in the line.
    InvalidUtf8,
    /// The line starts with `,` (no measurement name).
    MissingMeasurement,
    /// A tab where a name or separator was expected: only spaces separate elements.
    UnexpectedTab,
    /// A backslash as the last character of a line (it escapes nothing).
    TrailingBackslash,
    /// `,` after the measurement or a tag with no tag key after it.
    MissingTagKey,
    /// A tag key not followed by `=`.
    MissingTagEquals,
    /// `key=` with no tag value.
    MissingTagValue,
    /// The line ends (or has only a timestamp) where the field set should be.
    MissingFieldSet,
    /// An empty field key (`=1`, `a=1,,b=2`).
    MissingFieldKey,
    /// A field key not followed by `=`.
    MissingFieldEquals,
    /// `key=` with nothing after the `=`.
    MissingFieldValue,
    /// A `,` that ends the field set.
    TrailingComma,
    /// A field value that is no number, string or boolean (`NaN`, `.5`, `abc`).
    InvalidFieldValue,
    InvalidFloat,
    InvalidInteger,
    /// An `i` integer outside the i64 range.
    IntegerOverflow,
    InvalidUnsigned,
    /// A `u` integer outside the u64 range.
    UnsignedOverflow,
    InvalidBoolean,
    /// A string field value without its closing `"` on the line.
    UnterminatedString,
    /// Something other than `,`, a space or the line end right after a string field value.
    ExpectedSeparator,
    /// A string field value longer than `MAX_STRING_LEN`.
    StringTooLong,
    /// A measurement, tag key, tag value or field key longer than `MAX_STRING_LEN`.
    NameTooLong,
    InvalidTimestamp,
    /// A timestamp outside the i64 range.
    TimestampOverflow,
    /// A timestamp whose nanosecond value under the requested precision overflows an i64.
    TimestampOutOfRange,
    /// Anything after the timestamp.
    TrailingContent,
    /// A field whose type differs from the same column's type earlier in the batch or in the
    /// stored schema.
    TypeConflict,
    /// A name used as a tag and as a field of the same measurement.
    ColumnKindConflict,
    /// The same tag key twice in one line.
    DuplicateTag,
    /// The same field key twice in one line.
    DuplicateField,
    /// A tag or field named `time`.
    ReservedColumn,
    /// More tags and fields in one line than the validator's column limit.
    TooManyColumns,
}

impl ErrorKind {
    /// Every kind in declaration order (the npm package's `errorKinds()`); the test beside it
    /// fails to compile when a kind is added and not listed.
    pub const ALL: [ErrorKind; 33] = [
        ErrorKind::InvalidUtf8,
        ErrorKind::MissingMeasurement,
        ErrorKind::UnexpectedTab,
        ErrorKind::TrailingBackslash,
        ErrorKind::MissingTagKey,
        ErrorKind::MissingTagEquals,
        ErrorKind::MissingTagValue,
        ErrorKind::MissingFieldSet,
        ErrorKind::MissingFieldKey,
        ErrorKind::MissingFieldEquals,
        ErrorKind::MissingFieldValue,
        ErrorKind::TrailingComma,
        ErrorKind::InvalidFieldValue,
        ErrorKind::InvalidFloat,
        ErrorKind::InvalidInteger,
        ErrorKind::IntegerOverflow,
        ErrorKind::InvalidUnsigned,
        ErrorKind::UnsignedOverflow,
        ErrorKind::InvalidBoolean,
        ErrorKind::UnterminatedString,
        ErrorKind::ExpectedSeparator,
        ErrorKind::StringTooLong,
        ErrorKind::NameTooLong,
        ErrorKind::InvalidTimestamp,
        ErrorKind::TimestampOverflow,
        ErrorKind::TimestampOutOfRange,
        ErrorKind::TrailingContent,
        ErrorKind::TypeConflict,
        ErrorKind::ColumnKindConflict,
        ErrorKind::DuplicateTag,
        ErrorKind::DuplicateField,
        ErrorKind::ReservedColumn,
        ErrorKind::TooManyColumns,
    ];

    /// snake_case identifier, e.g. `missing_field_set`, `type_conflict`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidUtf8 => "invalid_utf8",
            ErrorKind::MissingMeasurement => "missing_measurement",
            ErrorKind::UnexpectedTab => "unexpected_tab",
            ErrorKind::TrailingBackslash => "trailing_backslash",
            ErrorKind::MissingTagKey => "missing_tag_key",
            ErrorKind::MissingTagEquals => "missing_tag_equals",
            ErrorKind::MissingTagValue => "missing_tag_value",
            ErrorKind::MissingFieldSet => "missing_field_set",
            ErrorKind::MissingFieldKey => "missing_field_key",
            ErrorKind::MissingFieldEquals => "missing_field_equals",
            ErrorKind::MissingFieldValue => "missing_field_value",
            ErrorKind::TrailingComma => "trailing_comma",
            ErrorKind::InvalidFieldValue => "invalid_field_value",
            ErrorKind::InvalidFloat => "invalid_float",
            ErrorKind::InvalidInteger => "invalid_integer",
            ErrorKind::IntegerOverflow => "integer_overflow",
            ErrorKind::InvalidUnsigned => "invalid_unsigned",
            ErrorKind::UnsignedOverflow => "unsigned_overflow",
            ErrorKind::InvalidBoolean => "invalid_boolean",
            ErrorKind::UnterminatedString => "unterminated_string",
            ErrorKind::ExpectedSeparator => "expected_separator",
            ErrorKind::StringTooLong => "string_too_long",
            ErrorKind::NameTooLong => "name_too_long",
            ErrorKind::InvalidTimestamp => "invalid_timestamp",
            ErrorKind::TimestampOverflow => "timestamp_overflow",
            ErrorKind::TimestampOutOfRange => "timestamp_out_of_range",
            ErrorKind::TrailingContent => "trailing_content",
            ErrorKind::TypeConflict => "type_conflict",
            ErrorKind::ColumnKindConflict => "column_kind_conflict",
            ErrorKind::DuplicateTag => "duplicate_tag",
            ErrorKind::DuplicateField => "duplicate_field",
            ErrorKind::ReservedColumn => "reserved_column",
            ErrorKind::TooManyColumns => "too_many_columns",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
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
    /// Byte range in the whole input of the rejected record's text (from the start of its
    /// physical line, line ending excluded): what InfluxDB reports as `original_line`.
    pub record: Range<usize>,
    pub kind: ErrorKind,
    /// Says what was expected and where, e.g. `expected '=' after tag key "room"`.
    pub message: String,
    /// Length of the start of `message` that is InfluxDB 3's own sentence for the problem (a
    /// schema conflict), the rest being linewise's context; `None` when InfluxDB's is not kept.
    influx_len: Option<usize>,
    /// What only schema conflicts carry, boxed so that every `Result<_, Diagnostic>` of the hot
    /// path stays small.
    extra: Option<Box<Extra>>,
}

/// The parts of a diagnostic only schema conflicts have.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Extra {
    /// The problem told for a person where `message` keeps InfluxDB's wording.
    plain: Option<String>,
    /// A replacement that removes the problem: byte range in the whole input and its new text
    /// (a conflicting value in its column's type), for [`crate::fix::quick_fix`].
    suggestion: Option<(Range<usize>, String)>,
}

impl Diagnostic {
    /// Builds a diagnostic for bytes `start..end` of `text`, where `text` begins at the start of
    /// the physical line `record_line` and sits at byte `offset` of the whole input.
    pub(crate) fn locate(
        text: &[u8],
        offset: usize,
        record_line: u32,
        record_len: usize,
        span: Range<usize>,
        kind: ErrorKind,
        message: String,
    ) -> Diagnostic {
        let start = span.start.min(text.len());
        let before = &text[..start];
        let newlines = memchr::memchr_iter(b'\n', before).count() as u32;
        let line_start = memchr::memrchr(b'\n', before).map_or(0, |i| i + 1);
        let column = 1 + count_chars(&text[line_start..start]);
        let line_end = memchr::memchr(b'\n', &text[start..]).map_or(text.len(), |i| start + i);
        let end = span.end.clamp(start, line_end);
        let width = count_chars(&text[start..end]).max(1);
        Diagnostic {
            line: record_line + newlines,
            record_line,
            column,
            end_column: column + width,
            start: offset + start,
            end: offset + end,
            record: offset..offset + record_len.min(text.len()),
            kind,
            message,
            influx_len: None,
            extra: None,
        }
    }

    /// Marks the first `len` bytes of the message as InfluxDB 3's exact sentence.
    pub(crate) fn with_influx_sentence(mut self, len: usize) -> Diagnostic {
        self.influx_len = Some(len.min(self.message.len()));
        self
    }

    /// Sets the replacement that removes the problem (bytes of the whole input).
    pub(crate) fn with_suggestion(mut self, range: Range<usize>, text: String) -> Diagnostic {
        self.extra.get_or_insert_default().suggestion = Some((range, text));
        self
    }

    /// The replacement that removes the problem, if one is known: a byte range of the whole
    /// input and its new text.
    pub fn suggestion(&self) -> Option<(&Range<usize>, &str)> {
        let (r, t) = self.extra.as_ref()?.suggestion.as_ref()?;
        Some((r, t.as_str()))
    }

    /// Sets the text for a person (`plain_message`).
    pub(crate) fn with_plain(mut self, text: String) -> Diagnostic {
        self.extra.get_or_insert_default().plain = Some(text);
        self
    }

    /// The problem in words for a person reading an editor: for a schema conflict, what the
    /// column is, where it was first seen, what this value is and what would fit, with no
    /// InfluxDB type names (`iox::column_type::field::float`) to decode; otherwise `message`.
    /// The HTTP API keeps InfluxDB's text ([`Diagnostic::influx_message`]).
    pub fn plain_message(&self) -> &str {
        self.extra
            .as_ref()
            .and_then(|e| e.plain.as_deref())
            .unwrap_or(&self.message)
    }

    /// The text InfluxDB 3's write API gives for this line: a schema conflict in InfluxDB's exact
    /// words (client libraries and scripts match on them), any other problem as `column N:
    /// message`, linewise's text with its position (InfluxDB's parser texts are not kept).
    pub fn influx_message(&self) -> Cow<'_, str> {
        match self.influx_len {
            Some(len) => Cow::Borrowed(&self.message[..len]),
            None => Cow::Owned(format!("column {}: {}", self.column, self.message)),
        }
    }
}

/// Characters in `bytes` (UTF-8 lead bytes and invalid bytes each count once).
fn count_chars(bytes: &[u8]) -> u32 {
    bytes.iter().filter(|&&b| b & 0xC0 != 0x80).count() as u32
}

/// `LINE:COLUMN: message`, the compiler-style form (the file name is the caller's).
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Diagnostic {}

#[cfg(test)]
mod tests {
    use super::*;

    /// Position of `kind` in the declaration; exhaustive, so a new kind must be added here and to
    /// `ErrorKind::ALL`.
    fn rank(kind: ErrorKind) -> usize {
        match kind {
            ErrorKind::InvalidUtf8 => 0,
            ErrorKind::MissingMeasurement => 1,
            ErrorKind::UnexpectedTab => 2,
            ErrorKind::TrailingBackslash => 3,
            ErrorKind::MissingTagKey => 4,
            ErrorKind::MissingTagEquals => 5,
            ErrorKind::MissingTagValue => 6,
            ErrorKind::MissingFieldSet => 7,
            ErrorKind::MissingFieldKey => 8,
            ErrorKind::MissingFieldEquals => 9,
            ErrorKind::MissingFieldValue => 10,
            ErrorKind::TrailingComma => 11,
            ErrorKind::InvalidFieldValue => 12,
            ErrorKind::InvalidFloat => 13,
            ErrorKind::InvalidInteger => 14,
            ErrorKind::IntegerOverflow => 15,
            ErrorKind::InvalidUnsigned => 16,
            ErrorKind::UnsignedOverflow => 17,
            ErrorKind::InvalidBoolean => 18,
            ErrorKind::UnterminatedString => 19,
            ErrorKind::ExpectedSeparator => 20,
            ErrorKind::StringTooLong => 21,
            ErrorKind::NameTooLong => 22,
            ErrorKind::InvalidTimestamp => 23,
            ErrorKind::TimestampOverflow => 24,
            ErrorKind::TimestampOutOfRange => 25,
            ErrorKind::TrailingContent => 26,
            ErrorKind::TypeConflict => 27,
            ErrorKind::ColumnKindConflict => 28,
            ErrorKind::DuplicateTag => 29,
            ErrorKind::DuplicateField => 30,
            ErrorKind::ReservedColumn => 31,
            ErrorKind::TooManyColumns => 32,
        }
    }

    #[test]
    fn all_kinds_are_listed_once_in_order() {
        for (i, kind) in ErrorKind::ALL.iter().enumerate() {
            assert_eq!(rank(*kind), i, "{kind:?}");
        }
    }
}
