//! Where a caret stands in a record being typed, for completion. A record being typed is
//! usually not valid yet (`home,ro`), so the parser cannot say; this reads the same separators
//! the parser does (unescaped `,` `=` and spaces, quoted strings, backslash escapes) up to the
//! caret and names the part the caret is in, what has been typed of it, and which names the
//! record already has, so an editor offers only what can come next.
//!
//! ```
//! use linewise_core::complete::{context, Place};
//! let line = "home,room=Kitchen te";
//! let c = context(line, line.len());
//! assert_eq!(c.place, Place::FieldKey);
//! assert_eq!((c.measurement.as_str(), c.typed.as_str()), ("home", "te"));
//! assert_eq!(c.tags, ["room"]);
//! ```
use alloc::string::String;
use alloc::vec::Vec;
use core::ops::Range;

use crate::types::{Token, TokenKind};

/// The part of a record the caret is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    Measurement,
    TagKey,
    /// The value of tag `key`.
    TagValue {
        key: String,
    },
    FieldKey,
    /// The value of field `key`.
    FieldValue {
        key: String,
    },
    Timestamp,
    /// A comment line, or inside a quoted string: nothing to complete.
    None,
}

/// What [`context`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    pub place: Place,
    /// The record's measurement, unescaped (what is typed of it, while the caret is in it).
    pub measurement: String,
    /// Bytes of the line from the start of the part the caret is in to the caret: what a
    /// completion replaces.
    pub range: Range<usize>,
    /// That part as typed so far, unescaped.
    pub typed: String,
    /// Tag keys the record has before the caret, unescaped.
    pub tags: Vec<String>,
    /// Field keys the record has before the caret, unescaped.
    pub fields: Vec<String>,
}

/// The context of byte `caret` (clamped to a character boundary) of one physical `line`.
pub fn context(line: &str, caret: usize) -> Context {
    let mut caret = caret.min(line.len());
    while !line.is_char_boundary(caret) {
        caret -= 1;
    }
    let bytes = &line.as_bytes()[..caret];
    let start = bytes
        .iter()
        .position(|&b| b != b' ' && b != b'\t')
        .unwrap_or(caret);
    let mut out = Context {
        place: Place::Measurement,
        measurement: String::new(),
        range: start..caret,
        typed: String::new(),
        tags: Vec::new(),
        fields: Vec::new(),
    };
    if bytes.get(start) == Some(&b'#') {
        out.place = Place::None;
        return out;
    }
    let mut token = start;
    let mut key = String::new();
    let mut i = start;
    let mut in_string = false;
    while i < caret {
        let b = bytes[i];
        if in_string {
            match b {
                b'\\' => i += 1,
                b'"' => in_string = false,
                _ => {}
            }
            i += 1;
            continue;
        }
        let separator = matches!(b, b',' | b' ' | b'=');
        if b == b'\\' {
            i += 2;
            continue;
        }
        if b == b'"' && matches!(out.place, Place::FieldValue { .. }) && i == token {
            in_string = true;
            i += 1;
            continue;
        }
        if !separator {
            i += 1;
            continue;
        }
        let name = unescape(&line[token..i], kind_of(&out.place));
        let next = match (&out.place, b) {
            (Place::Measurement, b',') => {
                out.measurement = name;
                Place::TagKey
            }
            (Place::Measurement, b' ') => {
                out.measurement = name;
                Place::FieldKey
            }
            (Place::TagKey, b'=') => {
                key.clone_from(&name);
                out.tags.push(name);
                Place::TagValue { key: key.clone() }
            }
            (Place::TagKey | Place::TagValue { .. }, b',') => Place::TagKey,
            (Place::TagKey | Place::TagValue { .. }, b' ') => Place::FieldKey,
            (Place::FieldKey, b'=') => {
                key.clone_from(&name);
                out.fields.push(name);
                Place::FieldValue { key: key.clone() }
            }
            (Place::FieldKey | Place::FieldValue { .. }, b',') => Place::FieldKey,
            (Place::FieldKey | Place::FieldValue { .. }, b' ') => Place::Timestamp,
            // `=` inside a measurement or tag value, anything in a timestamp: not a separator.
            (place, _) => place.clone(),
        };
        if next != out.place || b != b'=' {
            token = i + 1;
        }
        out.place = next;
        i += 1;
    }
    if in_string {
        out.place = Place::None;
    }
    let token = token.min(caret);
    out.range = token..caret;
    out.typed = unescape(&line[token..caret], kind_of(&out.place));
    if out.place == Place::Measurement {
        out.measurement.clone_from(&out.typed);
    }
    out
}

/// How names are escaped at `place`.
fn kind_of(place: &Place) -> TokenKind {
    match place {
        Place::Measurement => TokenKind::Measurement,
        _ => TokenKind::Name,
    }
}

fn unescape(raw: &str, kind: TokenKind) -> String {
    Token::new(raw, kind).unescaped().into_owned()
}

/// `name` escaped for `place`, as the writer escapes it: `,` space `\` everywhere, `=` in keys
/// and tag values.
pub fn escape(name: &str, place: &Place) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        let equals = c == '=' && *place != Place::Measurement;
        if matches!(c, ',' | ' ' | '\\') || equals {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at_end(line: &str) -> Context {
        context(line, line.len())
    }

    #[test]
    fn names_each_part_of_a_record() {
        assert_eq!(at_end("ho").place, Place::Measurement);
        assert_eq!(at_end("ho").typed, "ho");
        let c = at_end("home,");
        assert_eq!((c.place, c.measurement.as_str()), (Place::TagKey, "home"));
        let c = at_end("home,room=Kit");
        assert_eq!(c.place, Place::TagValue { key: "room".into() });
        assert_eq!((c.typed.as_str(), c.range), ("Kit", 10..13));
        let c = at_end("home,room=Kitchen temp=21.5,");
        assert_eq!(c.place, Place::FieldKey);
        assert_eq!(c.fields, ["temp"]);
        assert_eq!(
            at_end("home temp=2").place,
            Place::FieldValue { key: "temp".into() }
        );
        assert_eq!(at_end("home temp=2 16").place, Place::Timestamp);
        assert_eq!(at_end("# note, x=1").place, Place::None);
    }

    #[test]
    fn escapes_and_strings_do_not_end_a_part() {
        let c = at_end(r"my\ home,room=Living\ Ro");
        assert_eq!(c.measurement, "my home");
        assert_eq!(c.typed, "Living Ro");
        let c = at_end(r#"m s="a, b=c" ,x"#);
        assert_eq!(c.place, Place::Timestamp);
        let c = at_end(r#"m s="a, b=c",x"#);
        assert_eq!((c.place, c.typed.as_str()), (Place::FieldKey, "x"));
        assert_eq!(at_end(r#"m s="open, still"#).place, Place::None);
    }

    #[test]
    fn the_caret_in_the_middle_reads_only_what_is_before_it() {
        let line = "home,room=Kitchen temp=21.5 1641024000";
        let c = context(line, 7);
        assert_eq!(
            (c.place, c.typed.as_str(), c.range),
            (Place::TagKey, "ro", 5..7)
        );
    }

    #[test]
    fn escape_matches_the_writer() {
        assert_eq!(escape("a b,c=d", &Place::Measurement), r"a\ b\,c=d");
        assert_eq!(escape("a b,c=d", &Place::TagKey), r"a\ b\,c\=d");
    }
}
