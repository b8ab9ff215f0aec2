//! Loading a file: the picker and drag-and-drop anywhere on the page. The file is read, refused
//! when it is compressed or not UTF-8, and put into the editor, or, when it is CSV, into the CSV
//! panel to be mapped and converted; nothing is written until the person presses Write.
use leptos::ev;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen_futures::JsFuture;

use crate::components::csv_import::{is_csv, CsvImport, FromEditor};
use crate::html::{bytes, group};
use crate::state::AppState;

/// Largest file the page takes. The editor holds the whole text, so the limit is about memory.
pub const MAX_FILE_BYTES: usize = 64 * 1024 * 1024;

/// Why a file was not loaded.
fn refuse(data: &[u8]) -> Option<String> {
    if data.starts_with(&[0x1f, 0x8b]) {
        return Some("it is gzip-compressed; decompress it first".into());
    }
    if let Err(e) = std::str::from_utf8(data) {
        return Some(format!(
            "it is not UTF-8 text (invalid byte at offset {})",
            e.valid_up_to()
        ));
    }
    None
}

async fn load(state: AppState, csv: CsvImport, file: web_sys::File, note: RwSignal<String>) {
    let name = file.name();
    let size = file.size() as usize;
    if size > MAX_FILE_BYTES {
        note.set(format!(
            "“{name}” is {}; the limit is {}.",
            bytes(size),
            bytes(MAX_FILE_BYTES)
        ));
        return;
    }
    note.set(format!("Reading “{name}” ({})…", bytes(size)));
    let buffer = match JsFuture::from(file.array_buffer()).await {
        Ok(b) => b,
        Err(e) => {
            note.set(format!("Could not read “{name}”: {e:?}"));
            return;
        }
    };
    let mut data = js_sys::Uint8Array::new(&buffer).to_vec();
    if let Some(why) = refuse(&data) {
        note.set(format!("“{name}” was not loaded: {why}."));
        return;
    }
    if data.starts_with(&[0xef, 0xbb, 0xbf]) {
        data.drain(..3);
    }
    if is_csv(&name, &data) {
        note.set(format!(
            "“{name}” is CSV ({}): choose what each column becomes, then press Convert.",
            bytes(size)
        ));
        csv.open(Some(name), data);
        return;
    }
    let text = String::from_utf8(data).unwrap_or_default();
    let lines = text.lines().count();
    note.set(format!(
        "“{name}”: {}, {} lines. Check the marks, then press Write.",
        bytes(size),
        group(lines)
    ));
    state.replace_text(text);
}

/// The upload control and the page-wide drop zone.
#[component]
pub fn Upload() -> impl IntoView {
    let state = expect_context::<AppState>();
    let csv = expect_context::<CsvImport>();
    let note = RwSignal::new(format!(
        "Drop a file anywhere on the page, or choose one (up to {}).",
        bytes(MAX_FILE_BYTES)
    ));
    let dragging = RwSignal::new(false);

    let on_change = move |ev: ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        if let Some(file) = input.files().and_then(|f| f.get(0)) {
            spawn_local(load(state, csv, file, note));
        }
        input.set_value("");
    };
    let _over = window_event_listener(ev::dragover, move |ev| {
        ev.prevent_default();
        dragging.set(true);
    });
    let _leave = window_event_listener(ev::dragleave, move |ev| {
        if ev.related_target().is_none() {
            dragging.set(false);
        }
    });
    let _drop = window_event_listener(ev::drop, move |ev| {
        ev.prevent_default();
        dragging.set(false);
        if let Some(file) = ev
            .data_transfer()
            .and_then(|d| d.files())
            .and_then(|f| f.get(0))
        {
            spawn_local(load(state, csv, file, note));
        }
    });

    view! {
        <div class="upload">
            <label class="button secondary" for="upload">"Upload file…"</label>
            <input id="upload" data-testid="upload" type="file" accept=".lp,.txt,.csv,text/plain,text/csv,*/*" class="visually-hidden" on:change=on_change />
            <FromEditor />
            <span class="note" data-testid="upload-note" aria-live="polite">{move || note.get()}</span>
            <div class="drop-overlay" class:shown=move || dragging.get() aria-hidden="true">"Drop the file to load it"</div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_gzip_and_binary() {
        assert!(refuse(&[0x1f, 0x8b, 8, 0]).unwrap().contains("gzip"));
        assert!(refuse(b"ok\xff").unwrap().contains("offset 2"));
        assert!(refuse("m f=1 1\n".as_bytes()).is_none());
    }
}
