//! A field value rewritten as another field type, when nothing is lost: what a schema-conflict
//! message offers as "what would fit", and the edit a quick fix makes.
use alloc::format;
use alloc::string::String;

use crate::{FieldType, FieldValue};

/// Largest integer magnitude every f64 holds exactly (2^53).
const EXACT_IN_F64: u64 = 1 << 53;

/// `value` (written as `written`) as line protocol of type `to`, when it converts exactly:
/// `21i` → `21.0`, `21.0` → `21i`, `5i` → `5u`, any number or boolean → its text quoted.
/// `None` when it would change the value (`21.5` → integer) or no conversion is defined.
pub fn convert_value(value: &FieldValue<'_>, written: &str, to: FieldType) -> Option<String> {
    match (*value, to) {
        (v, t) if v.field_type() == t => Some(String::from(written)),
        (FieldValue::Integer(v), FieldType::Float) => {
            (v.unsigned_abs() <= EXACT_IN_F64).then(|| format!("{v}.0"))
        }
        (FieldValue::UInteger(v), FieldType::Float) => {
            (v <= EXACT_IN_F64).then(|| format!("{v}.0"))
        }
        (FieldValue::Float(f), FieldType::Integer) => {
            let i = f as i64;
            (i as f64 == f && i.unsigned_abs() <= EXACT_IN_F64).then(|| format!("{i}i"))
        }
        (FieldValue::Float(f), FieldType::UInteger) => {
            let u = f as u64;
            (f >= 0.0 && u as f64 == f && u <= EXACT_IN_F64).then(|| format!("{u}u"))
        }
        (FieldValue::Integer(v), FieldType::UInteger) => (v >= 0).then(|| format!("{v}u")),
        (FieldValue::UInteger(v), FieldType::Integer) => {
            i64::try_from(v).ok().map(|v| format!("{v}i"))
        }
        (FieldValue::String(_), _) => None,
        (_, FieldType::String) => Some(format!("\"{written}\"")),
        _ => None,
    }
}

/// An example value of type `t`, as line protocol.
pub fn example(t: FieldType) -> &'static str {
    match t {
        FieldType::Float => "1.5",
        FieldType::Integer => "1i",
        FieldType::UInteger => "1u",
        FieldType::String => "\"text\"",
        FieldType::Boolean => "true",
    }
}

/// The type in words with its article, for sentences: `a float`, `an integer`.
pub fn a_type(t: FieldType) -> &'static str {
    match t {
        FieldType::Float => "a float",
        FieldType::Integer => "an integer",
        FieldType::UInteger => "an unsigned integer",
        FieldType::String => "a string",
        FieldType::Boolean => "a boolean",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_lines;

    /// Converts the value of field `f` of `line` to `to`.
    fn convert(line: &str, to: FieldType) -> Option<String> {
        let l = parse_lines(line.as_bytes()).next().unwrap().unwrap();
        let written = &l.raw[l.field_value_span(0)];
        convert_value(&l.fields[0].1, written, to)
    }

    #[test]
    fn converts_only_what_keeps_its_value() {
        assert_eq!(
            convert("m f=21i", FieldType::Float).as_deref(),
            Some("21.0")
        );
        assert_eq!(convert("m f=-3i", FieldType::UInteger), None);
        assert_eq!(convert("m f=7u", FieldType::Integer).as_deref(), Some("7i"));
        assert_eq!(
            convert("m f=18446744073709551615u", FieldType::Integer),
            None
        );
        assert_eq!(
            convert("m f=21.0", FieldType::Integer).as_deref(),
            Some("21i")
        );
        assert_eq!(convert("m f=21.5", FieldType::Integer), None);
        assert_eq!(
            convert("m f=2e3", FieldType::UInteger).as_deref(),
            Some("2000u")
        );
        assert_eq!(
            convert("m f=21.5", FieldType::String).as_deref(),
            Some("\"21.5\"")
        );
        assert_eq!(
            convert("m f=t", FieldType::String).as_deref(),
            Some("\"t\"")
        );
        assert_eq!(convert("m f=\"21\"", FieldType::Float), None);
        assert_eq!(convert("m f=t", FieldType::Float), None);
        assert_eq!(convert("m f=9007199254740993i", FieldType::Float), None);
    }
}
