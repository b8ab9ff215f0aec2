//! wasm-bindgen bindings behind the npm package `linewise` (crates/core/js). These are the low-level
//! exports; js/src/api.js wraps them into `validate`, `parse`, `format`, `Point`, `Validator`,
//! `validateStream` and `errorKinds`, checks the JS arguments and rebuilds objects from the flat
//! arrays of `encode`.
mod encode;
mod engine;
mod format;
#[cfg(any(target_arch = "wasm32", test))]
mod memcmp;
mod schema;

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::mem::{self, ManuallyDrop};

use wasm_bindgen::prelude::*;

use crate::{ErrorKind, KnownSchema, Precision};
use encode::Encoded;
use engine::{Collect, Engine};
use schema::Schema;

/// One input being validated (or parsed), whole or chunk by chunk.
#[wasm_bindgen]
pub struct Session {
    /// Borrows `*schema`; dropped before it (see `Drop`).
    engine: ManuallyDrop<Engine<'static>>,
    /// Owned, leaked while `engine` lives; null when the caller gave no schema.
    schema: *mut Schema,
    /// Where `chunkBuffer` lets JS write the next chunk.
    slot: Vec<u8>,
}

#[wasm_bindgen]
impl Session {
    /// `precision`: auto, ns, us, ms or s. `schema`: flat `[measurement, column, type]*` triples.
    /// `max_errors`: errors kept in full (all are counted). `points`: keep the valid points too.
    /// `now_ms` (`Date.now()`): the time of lines without a timestamp.
    #[wasm_bindgen(constructor)]
    pub fn new(
        precision: &str,
        schema: Vec<String>,
        max_errors: u32,
        points: bool,
        now_ms: f64,
    ) -> Result<Session, JsError> {
        let precision = match precision {
            "auto" | "ns" | "us" | "ms" | "s" => Precision::parse(precision),
            _ => None,
        }
        .ok_or_else(|| {
            JsError::new(&alloc::format!(
                "precision: expected one of auto, ns, us, ms, s, got {precision:?}"
            ))
        })?;
        let schema = Schema::from_triples(&schema).map_err(|e| JsError::new(&e))?;
        let schema: *mut Schema = if schema.is_empty() {
            core::ptr::null_mut()
        } else {
            Box::into_raw(Box::new(schema))
        };
        // SAFETY: `schema` is either null or a live Box that only `Drop` frees, after the engine
        // (the sole holder of this reference) is dropped; wasm-bindgen never moves it out.
        let known: Option<&'static dyn KnownSchema> = unsafe { schema.as_ref() }.map(|s| s as _);
        let collect = Collect {
            points,
            max_errors: u64::from(max_errors),
        };
        let now_ns = (now_ms * 1e6) as i64;
        Ok(Session {
            engine: ManuallyDrop::new(Engine::new(precision, known, collect, now_ns)),
            schema,
            slot: Vec::new(),
        })
    }

    /// Room for the next `len` bytes of input, for JS to encode text straight into (with
    /// `TextEncoder.encodeInto` on a view of `wasmMemory()`), so text is copied once and by native
    /// code. The pointer is valid until the next call into the module; `pushWritten` consumes it.
    #[wasm_bindgen(js_name = chunkBuffer)]
    pub fn chunk_buffer(&mut self, len: usize) -> *mut u8 {
        if self.slot.len() < len {
            self.slot.resize(len, 0);
        }
        self.slot.as_mut_ptr()
    }

    /// Checks the first `written` bytes JS put into `chunkBuffer` as the next chunk.
    #[wasm_bindgen(js_name = pushWritten)]
    pub fn push_written(&mut self, written: usize) {
        let slot = mem::take(&mut self.slot);
        self.engine.push(&slot[..written.min(slot.len())]);
        self.slot = slot;
    }

    /// Next chunk of UTF-8 bytes (a chunk may end inside a character).
    #[wasm_bindgen(js_name = pushBytes)]
    pub fn push_bytes(&mut self, chunk: &[u8]) {
        self.engine.push(chunk);
    }

    /// Ends the input: whatever is carried over is checked as complete.
    pub fn finish(&mut self) {
        self.engine.finish(&[]);
    }

