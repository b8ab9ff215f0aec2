//! The page's model of the document and its problems, kept apart from the DOM so it can be tested
//! natively.
//!
//! # Overview
//!
//! Three sets of marks are kept per physical line, as editors keep one marker set per owner:
//!
//! - **syntax** ([`Document::apply_edit`]): what `linewise_core::parse_lines` says about each record.
//!   Only the records touched by an edit are parsed again; the rest keep their marks and are shifted.
//! - **batch** ([`BatchPass`]): what the core's check pipeline (`linewise_core::Checker`) says once the whole document is
//!   looked at in order (type conflicts between lines and with the server's stored schema) plus
//!   timestamp warnings for the chosen precision. It runs in slices so the page stays responsive.
//! - **server**: the lines a write rejected, with the server's messages.
mod batch;
pub mod complete;
mod document;
pub mod timefmt;

use linewise_core::Precision;

pub use batch::{BatchPass, TimeRange};
pub use document::{Document, EditStep, LineEdit, LineMark};

/// Who found a problem. Shown next to the message so a person knows whether the server was asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The parser, on this line alone.
    Syntax,
    /// The batch check (types across lines, stored schema).
    Batch,
    /// The server, in reply to a write.
    Server,
}

impl Source {
    /// Stable name used in the DOM (`data-source`).
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Syntax => "syntax",
            Source::Batch => "batch",
            Source::Server => "server",
        }
    }
}

/// How bad a problem is: errors make the server reject the line, warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// One problem shown in the editor and in the problems list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based physical line.
    pub line: u32,
    pub mark: LineMark,
    pub source: Source,
    pub severity: Severity,
}

/// A repair that applies to every line of a warning group at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fix {
    /// Read the timestamps in this unit (they look like it).
    Precision(Precision),
}

impl Fix {
    /// What the lines of the group have in common, e.g. `timestamps look like seconds`.
    pub fn problem(self) -> String {
        match self {
            Fix::Precision(unit) => format!("timestamps look like {}", unit.in_words()),
        }
    }

    /// The button's label, e.g. `Use s`.
    pub fn label(self) -> String {
        match self {
            Fix::Precision(unit) => format!("Use {unit}"),
        }
    }
}

/// Warnings on many lines with one fix, listed once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WarningGroup {
    pub fix: Fix,
    /// The warnings' kind (`timestamp_unit`).
    pub kind: &'static str,
    /// 1-based line of the first warning.
    pub first_line: u32,
    /// Lines in the group.
    pub lines: usize,
    /// The unit the group's timestamps can be rewritten in exactly (the write's), when every
    /// line of the group has that edit: the other way to settle the mismatch.
    pub convert: Option<Precision>,
}
