//! The problems panel: the error count and one row per invalid line (every one of them, also the
//! lines scrolled out of the editor), each a link to its line. Warnings that share a fix are one
//! row for all their lines, with the fix as a button: 48 rows saying the same thing hide the rest.
use std::fmt::Write as _;

use leptos::ev;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::check::{Fix, Problem, Severity, WarningGroup};
use crate::html::{escape_into, group};
use crate::state::AppState;

/// Rows shown at most. Errors come first; the count above always tells the full number.
const MAX_ERRORS: usize = 50_000;
const MAX_WARNINGS: usize = 1_000;

fn rows_html(problems: &[Problem]) -> String {
    let mut out = String::new();
    for p in problems {
        let (testid, sev) = match p.severity {
            Severity::Error => ("line-error", "error"),
            Severity::Warning => ("line-warning", "warning"),
        };
        let _ = write!(
            out,
            "<li data-testid=\"{testid}\" data-line=\"{}\" data-source=\"{}\" data-kind=\"{}\" class=\"{sev}\" \
             role=\"option\" tabindex=\"-1\"><span class=\"sev\">{sev}</span><span class=\"ln\">Ln {}:{}</span>\
             <span class=\"msg\">",
            p.line,
            p.source.as_str(),
            p.mark.kind,
            p.line,
            p.mark.column,
        );
        escape_into(&mut out, &p.mark.message);
        let _ = write!(
            out,
            "</span><span class=\"src\">{}</span>",
            p.source.as_str()
        );
        if let Some(edit) = &p.mark.edit {
            let _ = write!(
                out,
                "<button type=\"button\" class=\"secondary quick-fix\" data-testid=\"quick-fix\" \
                 data-fix-line=\"{}\" title=\"Ctrl+. on the line\">Fix: ",
                p.line
            );
            escape_into(&mut out, &edit.title);
            out.push_str("</button>");
        }
        out.push_str("</span></li>");
    }
    out
}

/// One "fix all" button per kind of error that has a quick fix on more than one line.
fn fix_all_html(problems: &[Problem]) -> String {
    let mut kinds: Vec<(&str, usize)> = Vec::new();
    for p in problems.iter().filter(|p| p.mark.edit.is_some()) {
        match kinds.iter_mut().find(|(k, _)| *k == p.mark.kind) {
            Some((_, n)) => *n += 1,
            None => kinds.push((p.mark.kind, 1)),
        }
    }
    let mut out = String::new();
    for (kind, n) in kinds.into_iter().filter(|(_, n)| *n > 1) {
        let _ = write!(
            out,
            "<li class=\"fix-all\"><button type=\"button\" class=\"secondary\" data-testid=\"fix-all\" \
             data-fix-kind=\"{kind}\">Fix all {} lines with {}</button></li>",
            group(n),
            kind.replace('_', " ")
        );
    }
    out
}

fn groups_html(groups: &[WarningGroup]) -> String {
    let mut out = String::new();
    for g in groups {
        let lines = group(g.lines);
        let noun = if g.lines == 1 { "line" } else { "lines" };
        let Fix::Precision(unit) = g.fix;
        let _ = write!(
            out,
            "<li data-testid=\"warning-group\" data-line=\"{}\" data-kind=\"{}\" data-count=\"{}\" \
             class=\"warning group\" role=\"option\" tabindex=\"-1\"><span class=\"sev\">warning</span>\
             <span class=\"ln\">from Ln {}</span><span class=\"msg\">",
            g.first_line, g.kind, g.lines, g.first_line
        );
        escape_into(&mut out, &format!("{lines} {noun}: {}", g.fix.problem()));
        let _ = write!(
            out,
            "</span><span class=\"fixes\"><button type=\"button\" class=\"secondary fix\" \
             data-testid=\"group-fix\" data-precision=\"{unit}\">{}</button>",
            g.fix.label()
        );
        if let Some(to) = g.convert {
            let _ = write!(
                out,
                "<button type=\"button\" class=\"secondary fix\" data-testid=\"group-convert\" \
                 data-convert=\"{}\">Convert to {to}</button>",
                g.kind
            );
        }
        out.push_str("</span></li>");
    }
    out
}

