//! One component per file; `app` puts them together.
pub mod app;
pub mod author;
pub mod colours;
pub mod csv_import;
pub mod editor;
pub mod preview;
pub mod problems;
pub mod settings;
pub mod stored;
pub mod upload;
pub mod write;
