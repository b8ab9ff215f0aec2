//! How input bytes appear in messages.
use alloc::format;
use alloc::string::String;

use crate::scan::is_eol;

/// Describes the byte at `i` for a message: `end of line`, `' '`, `','`, `'é'`.
pub(super) fn found(b: &[u8], i: usize) -> String {
    if is_eol(b, i) {
        return String::from("end of line");
    }
    let rest = &b[i..b.len().min(i + 4)];
    let c = match core::str::from_utf8(rest) {
        Ok(s) => s.chars().next(),
        Err(e) if e.valid_up_to() > 0 => core::str::from_utf8(&rest[..e.valid_up_to()])
            .ok()
            .and_then(|s| s.chars().next()),
        Err(_) => None,
    };
    match c {
        Some(c) => format!("'{c}'"),
        None => format!("byte 0x{:02x}", b[i]),
    }
}

/// Text for a message: lossy UTF-8, at most 40 characters.
pub(super) fn show(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    match text.char_indices().nth(40) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.into_owned(),
    }
}