/// The count badge and the list.
#[component]
pub fn Problems() -> impl IntoView {
    let state = expect_context::<AppState>();
    let counts = Memo::new(move |_| {
        state.version.track();
        state
            .doc
            .with_value(|d| (d.error_lines().len(), d.warning_count(), d.line_count()))
    });
    // A memo: the list is set again only when its HTML changed, not at every keystroke.
    let rows = Memo::new(move |_| {
        state.version.track();
        state.doc.with_value(|d| {
            let problems = d.problems(MAX_ERRORS, MAX_WARNINGS);
            let mut html = fix_all_html(&problems);
            html.push_str(&rows_html(&problems));
            html.push_str(&groups_html(&d.warning_groups()));
            html
        })
    });
    let busy = move || !state.settled.get();
    let label = move || {
        let (e, w, lines) = counts.get();
        let plural = |n: usize, one: &str, many: &str| {
            format!("{} {}", group(n), if n == 1 { one } else { many })
        };
        format!(
            "{} · {} in {}",
            plural(e, "error", "errors"),
            plural(w, "warning", "warnings"),
            plural(lines, "line", "lines")
        )
    };
    let truncated = move || {
        let (e, w, _) = counts.get();
        (e > MAX_ERRORS || w > MAX_WARNINGS).then(|| {
            format!(
                "Showing the first {} errors and {} warnings.",
                group(MAX_ERRORS),
                group(MAX_WARNINGS)
            )
        })
    };
    let on_click = move |ev: ev::MouseEvent| {
        let Some(target) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        else {
            return;
        };
        let attr = |selector: &str, name: &str| {
            target
                .closest(selector)
                .ok()
                .flatten()
                .and_then(|el| el.get_attribute(name))
        };
        if let Some(line) =
            attr("[data-fix-line]", "data-fix-line").and_then(|l| l.parse::<usize>().ok())
        {
            state.fix_line(line.saturating_sub(1));
            return;
        }
        if let Some(kind) = attr("[data-fix-kind]", "data-fix-kind") {
            state.fix_all(&kind);
            return;
        }
        if let Some(kind) = attr("[data-convert]", "data-convert") {
            state.fix_warnings(&kind);
            return;
        }
        let fix = target.closest("[data-precision]").ok().flatten();
        if let Some(unit) = fix.and_then(|b| b.get_attribute("data-precision")) {
            if let Ok(unit) = unit.parse() {
                state.precision.set(unit);
                state.recheck_batch();
            }
            return;
        }
        let Ok(Some(row)) = target.closest("[data-line]") else {
            return;
        };
        if let Some(line) = row.get_attribute("data-line").and_then(|l| l.parse().ok()) {
            state.jump_to(line);
        }
    };
    view! {
        <section class="panel problems-panel" aria-labelledby="problems-title">
            <header class="panel-head">
                <h2 id="problems-title">"Problems"</h2>
                <span
                    data-testid="error-count"
                    class:count=true
                    class=("has-errors", move || counts.get().0 > 0)
                    data-errors=move || counts.get().0
                    data-warnings=move || counts.get().1
                    data-busy=move || busy().to_string()
                    data-checks=move || state.checks.get()
                    data-check-ms=move || format!("{:.1}", state.last_check_ms.get())
                    aria-live="polite"
                >
                    {label}
                </span>
                <span class="hint">"F8 / Alt+↓ next · Shift+F8 / Alt+↑ previous · Ctrl+. quick fix"</span>
            </header>
            {move || state.busy.get().map(|p| view! {
                <div class="progress" role="progressbar" aria-label=p.label aria-valuemin="0" aria-valuemax="100"
                    aria-valuenow=format!("{:.0}", p.fraction * 100.0)>
                    <span class="bar" style:width=format!("{:.1}%", p.fraction * 100.0)></span>
                    <span class="progress-label">{format!("{} {:.0}%", p.label, p.fraction * 100.0)}</span>
                </div>
            })}
            <p class="note">{truncated}</p>
            <ul class="problem-list" role="listbox" aria-label="Problems" on:click=on_click inner_html=rows></ul>
        </section>
    }
}
