//! The line-protocol editor: a textarea (so typing, selection, IME and the clipboard behave as
//! the browser makes them) over a backdrop that draws the text in colour and the marks, with a
//! line-number gutter. The textarea holds only a window of lines around the view
//! ([`crate::text::window`]) and the text itself lives in the page's model, so a keystroke in a
//! 30 MB document costs what it costs in a short one; only the lines in view are drawn. Undo and
//! redo are the model's. While the document lags behind the text (a paste of megabytes being
//! checked), the textarea shows its own plain text instead of the colours.
use std::fmt::Write as _;
use std::ops::Range;

use leptos::ev;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::HtmlTextAreaElement;

use crate::check::complete::{complete, Item, Names};
use crate::check::{Document, Source};
use crate::components::colours::{coloured_into, window_spans, LineSpans};
use crate::html::escape_into;
use crate::state::AppState;
use crate::text::window::Window;
use crate::text::Splice;

/// Pixel height of one line; the stylesheet uses the same value (`--lh`).
const LINE_HEIGHT: f64 = 20.0;
/// Top padding of the textarea and backdrop (`--pad`).
const PAD: f64 = 8.0;
/// A paste larger than this goes into the model directly instead of through the textarea, which
/// would lay it all out before the window could shrink again.
const PASTE_DIRECT_BYTES: usize = 64 * 1024;
/// A window that grew past this (a large native paste, a script setting the value) is cut back
/// to the lines around the caret.
const WINDOW_MAX_BYTES: usize = 1024 * 1024;

/// Lines read for the document's own names when completing: this many from its start, and this
/// many around the caret.
const NAME_LINES: usize = 2000;

/// Lines drawn at least, whatever the measured height: the height can read 0 before the first
/// layout. The editor shows 26 rows at most; every row drawn is HTML parsed again at each key.
const MIN_ROWS: usize = 30;

