//! Quick fixes: for some diagnostics, the edit that repairs the line, computed here and checked
//! by parsing the fixed record again before it is offered, so an editor never proposes a fix
//! that leaves the same problem (or makes a new one) where it edited.
//!
//! ```
//! use linewise_core::{fix::quick_fix, parse_lines};
//! let input = b"home,room=K temp=21.5, 1641024000\n";
//! let d = parse_lines(input).next().unwrap().unwrap_err();
//! let fix = quick_fix(input, &d).unwrap();
//! assert_eq!(fix.apply(input), b"home,room=K temp=21.5 1641024000\n");
//! ```
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::ops::Range;

use crate::{parse_lines, Diagnostic, ErrorKind, Precision};

/// One edit of the input that repairs a diagnostic's problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuickFix {
    /// What the fix does, for a button or menu: `remove the trailing ','`, `write 21.0`.
    pub title: String,
    /// Byte range of the input replaced (within the diagnostic's record).
    pub range: Range<usize>,
    pub replacement: String,
}

impl QuickFix {
    /// `input` with the fix applied.
    pub fn apply(&self, input: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(input.len() + self.replacement.len());
        out.extend_from_slice(&input[..self.range.start]);
        out.extend_from_slice(self.replacement.as_bytes());
        out.extend_from_slice(&input[self.range.end..]);
        out
    }
}

/// The fix for `d`, a diagnostic of `input`, when one is known and the record parses past the
/// edit once it is applied: a trailing comma removed, an unquoted word quoted as a string, a
/// space or comma that cut a name short escaped, an `=` meant in a field key escaped, a repeated
/// tag or field removed (the first stays), a value that conflicts with its column's type
/// rewritten in that type when it converts exactly (`21i` → `21.0`).
pub fn quick_fix(input: &[u8], d: &Diagnostic) -> Option<QuickFix> {
    let span = d.start..d.end;
    let text = core::str::from_utf8(input.get(span.clone())?).ok()?;
    let fix = match d.kind {
        ErrorKind::TrailingComma if text == "," => QuickFix {
            title: String::from("remove the trailing ','"),
            range: span,
            replacement: String::new(),
        },
        ErrorKind::InvalidFieldValue => {
            // `a=b=2`: more likely a key `a=b` than a string "b=2", when escaping makes it parse.
            let key = text.contains('=').then(|| key_equals_escaped(input, d));
            if let Some(fix) = key.flatten().and_then(|fix| recheck(input, d, fix)) {
                return Some(fix);
            }
            let quoted = quote(text);
            QuickFix {
                title: format!("quote it as a string: {quoted}"),
                range: span,
                replacement: quoted,
            }
        }
        ErrorKind::DuplicateField | ErrorKind::DuplicateTag => repeat_removed(input, d)?,
        ErrorKind::MissingFieldEquals | ErrorKind::MissingTagEquals
            if text == " " || text == "," =>
        {
            escaped(input, d)?
        }
        ErrorKind::TypeConflict => {
            let (range, replacement) = d.suggestion()?;
            QuickFix {
                title: format!("write {replacement}"),
                range: range.clone(),
                replacement: String::from(replacement),
            }
        }
        _ => return None,
    };
    recheck(input, d, fix)
}

/// The fix of a tag or field key that repeats an earlier one of its line (`d` points at the
/// repeat): the repeat removed, with its value and the comma before it; the first one stays.
fn repeat_removed(input: &[u8], d: &Diagnostic) -> Option<QuickFix> {
    let base = d.record.start;
    let line = parse_lines(input.get(d.record.clone())?).next()?.ok()?;
    let key_at = |raw: &str| base + line.span_of(raw).start;
    let (from, to) = if d.kind == ErrorKind::DuplicateField {
        let i = line
            .fields
            .iter()
            .position(|(k, _)| key_at(k.raw) == d.start)?;
        let previous = line.field_value_span(i.checked_sub(1)?);
        (previous.end, line.field_value_span(i).end)
    } else {
        let i = line
            .tags
            .iter()
            .position(|(k, _)| key_at(k.raw) == d.start)?;
        let previous = line.span_of(line.tags[i.checked_sub(1)?].1.raw);
        (previous.end, line.span_of(line.tags[i].1.raw).end)
    };
    let removed = line.raw.get(from + 1..to)?;
    Some(QuickFix {
        title: format!("remove the repeated {removed}"),
        range: base + from..base + to,
        replacement: String::new(),
    })
}

