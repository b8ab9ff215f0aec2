//! The page: destination and options on top, the editor and its problems in the middle, then the
//! data read back after a write, the preview and the point form.
use leptos::prelude::*;

use crate::check::timefmt::iso;
use crate::components::author::Author;
use crate::components::csv_import::{CsvImport, CsvPanel};
use crate::components::editor::Editor;
use crate::components::preview::Preview;
use crate::components::problems::Problems;
use crate::components::settings::{Settings, SettingsPanel};
use crate::components::stored::Stored;
use crate::components::upload::Upload;
use crate::components::write::WritePanel;
use crate::html::group;
use crate::state::AppState;

/// The summary under the editor: records, valid lines, time range.
#[component]
fn Summary() -> impl IntoView {
    let state = expect_context::<AppState>();
    let text = move || {
        let s = state.summary.get();
        let range = s.time.map_or(String::new(), |r| {
            if r.first == r.last {
                format!(" · time {}", iso(r.first))
            } else {
                format!(" · time {} … {}", iso(r.first), iso(r.last))
            }
        });
        format!(
            "{} records, {} valid{range}",
            group(s.records),
            group(s.valid)
        )
    };
    let hint = move || {
        let (unit, n) = state.summary.get().unit_hint?;
        let label = format!("Use {unit}");
        Some(view! {
            <p class="unit-hint" data-testid="unit-hint" role="alert">
                {format!("{} timestamps look like {}, not {}. ", group(n), unit.in_words(), state.precision.get().in_words())}
                <button type="button" class="secondary" on:click=move |_| {
                    state.precision.set(unit);
                    state.recheck_batch();
                }>{label}</button>
            </p>
        })
    };
    view! {
        <p class="summary" data-testid="summary">{text}</p>
        {hint}
    }
}

/// The whole page.
#[component]
pub fn App() -> impl IntoView {
    let state = AppState::new();
    provide_context(state);
    provide_context(Settings::load());
    provide_context(CsvImport::new());
    state.check_first();
    view! {
        <header class="top">
            <h1>"Load Data" <span class="crumb">"→ Line Protocol"</span></h1>
            <p class="tagline">"Paste, type or upload line protocol. Every line is checked as you type by the same parser the server runs."</p>
        </header>
        <main>
            <SettingsPanel />
            <section class="panel input" aria-label="Line protocol input">
                <Upload />
                <CsvPanel />
                <Editor />
                <Summary />
                <WritePanel />
            </section>
            <Problems />
            <Stored />
            <Preview />
            <Author />
        </main>
    }
}