/// The lines around `line` that a scroll to it shows: the window is filled around these.
fn around(line: usize) -> Range<usize> {
    line.saturating_sub(MIN_ROWS)..line + MIN_ROWS
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
        let (class, title, fix) = match (doc.error_on(i), doc.warning_on(i)) {
            (Some((m, s)), _) => (
                if s == Source::Server {
                    "gl err server"
                } else {
                    "gl err"
                },
                Some(&m.message),
                m.edit.as_ref(),
            ),
            (None, Some(m)) => ("gl warn", Some(&m.message), None),
            _ => ("gl", None, None),
        };
        let current = if i == caret { " current" } else { "" };
        let _ = write!(out, "<div class=\"{class}{current}\"");
        if let Some(t) = title {
            out.push_str(" title=\"");
            escape_into(&mut out, t);
            out.push('"');
        }
        out.push('>');
        match (fix, class) {
            // The lightbulb on a mark with a quick fix: a click applies it (as Ctrl+. does).
            (Some(fix), _) => {
                let _ = write!(
                    out,
                    "<span class=\"glyph bulb\" data-testid=\"bulb\" data-fix-line=\"{}\" title=\"Fix: ",
                    i + 1
                );
                escape_into(&mut out, &fix.title);
                out.push_str("\">💡</span>");
            }
            (None, "gl") => out.push_str("<span class=\"glyph\"></span>"),
            (None, "gl warn") => out.push_str("<span class=\"glyph\">▲</span>"),
            (None, _) => out.push_str("<span class=\"glyph\">●</span>"),
        }
        let _ = write!(out, "{}</div>", i + 1);
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

/// The HTML of each backdrop line `first..end`.
fn backdrop_lines(doc: &Document, first: usize, end: usize) -> Vec<String> {
    let spans = window_spans(doc, first, end);
    (first..end)
        .zip(&spans)
        .map(|(i, spans)| {
            let mark = match (doc.error_on(i), doc.warning_on(i)) {
                (Some((m, Source::Server)), _) => Some((m, "err server")),
                (Some((m, _)), _) => Some((m, "err")),
                (None, Some(m)) => Some((m, "warn")),
                _ => None,
            };
            let mut out = String::new();
            backdrop_line(&mut out, &doc.line(i), spans, mark);
            out
        })
        .collect()
}

/// The backdrop's lines as last drawn. A keystroke changes one line: only that line's element
/// is replaced, so the browser parses, styles, lays out and paints one line instead of all in
/// view (a view of `cpu` lines holds some 2,000 coloured spans, a third of a frame to redraw).
#[derive(Default)]
struct Drawn {
    first: usize,
    lines: Vec<String>,
}

impl Drawn {
    fn draw(&mut self, el: &web_sys::Element, first: usize, lines: Vec<String>) {
        let children = el.children();
        if self.first != first
            || self.lines.len() != lines.len()
            || children.length() as usize != lines.len()
        {
            el.set_inner_html(&lines.concat());
        } else {
            for (n, (old, new)) in self.lines.iter().zip(&lines).enumerate() {
                if old != new {
                    if let Some(child) = children.item(n as u32) {
                        child.set_outer_html(new);
                    }
                }
            }
        }
        self.first = first;
        self.lines = lines;
    }
}

/// What the editor keeps between events.
#[derive(Clone, Copy)]
struct Editing {
    state: AppState,
    window: StoredValue<Window, LocalStorage>,
    /// The textarea's selection at the last `beforeinput`, in its UTF-16 units.
    before: StoredValue<Option<(u32, u32)>>,
    /// The text's line count when the window was last filled (the spacer's height depends on it).
    filled: StoredValue<usize>,
    scroll_top: RwSignal<f64>,
    scroll_left: RwSignal<f64>,
    height: RwSignal<f64>,
    /// The Go to line box is open (Ctrl+G).
    goto: RwSignal<bool>,
    /// The scrolling box: the spacer gives it the text's full size, the textarea sits in it at
    /// its window's lines.
    scroller: NodeRef<leptos::html::Div>,
    spacer: NodeRef<leptos::html::Div>,
    /// The completion list at the caret, when open.
    popup: RwSignal<Option<Popup>, LocalStorage>,
}

/// An open completion list.
#[derive(Debug, Clone, PartialEq)]
struct Popup {
    items: Vec<Item>,
    selected: usize,
    /// Bytes of the text the accepted item replaces.
    range: Range<usize>,
    /// 0-based line and character column where that range starts, to place the list.
    line: usize,
    column: usize,
}

impl Editing {
    fn el(self) -> Option<HtmlTextAreaElement> {
        self.state.editor.get_untracked()
    }

    fn lines(self) -> usize {
        self.state.text.with_value(crate::text::Text::line_count)
    }

    /// Lines in view at the scroller's last measured position.
    fn view(self) -> Range<usize> {
        let (first, end) = window_of(
            self.scroll_top.get_untracked(),
            self.height.get_untracked(),
            self.lines(),
        );
        first..end.max(first + 1)
    }

    fn sync_scroll(self) {
        if let Some(el) = self.scroller.get_untracked() {
            self.scroll_top.set(f64::from(el.scroll_top()));
            self.scroll_left.set(f64::from(el.scroll_left()));
            self.height.set(f64::from(el.client_height()));
        }
    }

    /// Sizes and places the textarea for its window's lines, and the spacer for the text's
    /// lines: the textarea never scrolls itself, the scroller scrolls both.
    fn place(self, el: &HtmlTextAreaElement, w: &Window, lines: usize) {
        let rows = (w.end - w.first).max(1);
        let columns = w
            .text
            .split('\n')
            .map(|l| l.chars().count())
            .max()
            .unwrap_or(0);
        let style = web_sys::HtmlElement::style(el);
        let _ = style.set_property("top", &format!("{}px", PAD + w.first as f64 * LINE_HEIGHT));
        let height = rows as f64 * LINE_HEIGHT;
        // A short text's textarea fills the box, so a click below its last line lands in it.
        let height = if w.is_all(lines) {
            format!("max({height}px, calc(100% - {}px))", 2.0 * PAD)
        } else {
            format!("{height}px")
        };
        let _ = style.set_property("height", &height);
        let width = format!("calc({}ch + 40px)", columns + 1);
        let _ = style.set_property("width", &width);
        self.size_spacer(lines, Some(&width));
    }

    /// Gives the scroller the height of `lines` lines (and `width`, when given).
    fn size_spacer(self, lines: usize, width: Option<&str>) {
        if let Some(spacer) = self.spacer.get_untracked() {
            let style = web_sys::HtmlElement::style(&spacer);
            let height = 2.0 * PAD + lines.max(1) as f64 * LINE_HEIGHT;
            let _ = style.set_property("height", &format!("{height}px"));
            if let Some(width) = width {
                let _ = style.set_property("width", width);
            }
        }
    }

    /// The textarea's selection as byte offsets of the text.
    fn selection(self, el: &HtmlTextAreaElement) -> Option<(usize, usize)> {
        let a = el.selection_start().ok().flatten()?;
        let b = el.selection_end().ok().flatten()?;
        Some(
            self.window
                .with_value(|w| (w.text_offset(a), w.text_offset(b))),
        )
    }

    /// Whether the textarea's selection is select-all of the whole text.
    fn selects_all(self, el: &HtmlTextAreaElement) -> bool {
        let (Ok(Some(a)), Ok(Some(b))) = (el.selection_start(), el.selection_end()) else {
            return false;
        };
        self.selects_all_of(a, b)
    }

    /// Whether UTF-16 selection `a..b` covers the whole window of a text larger than it, which
    /// only select-all makes: it then stands for the whole text.
    fn selects_all_of(self, a: u32, b: u32) -> bool {
        let lines = self.lines();
        self.window
            .with_value(|w| !w.is_all(lines) && a == 0 && b > 0 && b == w.utf16_len())
    }

    /// Records where the caret is, as a byte of the text and a line.
    fn note_caret(self) {
        let Some(el) = self.el() else {
            return;
        };
        let Some((_, head)) = self.selection(&el) else {
            return;
        };
        self.state.caret.set_value(head);
        let line = self.state.text.with_value(|t| t.line_of(head));
        self.state.caret_line.set(line);
    }

    /// Fills the textarea with the window around `view`, keeping the scroll position, and the
    /// selection `keep` (bytes of the text) where the window holds it.
    fn refill(self, view: Range<usize>, keep: Option<(usize, usize)>) {
        let Some(el) = self.el() else {
            return;
        };
        let lines = self.lines();
        let w = self.state.text.with_value(|t| Window::around(t, view));
        if self.filled.get_value() != lines || self.window.with_value(|cur| *cur != w) {
            self.filled.set_value(lines);
            self.place(&el, &w, lines);
            el.set_value(&w.text);
        }
        if let Some((a, b)) = keep {
            if let (Some(a), Some(b)) = (w.textarea_offset(a), w.textarea_offset(b)) {
                let _ = el.set_selection_range(a, b);
            }
        }
        self.window.set_value(w);
    }

    /// Moves the window when the view, or a caret inside the window, nears an edge it does not
    /// share with the text. A caret the person scrolled away from stays where it is.
    fn follow(self) {
        let lines = self.lines();
        let view = self.view();
        let caret = self.state.caret_line.get_untracked();
        let (holds, caret_inside) = self.window.with_value(|w| {
            let inside = (w.first..w.end).contains(&caret);
            (
                w.holds(view.clone(), lines) && (!inside || w.holds(caret..caret + 1, lines)),
                inside,
            )
        });
        if holds {
            return;
        }
        let keep = self.el().and_then(|el| self.selection(&el));
        let around = if caret_inside && view.contains(&caret) {
            view.start.min(caret)..view.end.max(caret + 1)
        } else {
            view
        };
        self.refill(around, keep);
    }

    /// Scrolls so that line `line` is in view, a third of the way down when it was not.
    fn scroll_to_line(self, line: usize) {
        let Some(el) = self.scroller.get_untracked() else {
            return;
        };
        // The spacer first: with the old text's height the scroller could not reach the line.
        self.size_spacer(self.lines(), None);
        let top = line as f64 * LINE_HEIGHT;
        let view = f64::from(el.client_height());
        let current = f64::from(el.scroll_top());
        if top < current || top > current + view - 2.0 * LINE_HEIGHT {
            el.set_scroll_top((top - view / 3.0).max(0.0) as i32);
        }
        self.sync_scroll();
    }

    /// Shows the selection the state asks for (after a fix, undo, upload or jump): the window is
    /// filled from the text around it.
    fn reveal(self) {
        let Some(el) = self.el() else {
            return;
        };
        let Some(r) = self.state.reveal.try_update_value(Option::take).flatten() else {
            self.refill(self.view(), None);
            return;
        };
        let line = self.state.text.with_value(|t| t.line_of(r.start));
        self.state.caret_line.set(line);
        if r.focus {
            let _ = el.focus();
        }
        self.scroll_to_line(line);
        self.refill(around(line), Some((r.start, r.end)));
    }

    /// Applies an edit the page makes itself (a large paste, a cut of everything): into the model,
    /// then the window around its end.
    fn splice(self, s: Splice, since: f64) {
        let caret = s.end_after();
        self.splice_to(s, since, caret);
    }

    /// [`Editing::splice`] with the caret at byte `caret` of the text after it.
    fn splice_to(self, s: Splice, since: f64, caret: usize) {
        self.state.edit(s, since, false);
        self.state.caret.set_value(caret);
        let line = self.state.text.with_value(|t| t.line_of(caret));
        self.state.caret_line.set(line);
        self.scroll_to_line(line);
        self.refill(around(line), Some((caret, caret)));
    }

    /// The textarea's value changed: the change, found against the window, goes into the model.
    fn input(self, ev: &web_sys::InputEvent) {
        let Some(el) = self.el() else {
            return;
        };
        let kind = ev.input_type();
        let typing = matches!(
            kind.as_str(),
            "insertText" | "deleteContentBackward" | "deleteContentForward"
        );
        // No `beforeinput` came first: a script set the value, which is then the whole text.
        let whole = self
            .before
            .try_update_value(Option::take)
            .flatten()
            .is_none_or(|(a, b)| self.selects_all_of(a, b));
        let len = self.state.text.with_value(crate::text::Text::len);
        let value = el.value();
        let Some(s) = self.window.try_update_value(|w| w.take(value, whole, len)) else {
            return;
        };
        self.state.edit(s, ev.time_stamp(), typing);
        let big = self.window.with_value(|w| w.text.len() > WINDOW_MAX_BYTES);
        if big || whole {
            // Cut the textarea back before anything reads its layout: laying out megabytes of
            // text costs seconds. The view is the one last measured.
            let keep = self.selection(&el);
            self.note_caret();
            self.refill(self.view(), keep);
            return;
        }
        let lines = self.lines();
        self.window.with_value(|w| self.place(&el, w, lines));
        self.note_caret();
        self.follow();
        // Completion opens after a separator and follows the typing while open.
        let trigger = matches!(ev.data().as_deref(), Some("," | "=" | " "));
        if typing && (trigger || self.popup.with_untracked(Option::is_some)) {
            self.suggest();
        } else {
            self.popup.set(None);
        }
    }

    fn before_input(self, ev: &web_sys::InputEvent) {
        match ev.input_type().as_str() {
            "historyUndo" => {
                ev.prevent_default();
                self.state.undo();
            }
            "historyRedo" => {
                ev.prevent_default();
                self.state.redo();
            }
            _ => {
                let Some(el) = self.el() else {
                    return;
                };
                let sel = (
                    el.selection_start().ok().flatten().unwrap_or(0),
                    el.selection_end().ok().flatten().unwrap_or(0),
                );
                self.before.set_value(Some(sel));
            }
        }
    }

    /// A large paste, or any paste over select-all, is spliced into the model directly.
    fn paste(self, ev: &web_sys::ClipboardEvent) {
        let Some(el) = self.el() else {
            return;
        };
        let Some(data) = ev.clipboard_data() else {
            return;
        };
        let Ok(pasted) = data.get_data("text/plain") else {
            return;
        };
        let all = self.selects_all(&el);
        if pasted.len() <= PASTE_DIRECT_BYTES && !all {
            return;
        }
        ev.prevent_default();
        let range = if all {
            0..self.state.text.with_value(crate::text::Text::len)
        } else {
            let Some((a, b)) = self.selection(&el) else {
                return;
            };
            a..b
        };
        self.splice(
            Splice {
                range,
                insert: pasted.replace("\r\n", "\n"),
            },
            ev.time_stamp(),
        );
    }

    /// Copy and cut of select-all take the whole text, not only the window's.
    fn copy(self, ev: &web_sys::ClipboardEvent, cut: bool) {
        let Some(el) = self.el() else {
            return;
        };
        if !self.selects_all(&el) {
            return;
        }
        let Some(data) = ev.clipboard_data() else {
            return;
        };
        ev.prevent_default();
        let text = self.state.text.with_value(crate::text::Text::to_text);
        let _ = data.set_data("text/plain", &text);
        if cut {
            self.splice(
                Splice {
                    range: 0..text.len(),
                    insert: String::new(),
                },
                ev.time_stamp(),
            );
        }
    }

    /// Puts the caret at byte `at` of the text, scrolled into view.
    fn caret_to(self, at: usize) {
        self.state.show(crate::state::Reveal {
            start: at,
            end: at,
            focus: true,
        });
    }

    fn keydown(self, ev: &ev::KeyboardEvent) {
        if self.popup_key(ev) {
            return;
        }
        let key = ev.key();
        let ctrl = ev.ctrl_key() || ev.meta_key();
        match key.as_str() {
            " " if ctrl => {
                ev.prevent_default();
                self.note_caret();
                self.suggest();
            }
            "." if ctrl => {
                ev.prevent_default();
                self.note_caret();
                self.state.fix_line(self.state.caret_line.get_untracked());
            }
            "z" | "Z" if ctrl && !ev.shift_key() => {
                ev.prevent_default();
                self.state.undo();
            }
            "z" | "Z" | "y" | "Y" if ctrl => {
                ev.prevent_default();
                self.state.redo();
            }
            "Home" if ctrl && !ev.shift_key() => {
                ev.prevent_default();
                self.caret_to(0);
            }
            "End" if ctrl && !ev.shift_key() => {
                ev.prevent_default();
                let end = self.state.text.with_value(crate::text::Text::len);
                self.caret_to(end);
            }
            "g" | "G" if ctrl => {
                ev.prevent_default();
                self.goto.set(true);
            }
            "F8" => {
                ev.prevent_default();
                self.next_problem(!ev.shift_key());
            }
            "ArrowDown" | "ArrowUp" if ev.alt_key() => {
                ev.prevent_default();
                self.next_problem(key == "ArrowDown");
            }
            "," | " " | "\"" if !ctrl && !ev.alt_key() => {
                self.bring_caret_back();
                self.type_through(ev, &key);
            }
            _ => self.bring_caret_back(),
        }
    }

    /// A separator typed just before a value's own closing part (the `i` or `u` completion put
    /// after the caret, a string's closing quote) goes after it, as editors type through a
    /// closing bracket; a typed closing quote just steps over the one there.
    fn type_through(self, ev: &ev::KeyboardEvent, key: &str) {
        let Some(el) = self.el() else {
            return;
        };
        let (Ok(Some(a)), Ok(Some(b))) = (el.selection_start(), el.selection_end()) else {
            return;
        };
        if a != b {
            return;
        }
        let step = self.window.with_value(|w| {
            let at = w.text_offset(a) - w.base;
            let (before, after) = w.text.split_at(at);
            let prev = before.chars().next_back();
            let mut next = after.chars();
            let (c, then) = (next.next(), next.next());
            let closes = matches!(then, None | Some(',' | ' ' | '\n'));
            let line = before.rsplit('\n').next().unwrap_or(before);
            let in_string = line.matches('"').count() - line.matches("\\\"").count();
            match (key, c) {
                ("," | " ", Some('i' | 'u')) => prev.is_some_and(|p| p.is_ascii_digit()) && closes,
                ("," | " " | "\"", Some('"')) => closes && in_string % 2 == 1,
                _ => false,
            }
        });
        if !step {
            return;
        }
        let _ = el.set_selection_range(a + 1, a + 1);
        if key == "\"" {
            ev.prevent_default();
        }
    }

    /// Go to line: the caret to the start of 1-based `line` (clamped to the text).
    fn go_to_line(self, line: usize) {
        self.goto.set(false);
        let at = self
            .state
            .text
            .with_value(|t| t.line_start(line.clamp(1, t.line_count()) - 1));
        self.caret_to(at);
    }

    /// Opens (or refreshes) the completion list at the caret; closes it when nothing fits.
    fn suggest(self) {
        let caret = self.state.caret.get_value();
        let found = self.state.text.with_value(|t| {
            let line = t.line_of(caret);
            let start = t.line_start(line);
            let text = t.slice(start..t.line_end(line));
            let mut names = Names::default();
            // The document's names from its start and around the caret: enough to offer what it
            // uses, and a few milliseconds whatever its size.
            names.read(&t.slice(0..t.line_end(NAME_LINES.min(t.line_count()) - 1)));
            let near = line.saturating_sub(NAME_LINES / 2);
            let near_end = (line + NAME_LINES / 2).min(t.line_count() - 1);
            names.read(&t.slice(t.line_start(near)..t.line_end(near_end)));
            let schema = self.state.schema.get_value();
            let (range, items) = complete(&text, caret - start, &names, &schema);
            let column = text[..range.start].chars().count();
            (line, start, range, items, column)
        });
        let (line, start, range, items, column) = found;
        if items.is_empty() {
            self.popup.set(None);
            return;
        }
        self.popup.set(Some(Popup {
            items,
            selected: 0,
            range: start + range.start..start + range.end,
            line,
            column,
        }));
    }

    /// Inserts the selected completion; then offers what comes next (a tag's values).
    fn accept(self) {
        let Some(p) = self.popup.get_untracked() else {
            return;
        };
        self.popup.set(None);
        let Some(item) = p.items.get(p.selected) else {
            return;
        };
        let caret = p.range.start + item.insert.len() - item.caret_back;
        self.splice_to(
            Splice {
                range: p.range,
                insert: item.insert.clone(),
            },
            crate::state::now_ms(),
            caret,
        );
        self.suggest();
    }

    /// Keys for an open completion list; true when the key was the list's.
    fn popup_key(self, ev: &ev::KeyboardEvent) -> bool {
        let Some(p) = self.popup.get_untracked() else {
            return false;
        };
        let n = p.items.len();
        match ev.key().as_str() {
            "ArrowDown" => self.popup.update(|p| {
                if let Some(p) = p {
                    p.selected = (p.selected + 1) % n;
                }
            }),
            "ArrowUp" => self.popup.update(|p| {
                if let Some(p) = p {
                    p.selected = (p.selected + n - 1) % n;
                }
            }),
            "Enter" | "Tab" => self.accept(),
            "Escape" => self.popup.set(None),
            _ => return false,
        }
        ev.prevent_default();
        true
    }

    fn next_problem(self, forward: bool) {
        if let Some(line) = self.state.next_problem(forward) {
            self.state.jump_to(line);
        }
    }

    /// A key that acts at the caret while the caret's line is outside the window (the person
    /// scrolled away): the window comes back to the caret first, so the key acts there.
    fn bring_caret_back(self) {
        let at = self.state.caret.get_value();
        let inside = self.window.with_value(|w| w.textarea_offset(at).is_some());
        if inside {
            return;
        }
        let line = self.state.text.with_value(|t| t.line_of(at));
        self.scroll_to_line(line);
        self.refill(around(line), Some((at, at)));
    }
}

/// The editor with its gutter, backdrop and caret status line.
#[component]
pub fn Editor() -> impl IntoView {
    let state = expect_context::<AppState>();
    let e = Editing {
        state,
        window: StoredValue::new_local(Window::default()),
        before: StoredValue::new(None),
        filled: StoredValue::new(0),
        scroll_top: RwSignal::new(0.0_f64),
        scroll_left: RwSignal::new(0.0_f64),
        height: RwSignal::new(480.0_f64),
        goto: RwSignal::new(false),
        scroller: NodeRef::new(),
        spacer: NodeRef::new(),
        popup: RwSignal::new_local(None),
    };
    let goto_input = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if e.goto.get() {
            if let Some(input) = goto_input.get() {
                let _ = input.focus();
            }
        }
    });
    let goto_key = move |ev: ev::KeyboardEvent| match ev.key().as_str() {
        "Enter" => {
            ev.prevent_default();
            let line = goto_input
                .get_untracked()
                .and_then(|i| i.value().trim().parse::<usize>().ok());
            match line {
                Some(line) => e.go_to_line(line),
                None => e.goto.set(false),
            }
        }
        "Escape" => {
            ev.prevent_default();
            e.goto.set(false);
            if let Some(el) = e.el() {
                let _ = el.focus();
            }
        }
        _ => {}
    };
    let (scroll_top, scroll_left, height) = (e.scroll_top, e.scroll_left, e.height);

    Effect::new(move |_| {
        state.reloaded.track();
        e.reveal();
    });

    let window = Memo::new(move |_| {
        state.version.track();
        let lines = state.doc.with_value(Document::line_count);
        window_of(scroll_top.get(), height.get(), lines)
    });
    // A memo: the gutter is set again only when its HTML changed, not at every keystroke.
    let gutter = Memo::new(move |_| {
        state.version.track();
        let (first, end) = window.get();
        let caret = state.caret_line.get();
        state.doc.with_value(|d| gutter_html(d, first, end, caret))
    });
    let backdrop = NodeRef::<leptos::html::Div>::new();
    let drawn = StoredValue::new_local(Drawn::default());
    Effect::new(move |_| {
        state.version.track();
        let (first, end) = window.get();
        let lines = state.doc.with_value(|d| backdrop_lines(d, first, end));
        if let Some(el) = backdrop.get() {
            drawn.update_value(|d| d.draw(&el, first, lines));
        }
    });
    let offset_y = move || PAD + window.get().0 as f64 * LINE_HEIGHT - scroll_top.get();
    let caret_status = move || {
        state.version.track();
        let line = state.caret_line.get();
        state.doc.with_value(|d| {
            let total = d.line_count();
            let what = match (d.error_on(line), d.warning_on(line)) {
                (Some((m, s)), _) => match &m.edit {
                    Some(fix) => format!(
                        " — error ({}): {} — Ctrl+. to {}",
                        s.as_str(),
                        m.message,
                        fix.title
                    ),
                    None => format!(" — error ({}): {}", s.as_str(), m.message),
                },
                (None, Some(m)) => format!(" — warning: {}", m.message),
                _ => String::new(),
            };
            format!("Ln {} of {}{}", line + 1, total, what)
        })
    };

    request_animation_frame(move || e.sync_scroll());
    let _resize = window_event_listener(ev::resize, move |_| e.sync_scroll());

    view! {
        <div class="editor" class:coloured=move || !state.stale.get()>
            <div class="gutter" aria-hidden="true">
                <div class="gutter-inner" style:transform=move || format!("translateY({}px)", offset_y()) inner_html=gutter
                    on:click=move |ev: ev::MouseEvent| {
                        let line = ev.target()
                            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                            .and_then(|t| t.closest("[data-fix-line]").ok().flatten())
                            .and_then(|b| b.get_attribute("data-fix-line"))
                            .and_then(|l| l.parse::<usize>().ok());
                        if let Some(line) = line {
                            state.fix_line(line - 1);
                        }
                    }></div>
            </div>
            <div class="code">
                <div class="backdrop" aria-hidden="true">
                    <div
                        class="backdrop-inner"
                        style:transform=move || format!("translate({}px, {}px)", -scroll_left.get(), offset_y())
                        node_ref=backdrop
                    ></div>
                </div>
                {move || e.popup.get().map(|p| {
                    let top = PAD + (p.line + 1) as f64 * LINE_HEIGHT - scroll_top.get();
                    let left = format!("calc({}ch + 10px - {}px)", p.column, scroll_left.get());
                    let rows = p.items.iter().enumerate().map(|(i, item)| {
                        let chosen = i == p.selected;
                        view! {
                            <li role="option" data-testid="completion-item" class:chosen=chosen aria-selected=chosen.to_string()
                                on:mousedown=move |ev: ev::MouseEvent| {
                                    ev.prevent_default();
                                    e.popup.update(|p| if let Some(p) = p { p.selected = i; });
                                    e.accept();
                                }>
                                <span class="label">{item.label.clone()}</span>
                                <span class="detail">{item.detail.clone()}</span>
                            </li>
                        }
                    }).collect_view();
                    view! {
                        <ul class="completions" role="listbox" data-testid="completion" aria-label="Completions"
                            style:top=format!("{top}px") style:left=left>{rows}</ul>
                    }
                })}
                <div class="scroller" node_ref=e.scroller on:scroll=move |_| { e.sync_scroll(); e.follow(); }>
                <div class="spacer" node_ref=e.spacer></div>
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
                    on:beforeinput=move |ev| e.before_input(&ev)
                    on:input=move |ev| e.input(ev.unchecked_ref())
                    on:paste=move |ev| e.paste(&ev)
                    on:copy=move |ev| e.copy(&ev, false)
                    on:cut=move |ev| e.copy(&ev, true)
                    on:keydown=move |ev| e.keydown(&ev)
                    on:keyup=move |_| { e.note_caret(); e.follow(); }
                    on:click=move |_| { e.popup.set(None); e.note_caret(); e.follow(); }
                    on:blur=move |_| e.popup.set(None)
                ></textarea>
                </div>
            </div>
        </div>
        <div class="status-row">
            <div id="caret-status" class="caret-status" data-testid="caret-status" aria-live="polite">{caret_status}</div>
            <Show when=move || e.goto.get()>
                <label class="goto">
                    "Go to line "
                    <input type="number" min="1" data-testid="goto-line" node_ref=goto_input on:keydown=goto_key on:blur=move |_| e.goto.set(false) />
                </label>
            </Show>
        </div>
    }
}
