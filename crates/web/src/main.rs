//! linewise-web: the "Load Data → Line Protocol" page, a Leptos CSR app built by Trunk.
//!
//! # Layout
//!
//! - `check/`: the document, its marks and the incremental/batch checks (no DOM; tested natively)
//! - `text/`: the editor's text model, its undo history and the textarea's window (no DOM)
//! - `state`: shared signals and the checking loop
//! - `api`: the HTTP calls and the reading of the server's answers
//! - `batches`: cutting a document into write requests
//! - `components/`: one component per file
mod api;
mod batches;
mod check;
mod components;
mod html;
mod state;
mod storage;
mod text;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(components::app::App);
}
