//! Numbers and booleans: decoding the literals, and saying why one is not of its form.
use alloc::boxed::Box;
use alloc::format;

use super::text::show;
use super::Failure;
use crate::number::{parse_f64, parse_i64, parse_u64, NumError};
use crate::{ErrorKind, FieldValue, Token};

/// The three number forms, by suffix.
#[derive(Clone, Copy)]
enum NumberForm {
    Integer,
    Unsigned,
    Float,
}

/// Decodes a number literal: `i` suffix integer, `u` suffix unsigned, else float.
#[inline(always)]
pub(super) fn number<'a>(
    key: Token<'a>,
    t: &[u8],
    at: usize,
) -> Result<FieldValue<'a>, Box<Failure>> {
    if let Some(v) = small_integer(t) {
        return Ok(FieldValue::Integer(v));
    }
    let (value, form) = match t.split_last() {
        Some((b'i', digits)) => (
            parse_i64(digits).map(FieldValue::Integer),
            NumberForm::Integer,
        ),
        Some((b'u', digits)) => (
            parse_u64(digits).map(FieldValue::UInteger),
            NumberForm::Unsigned,
        ),
        _ => (parse_f64(t).map(FieldValue::Float), NumberForm::Float),
    };
    value.map_err(|e| number_failure(key, t, at, form, e))
}

/// A boolean in any of its spellings.
#[inline(always)]
pub(super) fn boolean(word: &[u8]) -> Option<bool> {
    match word {
        b"t" | b"T" | b"true" | b"True" | b"TRUE" => Some(true),
        b"f" | b"F" | b"false" | b"False" | b"FALSE" => Some(false),
        _ => None,
    }
}

/// `D{1,4}i`, the commonest literal of metrics (percentages, counts, codes), decoded in place:
/// the general path's calls cost more than the digits.
#[inline(always)]
fn small_integer(t: &[u8]) -> Option<i64> {
    match t {
        [d @ .., b'i'] if !d.is_empty() && d.len() <= 4 => d.iter().try_fold(0i64, |v, &c| {
            let x = c.wrapping_sub(b'0');
            (x <= 9).then_some(v * 10 + i64::from(x))
        }),
        _ => None,
    }
}

/// Says why `t` is not a number of its form.
#[cold]
#[inline(never)]
fn number_failure(
    key: Token<'_>,
    t: &[u8],
    at: usize,
    form: NumberForm,
    error: NumError,
) -> Box<Failure> {
    let key = key.raw;
    let digits = &t[..t.len().saturating_sub(1)];
    let (kind, message) = match (form, error) {
        (NumberForm::Integer, NumError::Invalid) => (
            ErrorKind::InvalidInteger,
            format!(
                "expected an integer (digits with an optional '-') before 'i' in the value of \
                 field \"{key}\", found \"{}\"",
                show(t)
            ),
        ),
        (NumberForm::Integer, NumError::Overflow) => (
            ErrorKind::IntegerOverflow,
            format!(
                "integer {} of field \"{key}\" is outside the signed 64-bit range \
                 -9223372036854775808..=9223372036854775807",
                show(digits)
            ),
        ),
        (NumberForm::Unsigned, NumError::Invalid) => (
            ErrorKind::InvalidUnsigned,
            format!(
                "expected an unsigned integer (digits only, no sign) before 'u' in the value of \
                 field \"{key}\", found \"{}\"",
                show(t)
            ),
        ),
        (NumberForm::Unsigned, NumError::Overflow) => (
            ErrorKind::UnsignedOverflow,
            format!(
                "unsigned integer {} of field \"{key}\" is outside the range 0..=18446744073709551615",
                show(digits)
            ),
        ),
        (NumberForm::Float, NumError::Invalid) => (
            ErrorKind::InvalidFloat,
            format!(
                "expected a number as the value of field \"{key}\" (like 1, -1.5 or 1.5e3; \
                 suffix i for an integer, u for an unsigned integer), found \"{}\"",
                show(t)
            ),
        ),
        (NumberForm::Float, NumError::Overflow) => (
            ErrorKind::InvalidFloat,
            format!("float {} of field \"{key}\" is too large for a 64-bit float", show(t)),
        ),
    };
    Failure::new(kind, at..at + t.len(), message)
}
