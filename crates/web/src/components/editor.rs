//! The line-protocol editor: a plain textarea (so typing, undo, selection and IME behave as the
//! browser makes them) over a backdrop that draws the text in colour and the marks, with a
//! line-number gutter. Only the lines in view are drawn, so a 100,000-line document costs no more
//! to show than a short one. While the document lags behind the textarea (typing into a large
//! document waits for the debounce), the textarea shows its own plain text instead.
use std::fmt::Write as _;
use std::time::Duration;

use leptos::ev;
use leptos::prelude::*;

use crate::check::{Document, Source};
use crate::components::colours::{coloured_into, window_spans, LineSpans};
use crate::html::escape_into;
use crate::state::{now_ms, AppState};

/// Pixel height of one line; the stylesheet uses the same value (`--lh`).
const LINE_HEIGHT: f64 = 20.0;
/// Top padding of the textarea and backdrop (`--pad`).
const PAD: f64 = 8.0;
/// How long typing must pause before the text is checked.
const DEBOUNCE: Duration = Duration::from_millis(120);
/// Documents up to this size are checked at every keystroke, without the debounce: reading the
/// textarea and re-parsing the touched record takes well under a millisecond, and the colours
/// never lag behind the typing.
const LIVE_MAX_BYTES: usize = 64 * 1024;

/// Lines drawn at least, whatever the measured height: the height can read 0 before the first
/// layout, and 60 short rows cost nothing to draw.
const MIN_ROWS: usize = 60;

/// Moves the caret to 1-based `line`, selects its problem span if any, and scrolls it into view:
/// the state knows the text and its marks, the editor its geometry.
pub fn jump_to(state: AppState, line: usize) {
    let Some(el) = state.editor.get_untracked() else {
        return;
    };
    let (start, end) = state.selection_of(line);
    let _ = el.focus();
    let _ = el.set_selection_range(start, end);
    let top = (line.saturating_sub(1)) as f64 * LINE_HEIGHT;
    let view = f64::from(el.client_height());
    let current = f64::from(el.scroll_top());
    if top < current || top > current + view - 2.0 * LINE_HEIGHT {
        el.set_scroll_top((top - view / 3.0).max(0.0) as i32);
    }
    state.caret_line.set(line.saturating_sub(1));
}

/// The visible window of lines `[first, end)` for a scroll position.
fn window_of(scroll_top: f64, height: f64, lines: usize) -> (usize, usize) {
    let first = ((scroll_top - PAD) / LINE_HEIGHT).floor().max(0.0) as usize;
    let count = ((height / LINE_HEIGHT).ceil() as usize + 2).max(MIN_ROWS);
    (first.min(lines), (first + count).min(lines))
}

fn gutter_html(doc: &Document, first: usize, end: usize, caret: usize) -> String {
    let mut out = String::new();
    for i in first..end {
        let (class, title) = match (doc.error_on(i), doc.warning_on(i)) {
            (Some((m, s)), _) => (
                if s == Source::Server {
                    "gl err server"
                } else {
                    "gl err"
                },
                Some(&m.message),
            ),
            (None, Some(m)) => ("gl warn", Some(&m.message)),
            _ => ("gl", None),
        };
        let current = if i == caret { " current" } else { "" };
        let _ = write!(out, "<div class=\"{class}{current}\"");
        if let Some(t) = title {
            out.push_str(" title=\"");
            escape_into(&mut out, t);
            out.push('"');
        }
        let glyph = match class {
            "gl" => "",
            "gl warn" => "▲",
            _ => "●",
        };
        let _ = write!(out, "><span class=\"glyph\">{glyph}</span>{}</div>", i + 1);
    }
    out
}

/// One backdrop line: the text in its colours (in the textarea's font, so widths match it
/// exactly), the problem span underlined around them, and the message after the end of the line.
fn backdrop_line(
    out: &mut String,
    text: &str,
    spans: &LineSpans,
    mark: Option<(&crate::check::LineMark, &str)>,
) {
    let Some((m, class)) = mark else {
        out.push_str("<div class=\"bl\">");
        coloured_into(out, text, spans, 0..text.len());
        out.push_str("</div>");
        return;
    };
    let _ = write!(out, "<div class=\"bl {class}\">");
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let byte_at = |col: u32| {
        chars
            .get(col.saturating_sub(1) as usize)
            .map_or(text.len(), |(b, _)| *b)
    };
    let (a, b) = (byte_at(m.column), byte_at(m.end_column));
    coloured_into(out, text, spans, 0..a);
    if b > a {
        out.push_str("<span class=\"squiggle\">");
        coloured_into(out, text, spans, a..b);
        out.push_str("</span>");
    } else {
        out.push_str("<span class=\"squiggle point\"></span>");
    }
    coloured_into(out, text, spans, b..text.len());
    out.push_str("<span class=\"inline-msg\">");
    escape_into(out, &m.message);
    out.push_str("</span></div>");
}

fn backdrop_html(doc: &Document, first: usize, end: usize) -> String {
    let mut out = String::new();
    let spans = window_spans(doc, first, end);
    for (i, spans) in (first..end).zip(&spans) {
        let mark = match (doc.error_on(i), doc.warning_on(i)) {
            (Some((m, Source::Server)), _) => Some((m, "err server")),
            (Some((m, _)), _) => Some((m, "err")),
            (None, Some(m)) => Some((m, "warn")),
            _ => None,
        };
        backdrop_line(&mut out, doc.line(i), spans, mark);
    }
    out
}