/// The fix of a key cut short by a space or comma that was meant as part of a name: that
/// character escaped. A space after the first field key's first word most likely ended a tag value
/// too early (`room=Living Room temp=21.1`): the space before that word is escaped instead, so
/// the tag value keeps its second word.
fn escaped(input: &[u8], d: &Diagnostic) -> Option<QuickFix> {
    let record = input.get(d.record.clone())?;
    let mut at = d.start.checked_sub(d.record.start)?;
    if record.get(at) == Some(&b' ') && d.kind == ErrorKind::MissingFieldEquals {
        let key_start = last_separator(&record[..at]).filter(|&i| record[i] == b' ');
        let tagged = record
            .iter()
            .take_while(|&&b| b != b' ')
            .any(|&b| b == b',');
        if let Some(i) = key_start {
            if tagged {
                at = i;
            }
        }
    }
    let c = char::from(*record.get(at)?);
    let word_end = record[at + 1..]
        .iter()
        .position(|&b| matches!(b, b' ' | b',' | b'='))
        .map_or(record.len(), |n| at + 1 + n);
    let word_start = record[..at]
        .iter()
        .rposition(|&b| matches!(b, b' ' | b',' | b'='))
        .map_or(0, |n| n + 1);
    let before = core::str::from_utf8(&record[word_start..at]).ok()?;
    let after = core::str::from_utf8(&record[at + 1..word_end]).ok()?;
    Some(QuickFix {
        title: format!("escape the '{c}': {before}\\{c}{after}"),
        range: d.record.start + at..d.record.start + at + 1,
        replacement: format!("\\{c}"),
    })
}

/// The fix of a field key with an unescaped '=' in it (`a=b=2`, read as key `a` and value
/// `b=2`): every '=' up to the value's own (the last one before any quote) escaped, so the key is
/// `a=b` and the value `2`. The edit runs to the value's end, so `recheck` takes it only when the
/// value then parses.
fn key_equals_escaped(input: &[u8], d: &Diagnostic) -> Option<QuickFix> {
    let eq = d.start.checked_sub(1)?;
    if input.get(eq) != Some(&b'=') {
        return None;
    }
    let line = input.get(d.record.start..eq)?;
    let key_start = last_separator(line).map_or(0, |i| i + 1);
    let key = core::str::from_utf8(&line[key_start..]).ok()?;
    let text = core::str::from_utf8(input.get(d.start..d.end)?).ok()?;
    let unquoted = &text[..text.find('"').unwrap_or(text.len())];
    let split = unquoted.rfind('=')?;
    let more_key = text[..split].replace('=', "\\=");
    Some(QuickFix {
        title: format!("escape the '=': {key}\\={more_key}"),
        range: eq..d.end,
        replacement: format!("\\={more_key}{}", &text[split..]),
    })
}

/// Where the last unescaped space or comma of `bytes` is: the separator before the name that
/// ends them.
fn last_separator(bytes: &[u8]) -> Option<usize> {
    (0..bytes.len())
        .rev()
        .find(|&i| matches!(bytes[i], b' ' | b',') && (i == 0 || bytes[i - 1] != b'\\'))
}

/// A string field value holding `text`: quotes around, `"` and `\` escaped.
fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Timestamp `ts`, written in unit `from`, written in unit `to` instead, when that loses nothing:
/// a product that fits, or a division without remainder. The fix for timestamps that look like
/// another unit than the one a write reads them in, when the person keeps the write's unit.
///
/// ```
/// use linewise_core::{fix::timestamp_in, Precision};
/// let ns = timestamp_in(1641024000, Precision::Second, Precision::Nanosecond);
/// assert_eq!(ns, Some(1_641_024_000_000_000_000));
/// assert_eq!(timestamp_in(1641024000123, Precision::Millisecond, Precision::Second), None);
/// ```
pub fn timestamp_in(ts: i64, from: Precision, to: Precision) -> Option<i64> {
    if from == Precision::Auto || to == Precision::Auto {
        return None;
    }
    let (f, t) = (from.nanos_per_unit(), to.nanos_per_unit());
    if f >= t {
        ts.checked_mul(f / t)
    } else {
        (ts % (t / f) == 0).then(|| ts / (t / f))
    }
}