    /// Points and errors gathered since the last call.
    pub fn take(&mut self) -> Batch {
        Batch(mem::take(&mut self.engine.out))
    }

    /// Counts are f64 (exact up to 2^53) so JS gets plain numbers.
    #[wasm_bindgen(getter)]
    pub fn lines(&self) -> f64 {
        self.engine.lines() as f64
    }

    #[wasm_bindgen(getter)]
    pub fn points(&self) -> f64 {
        self.engine.points() as f64
    }

    #[wasm_bindgen(getter, js_name = errorCount)]
    pub fn error_count(&self) -> f64 {
        self.engine.error_count() as f64
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // SAFETY: the engine goes first, so no reference to the schema outlives it; the pointer came
        // from `Box::into_raw` in `new` and is freed only here.
        unsafe {
            ManuallyDrop::drop(&mut self.engine);
            if !self.schema.is_null() {
                drop(Box::from_raw(self.schema));
            }
        }
    }
}

/// Flat points and errors (layout in `encode`). Each getter hands its array over once.
#[wasm_bindgen]
pub struct Batch(Encoded);

#[wasm_bindgen]
impl Batch {
    pub fn heads(&mut self) -> Vec<u32> {
        mem::take(&mut self.0.heads)
    }
    pub fn text(&mut self) -> String {
        mem::take(&mut self.0.strings.text)
    }
    pub fn lens(&mut self) -> Vec<u32> {
        mem::take(&mut self.0.strings.lens)
    }
    pub fn kinds(&mut self) -> Vec<u8> {
        mem::take(&mut self.0.kinds)
    }
    pub fn floats(&mut self) -> Vec<f64> {
        mem::take(&mut self.0.floats)
    }
    pub fn ints(&mut self) -> Vec<i64> {
        mem::take(&mut self.0.ints)
    }
    pub fn uints(&mut self) -> Vec<u64> {
        mem::take(&mut self.0.uints)
    }
    pub fn timestamps(&mut self) -> Vec<i64> {
        mem::take(&mut self.0.timestamps)
    }
    #[wasm_bindgen(js_name = errorHeads)]
    pub fn error_heads(&mut self) -> Vec<u32> {
        mem::take(&mut self.0.error_heads)
    }
    #[wasm_bindgen(js_name = errorText)]
    pub fn error_text(&mut self) -> String {
        mem::take(&mut self.0.error_strings.text)
    }
    #[wasm_bindgen(js_name = errorLens)]
    pub fn error_lens(&mut self) -> Vec<u32> {
        mem::take(&mut self.0.error_strings.lens)
    }
}

/// One point as line protocol (see `format::FlatPoint` for the argument layout).
#[allow(clippy::too_many_arguments)]
#[wasm_bindgen(js_name = formatPoint)]
pub fn format_point(
    measurement: String,
    tags: Vec<String>,
    field_keys: Vec<String>,
    kinds: &[u8],
    floats: &[f64],
    ints: &[i64],
    uints: &[u64],
    strings: Vec<String>,
    timestamp: Option<i64>,
) -> Result<String, JsError> {
    let flat = format::FlatPoint {
        measurement,
        tags,
        field_keys,
        kinds,
        floats,
        ints,
        uints,
        strings,
        timestamp,
    };
    flat.into_point()
        .and_then(|point| format::format_point(&point))
        .map_err(|e| JsError::new(&e))
}

/// The module's memory, for views into `Session::chunk_buffer`.
#[wasm_bindgen(js_name = wasmMemory)]
pub fn wasm_memory() -> JsValue {
    wasm_bindgen::memory()
}

/// Every error kind's identifier (`errorKinds()` in JS), so callers can list or filter them.
#[wasm_bindgen(js_name = errorKinds)]
pub fn error_kinds() -> Vec<String> {
    ALL_KINDS.iter().map(|k| String::from(k.as_str())).collect()
}

/// The core's error kinds in declaration order; the test below fails to compile when one is added.
const ALL_KINDS: [ErrorKind; 33] = [
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Position of `kind` in the declaration; exhaustive, so a new kind must be added here and to
    /// `ALL_KINDS`.
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
        for (i, kind) in ALL_KINDS.iter().enumerate() {
            assert_eq!(rank(*kind), i, "{kind:?}");
        }
    }
}