/// The editor with its gutter, backdrop and caret status line.
#[component]
pub fn Editor() -> impl IntoView {
    let state = expect_context::<AppState>();
    let scroll_top = RwSignal::new(0.0_f64);
    let scroll_left = RwSignal::new(0.0_f64);
    let height = RwSignal::new(480.0_f64);
    let timer: StoredValue<Option<TimeoutHandle>> = StoredValue::new(None);
    let typed_at = StoredValue::new(0.0_f64);

    let sync_scroll = move || {
        if let Some(el) = state.editor.get_untracked() {
            scroll_top.set(f64::from(el.scroll_top()));
            scroll_left.set(f64::from(el.scroll_left()));
            height.set(f64::from(el.client_height()));
        }
    };
    let update_caret = move || {
        let Some(el) = state.editor.get_untracked() else {
            return;
        };
        let Ok(Some(pos)) = el.selection_start() else {
            return;
        };
        let line = state.doc.with_value(|d| caret_line(d, pos as usize));
        state.caret_line.set(line);
    };
    let on_input = move |_: ev::Event| {
        if state.doc.with_value(|d| d.text().len()) <= LIVE_MAX_BYTES {
            if let Some(h) = timer.get_value() {
                h.clear();
                timer.set_value(None);
            }
            state.submit_editor(now_ms());
            return;
        }
        if timer.get_value().is_none() {
            typed_at.set_value(now_ms());
        }
        state.typed();
        if let Some(h) = timer.get_value() {
            h.clear();
        }
        let handle = set_timeout_with_handle(
            move || {
                timer.set_value(None);
                state.submit_editor(typed_at.get_value());
            },
            DEBOUNCE,
        )
        .ok();
        timer.set_value(handle);
    };
    let on_keydown = move |ev: ev::KeyboardEvent| {
        let key = ev.key();
        if key == "." && (ev.ctrl_key() || ev.meta_key()) {
            ev.prevent_default();
            update_caret();
            state.fix_line(state.caret_line.get_untracked());
            return;
        }
        let forward = match key.as_str() {
            "F8" => !ev.shift_key(),
            "ArrowDown" if ev.alt_key() => true,
            "ArrowUp" if ev.alt_key() => false,
            _ => return,
        };
        ev.prevent_default();
        if let Some(line) = state.next_problem(forward) {
            jump_to(state, line);
        }
    };

    let window = Memo::new(move |_| {
        state.version.track();
        let lines = state.doc.with_value(Document::line_count);
        window_of(scroll_top.get(), height.get(), lines)
    });
    let gutter = move || {
        state.version.track();
        let (first, end) = window.get();
        let caret = state.caret_line.get();
        state.doc.with_value(|d| gutter_html(d, first, end, caret))
    };
    let backdrop = move || {
        state.version.track();
        let (first, end) = window.get();
        state.doc.with_value(|d| backdrop_html(d, first, end))
    };
    let offset_y = move || PAD + window.get().0 as f64 * LINE_HEIGHT - scroll_top.get();
    let caret_status = move || {
        state.version.track();
        let line = state.caret_line.get();
        state.doc.with_value(|d| {
            let total = d.line_count();
            let what = match (d.error_on(line), d.warning_on(line)) {
                (Some((m, s)), _) => match &m.edit {
                    Some(e) => format!(
                        " — error ({}): {} — Ctrl+. to {}",
                        s.as_str(),
                        m.message,
                        e.title
                    ),
                    None => format!(" — error ({}): {}", s.as_str(), m.message),
                },
                (None, Some(m)) => format!(" — warning: {}", m.message),
                _ => String::new(),
            };
            format!("Ln {} of {}{}", line + 1, total, what)
        })
    };

    request_animation_frame(sync_scroll);
    let _resize = window_event_listener(ev::resize, move |_| sync_scroll());

    view! {
        <div class="editor" class:coloured=move || !state.stale.get()>
            <div class="gutter" aria-hidden="true">
                <div class="gutter-inner" style:transform=move || format!("translateY({}px)", offset_y()) inner_html=gutter></div>
            </div>
            <div class="code">
                <div class="backdrop" aria-hidden="true">
                    <div
                        class="backdrop-inner"
                        style:transform=move || format!("translate({}px, {}px)", -scroll_left.get(), offset_y())
                        inner_html=backdrop
                    ></div>
                </div>
                <textarea
                    id="lp-editor"
                    data-testid="lp-editor"
                    aria-label="Line protocol"
                    aria-describedby="caret-status"
                    placeholder="home,room=Kitchen temp=21.5,hum=35.9,co=0i 1641024000"
                    wrap="off"
                    spellcheck="false"
                    autocomplete="off"
                    node_ref=state.editor
                    on:input=on_input
                    on:scroll=move |_| sync_scroll()
                    on:keydown=on_keydown
                    on:keyup=move |_| update_caret()
                    on:click=move |_| update_caret()
                ></textarea>
            </div>
        </div>
        <div id="caret-status" class="caret-status" aria-live="polite">{caret_status}</div>
    }
}

/// 0-based line holding UTF-16 offset `pos` (the textarea's unit).
fn caret_line(doc: &Document, pos: usize) -> usize {
    let text = doc.text();
    if text.is_ascii() {
        return text.as_bytes()[..pos.min(text.len())]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
    }
    let mut units = 0;
    let mut line = 0;
    for c in text.chars() {
        if units >= pos {
            break;
        }
        units += c.len_utf16();
        if c == '\n' {
            line += 1;
        }
    }
    line
}