/// `fix` if the record, fixed, parses, or fails only after the edit (a later problem of its own).
fn recheck(input: &[u8], d: &Diagnostic, fix: QuickFix) -> Option<QuickFix> {
    let record = d.record.clone();
    if fix.range.start < record.start || fix.range.end > record.end {
        return None;
    }
    let local = QuickFix {
        range: fix.range.start - record.start..fix.range.end - record.start,
        ..fix.clone()
    };
    let fixed = local.apply(&input[record]);
    let edited_to = local.range.start + local.replacement.len();
    match parse_lines(&fixed).next()? {
        Ok(_) => Some(fix),
        Err(e) if e.start > edited_to => Some(fix),
        Err(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BatchValidator;

    /// Each line of `input` fixed by the quick fix of its first problem (`None`: no fix offered).
    fn fixed(input: &str) -> Vec<Option<String>> {
        let bytes = input.as_bytes();
        let mut v = BatchValidator::new(Precision::Second, None);
        parse_lines(bytes)
            .map(|l| match l.and_then(|l| v.check(&l, 0).map(|_| ())) {
                Ok(()) => None,
                Err(d) => quick_fix(bytes, &d).map(|f| {
                    let out = f.apply(bytes);
                    let out = String::from_utf8(out).unwrap();
                    String::from(out[d.record.start..].lines().next().unwrap())
                }),
            })
            .collect()
    }

    /// The title of the quick fix for the first line's syntax error.
    fn title_of(input: &[u8]) -> String {
        let d = parse_lines(input).next().unwrap().unwrap_err();
        quick_fix(input, &d).unwrap().title
    }

    #[test]
    fn timestamps_convert_between_units_only_exactly() {
        use Precision::*;
        assert_eq!(timestamp_in(5, Second, Millisecond), Some(5_000));
        assert_eq!(timestamp_in(5_000, Millisecond, Second), Some(5));
        assert_eq!(timestamp_in(5_001, Millisecond, Second), None);
        assert_eq!(timestamp_in(i64::MAX / 10, Second, Nanosecond), None);
        assert_eq!(timestamp_in(-2_000, Microsecond, Millisecond), Some(-2));
        assert_eq!(timestamp_in(1, Auto, Second), None);
    }

    #[test]
    fn fixes_that_repair_the_line() {
        let got =
            fixed("m f=1,g=2, 5\nm f=abc 6\nm f=tru 7\nm f=2.5 8\nm f=21i 9\nm f=21.5,g=on 10\n");
        assert_eq!(
            got,
            [
                Some(String::from("m f=1,g=2 5")),
                Some(String::from("m f=\"abc\" 6")),
                None,
                None,
                Some(String::from("m f=21.0 9")),
                Some(String::from("m f=21.5,g=\"on\" 10")),
            ]
        );
    }

    #[test]
    fn a_repeated_field_or_tag_is_removed_and_the_first_kept() {
        let got = fixed(concat!(
            "m f=1,g=2,f=3 1\n",
            "m f=\"a,b\",f=\"c d\" 2\n",
            "m,t=x,u=y,t=z f=1i 3\n",
            "m,a\\ b=1,a\\ b=2 f=1 4\n",
        ));
        assert_eq!(
            got,
            [
                Some(String::from("m f=1,g=2 1")),
                Some(String::from("m f=\"a,b\" 2")),
                Some(String::from("m,t=x,u=y f=1i 3")),
                Some(String::from("m,a\\ b=1 f=1 4")),
            ]
        );
        let input = b"m f=1,f=2 1\n";
        let mut v = BatchValidator::new(Precision::Second, None);
        let line = parse_lines(input).next().unwrap().unwrap();
        let d = v.check(&line, 0).unwrap_err();
        assert_eq!(
            quick_fix(input, &d).unwrap().title,
            "remove the repeated f=2"
        );
    }

    #[test]
    fn a_space_or_comma_meant_in_a_name_is_escaped() {
        let got = fixed(concat!(
            "home,room=Living Room temp=21.1 1\n",
            "home,room=A temp=1,my field=2 2\n",
            "home,ro,om=A temp=1 3\n",
            "home temp=1,my field=2 4\n",
        ));
        assert_eq!(
            got,
            [
                Some(String::from(r"home,room=Living\ Room temp=21.1 1")),
                Some(String::from(r"home,room=A temp=1,my\ field=2 2")),
                Some(String::from(r"home,ro\,om=A temp=1 3")),
                Some(String::from(r"home temp=1,my\ field=2 4")),
            ]
        );
        assert_eq!(
            title_of(b"home,room=Living Room temp=21.1 1\n"),
            r"escape the ' ': Living\ Room"
        );
    }

    #[test]
    fn an_equals_sign_meant_in_a_field_key_is_escaped() {
        let got = fixed(concat!(
            "home temp=1,a=b=2 1\n",
            "home,x=1 a=b=2i,c=3 2\n",
            "home a=b=c=\"s\" 3\n",
            "home a=b=zz 4\n",
            "home a=b=\"x=y\" 5\n",
        ));
        assert_eq!(
            got,
            [
                Some(String::from(r"home temp=1,a\=b=2 1")),
                Some(String::from(r"home,x=1 a\=b=2i,c=3 2")),
                // Every '=' up to the value's own; one inside the quoted value stays.
                Some(String::from(r#"home a\=b\=c="s" 3"#)),
                // Escaping would leave `zz`, no value: quoting is the fix.
                Some(String::from(r#"home a="b=zz" 4"#)),
                Some(String::from(r#"home a\=b="x=y" 5"#)),
            ]
        );
        assert_eq!(title_of(b"home temp=1,a=b=2 1\n"), r"escape the '=': a\=b");
    }

    #[test]
    fn quoting_escapes_quotes_and_backslashes() {
        assert_eq!(quote("a\"b\\"), "\"a\\\"b\\\\\"");
    }

    #[test]
    fn no_fix_when_the_value_does_not_convert_exactly() {
        assert_eq!(
            fixed("m f=1i 1\nm f=2.5 2\nm f=\"s\" 3\n"),
            [None, None, None]
        );
    }

    #[test]
    fn a_fix_is_offered_when_a_later_problem_remains() {
        let input = b"m f=abc,g= 1\n";
        let d = parse_lines(input).next().unwrap().unwrap_err();
        let fix = quick_fix(input, &d).unwrap();
        assert_eq!(fix.apply(input), b"m f=\"abc\",g= 1\n");
        assert_eq!(fix.title, "quote it as a string: \"abc\"");
    }
}
