//! wasm-bindgen bindings behind the npm package `linewise` (js/, beside this crate). These are the low-level
//! exports; js/src/api.js wraps them into `validate`, `parse`, `format`, `Point`, `Validator`,
//! `validateStream` and `errorKinds`, checks the JS arguments and rebuilds objects from the flat
//! arrays of `encode`.
mod encode;
mod engine;
mod format;
#[cfg(any(target_arch = "wasm32", test))]
mod memcmp;
mod schema;

use std::mem::{self, ManuallyDrop};

use wasm_bindgen::prelude::*;

use encode::Encoded;
use engine::{Collect, Engine};
use linewise_core::{ErrorKind, KnownColumns, KnownSchema, Precision};

/// One input being validated (or parsed), whole or chunk by chunk.
#[wasm_bindgen]
pub struct Session {
    /// Borrows `*schema`; dropped before it (see `Drop`).
    engine: ManuallyDrop<Engine<'static>>,
    /// Owned, leaked while `engine` lives; null when the caller gave no schema.
    schema: *mut KnownColumns,
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
        // The short spellings only, as the write API's `precision` parameter.
        let precision = Precision::CHOICES
            .into_iter()
            .find(|p| p.as_str() == precision)
            .ok_or_else(|| {
                JsError::new(&format!(
                    "precision: expected one of auto, ns, us, ms, s, got {precision:?}"
                ))
            })?;
        let schema = schema::from_triples(&schema).map_err(|e| JsError::new(&e))?;
        let schema: *mut KnownColumns = if schema.is_empty() {
            std::ptr::null_mut()
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
        Batch(self.engine.take())
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
    ErrorKind::ALL
        .iter()
        .map(|k| String::from(k.as_str()))
        .collect()
}
