//! PUBLIC API SKELETON — the shapes other crates build against. The core owner fills in the bodies.
#![cfg_attr(not(feature = "std"), no_std)]
extern crate alloc;

pub mod diagnostic;
pub mod parse;
pub mod precision;
pub mod types;
pub mod validate;
#[cfg(feature = "wasm")]
mod wasm;
pub mod write;

pub use diagnostic::{Diagnostic, ErrorKind};
pub use parse::{parse_lines, Lines};
pub use precision::{Precision, PrecisionError};
pub use types::{FieldType, FieldValue, Line, Token};
pub use validate::{BatchValidator, ColumnKind, KnownSchema};
pub use write::{write_line, Point};
