//! Serialising points as line protocol, escaping exactly what each position needs.
use alloc::string::String;
use alloc::vec::Vec;

/// An owned point, built by hand (the writer's input) or from a parsed `Line`.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub measurement: String,
    pub tags: Vec<(String, String)>,
    pub fields: Vec<(String, OwnedFieldValue)>,
    pub timestamp: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum OwnedFieldValue {
    Float(f64),
    Integer(i64),
    UInteger(u64),
    String(String),
    Boolean(bool),
}

/// Appends `point` as one line (no trailing newline) to `out`.
pub fn write_line(out: &mut String, point: &Point) {
    todo!("{out}{point:?}")
}
