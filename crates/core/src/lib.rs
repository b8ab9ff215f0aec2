//! linewise-core: the InfluxDB line-protocol parser, validator and writer shared by the server,
//! the web page (WASM) and the npm package. `no_std` + `alloc`; the `std` feature (default) adds
//! `std::error::Error` impls and lets `memchr` use its fastest routines; `serde` and `clap` let the
//! faces read and write the vocabulary (precisions, column kinds) by the names defined here.
//!
//! ```
//! use linewise_core::{parse_lines, BatchValidator, Precision};
//! let input = b"home,room=Kitchen temp=21.9,co=3i 1641024000\nhome,room=Kitchen temp=\"hi\"\n";
//! let mut validator = BatchValidator::new(Precision::Second, None);
//! let mut errors = Vec::new();
//! for line in parse_lines(input) {
//!     match line.and_then(|l| validator.check(&l, 0).map(|_| l)) {
//!         Ok(line) => assert_eq!(line.measurement.raw, "home"),
//!         Err(diagnostic) => errors.push(diagnostic.to_string()),
//!     }
//! }
//! assert_eq!(errors, ["2:19: invalid column type for column 'temp', expected \
//!     iox::column_type::field::float, got iox::column_type::field::string \
//!     (first seen as float field on line 1)"]);
//! ```
#![cfg_attr(not(feature = "std"), no_std)]
extern crate alloc;

#[cfg(feature = "clap")]
mod clap_names;
pub mod column;
#[cfg(feature = "arrow")]
pub mod columns;
pub mod complete;

pub mod check;
pub mod convert;
pub mod csv;
pub mod diagnostic;
pub mod fix;
pub mod highlight;
pub mod known;
mod number;
pub mod parse;
pub mod precision;
mod scan;
#[cfg(feature = "serde")]
mod serde_names;
pub mod split;
pub mod types;
pub mod validate;
pub mod write;

pub use check::{Accepted, Checker, Records};
pub use column::{ColumnKind, FieldType, UnknownColumnKind, UnknownFieldType, TIME_COLUMN};
pub use diagnostic::{Diagnostic, ErrorKind};
pub use known::{KnownColumns, KnownSchema};
pub use parse::{parse_lines, Lines, MAX_STRING_LEN};
pub use precision::{Precision, PrecisionError, UnknownPrecision};
pub use split::{Piece, Splitter};
pub use types::{FieldValue, Line, Token, TokenKind};
pub use validate::{BatchValidator, NewColumn, Rejection};
pub use write::{write_line, OwnedFieldValue, Point, WriteError};
