//! Borrowed views of one parsed line. Nothing here copies the input unless a token holds an escape.
use alloc::borrow::Cow;
use alloc::vec::Vec;

/// A name as written in the input (measurement, tag key/value, field key): the raw slice, and
/// whether it contains a backslash escape, so unescaping costs nothing for the common case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token<'a> {
    pub raw: &'a str,
    pub escaped: bool,
}

impl<'a> Token<'a> {
    /// The value with escapes removed; borrowed when there were none.
    pub fn unescaped(&self) -> Cow<'a, str> {
        todo!()
    }
}

/// The five field types of line protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FieldType {
    Float,
    Integer,
    UInteger,
    String,
    Boolean,
}

impl FieldType {
    /// Stable lower-case name used in JSON output (`float|integer|uinteger|string|boolean`).
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::Float => "float",
            FieldType::Integer => "integer",
            FieldType::UInteger => "uinteger",
            FieldType::String => "string",
            FieldType::Boolean => "boolean",
        }
    }
}

/// A decoded field value. Strings stay borrowed (raw, still escaped) until asked for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FieldValue<'a> {
    Float(f64),
    Integer(i64),
    UInteger(u64),
    /// The text between the quotes, escapes (`\"`, `\\`) not yet removed.
    String(Token<'a>),
    Boolean(bool),
}

/// One valid line (record) of the input.
#[derive(Debug, Clone, PartialEq)]
pub struct Line<'a> {
    /// 1-based physical line number where the record starts (blank and comment lines count).
    pub line_number: u32,
    /// The record's text exactly as in the input (may span physical lines inside a quoted string).
    pub raw: &'a str,
    pub measurement: Token<'a>,
    pub tags: Vec<(Token<'a>, Token<'a>)>,
    pub fields: Vec<(Token<'a>, FieldValue<'a>)>,
    /// The timestamp as written, before any precision is applied.
    pub timestamp: Option<i64>,
}
