//! Syntax colours for the editor's visible lines, from the core's own token spans
//! (`linewise_core::highlight`): the page colours what the parser reads, and reads it only for
//! the lines in view, so a 100,000-line document costs no more to colour than a short one.
use std::ops::Range;

use linewise_core::highlight::{highlight, Highlight, Span};

use crate::check::Document;
use crate::html::escape_into;

/// One line's coloured pieces: byte ranges relative to the line's start.
pub type LineSpans = Vec<(Range<usize>, Highlight)>;

/// The spans of lines `first..end`, one list per line. The text parsed is widened to whole
/// records, so a line inside a multi-line string is coloured as part of its string.
pub fn window_spans(doc: &Document, first: usize, end: usize) -> Vec<LineSpans> {
    let lines = doc.line_count();
    let (first, end) = (first.min(lines), end.min(lines));
    let mut from = first;
    while from > 0 && !doc.is_boundary(from) {
        from -= 1;
    }
    let mut to = end;
    while to < lines && !doc.is_boundary(to) {
        to += 1;
    }
    let base = doc.line_start(from);
    let stop = if to >= lines {
        doc.text_len()
    } else {
        doc.line_start(to)
    };
    let mut spans = Vec::new();
    highlight(doc.slice(base..stop).as_bytes(), &mut spans);
    let mut rest = spans.as_slice();
    (first..end)
        .map(|i| {
            let start = doc.line_start(i) - base;
            let line_end = start + doc.line(i).len();
            let skip = rest.iter().take_while(|s| s.range.end <= start).count();
            rest = &rest[skip..];
            rest.iter()
                .take_while(|s| s.range.start < line_end)
                .map(|Span { range, kind }| {
                    let r = range.start.max(start) - start..range.end.min(line_end) - start;
                    (r, *kind)
                })
                .filter(|(r, _)| !r.is_empty())
                .collect()
        })
        .collect()
}

/// Appends `text[part]` as HTML, each coloured piece in a `<span class="t-KIND">`.
pub fn coloured_into(
    out: &mut String,
    text: &str,
    spans: &[(Range<usize>, Highlight)],
    part: Range<usize>,
) {
    let mut at = part.start;
    for (range, kind) in spans {
        let (s, e) = (range.start.max(part.start), range.end.min(part.end));
        if s >= e {
            continue;
        }
        escape_into(out, &text[at..s]);
        out.push_str("<span class=\"t-");
        out.push_str(kind.as_str());
        out.push_str("\">");
        escape_into(out, &text[s..e]);
        out.push_str("</span>");
        at = e;
    }
    escape_into(out, &text[at..part.end]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn html(doc: &Document, first: usize, end: usize) -> Vec<String> {
        window_spans(doc, first, end)
            .iter()
            .enumerate()
            .map(|(n, spans)| {
                let text = doc.line(first + n);
                let mut out = String::new();
                coloured_into(&mut out, &text, spans, 0..text.len());
                out
            })
            .collect()
    }

    #[test]
    fn colours_the_lines_asked_for() {
        let d = Document::checked("# c\nm,t=<v> f=1i 5\n");
        assert_eq!(
            html(&d, 1, 2),
            [
                "<span class=\"t-measurement\">m</span>,<span class=\"t-tag_key\">t</span>=\
              <span class=\"t-tag_value\">&lt;v&gt;</span> <span class=\"t-field_key\">f</span>=\
              <span class=\"t-integer\">1i</span> <span class=\"t-timestamp\">5</span>"
            ]
        );
        assert_eq!(html(&d, 0, 1), ["<span class=\"t-comment\"># c</span>"]);
    }

    #[test]
    fn a_line_inside_a_string_is_coloured_as_the_string() {
        let d = Document::checked("m s=\"a\nb\" 1\n");
        assert_eq!(
            html(&d, 1, 2),
            ["<span class=\"t-string\">b&quot;</span> <span class=\"t-timestamp\">1</span>"]
        );
    }

    #[test]
    fn a_part_cuts_the_spans_at_its_ends() {
        let text = "home f=21.5";
        let spans: LineSpans = vec![
            (0..4, Highlight::Measurement),
            (5..6, Highlight::FieldKey),
            (7..11, Highlight::Float),
        ];
        let mut out = String::new();
        coloured_into(&mut out, text, &spans, 2..9);
        assert_eq!(
            out,
            "<span class=\"t-measurement\">me</span> <span class=\"t-field_key\">f</span>=<span class=\"t-float\">21</span>"
        );
    }
}
