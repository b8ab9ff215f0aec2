//! Cutting a document into write requests: whole records only, each request at most a given size,
//! so a large file goes up with progress and a failed piece can be sent again.
use std::borrow::Cow;

use crate::check::Document;

/// One request's worth of lines: `[first, end)` as 0-based physical lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub first: usize,
    pub end: usize,
    /// Records (data lines) in the batch: what the server will store or reject.
    pub records: usize,
}

impl Batch {
    /// The body to send. Physical lines are kept as they are, so the server's line numbers count
    /// from `first`.
    pub fn body<'d>(&self, doc: &'d Document) -> Cow<'d, str> {
        let from = doc.line_start(self.first);
        let to = if self.end >= doc.line_count() {
            doc.text_len()
        } else {
            doc.line_start(self.end)
        };
        doc.slice(from..to)
    }

    /// The document line (0-based) of the server's 1-based line number in this batch.
    pub fn doc_line(&self, server_line: u32) -> usize {
        self.first + (server_line.max(1) as usize - 1)
    }
}

/// Splits `doc` into batches of at most `max_bytes` (a single larger record gets a batch of its
/// own). Batches without any data line are left out.
pub fn plan(doc: &Document, max_bytes: usize) -> Vec<Batch> {
    let n = doc.line_count();
    let mut out = Vec::new();
    let mut first = 0;
    let mut records = 0;
    let mut i = 0;
    while i < n {
        // The record starting at i spans up to the next boundary.
        let mut end = i + 1;
        while end < n && !doc.is_boundary(end) {
            end += 1;
        }
        let size = doc.line_start(end).saturating_sub(doc.line_start(first));
        if i > first && size > max_bytes {
            out.push(Batch {
                first,
                end: i,
                records,
            });
            first = i;
            records = 0;
        }
        if doc.starts_record(i) {
            records += 1;
        }
        i = end;
    }
    out.push(Batch {
        first,
        end: n,
        records,
    });
    out.retain(|b| b.records > 0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_at_records_and_maps_lines_back() {
        let d = Document::checked("a f=1 1\n# note\nb f=2 2\nc f=3 3\n");
        let batches = plan(&d, 16);
        assert_eq!(batches.len(), 2, "{batches:?}");
        assert_eq!(batches[0].body(&d), "a f=1 1\n# note\n");
        assert_eq!(batches[1].body(&d), "b f=2 2\nc f=3 3\n");
        assert_eq!(batches[1].doc_line(2), 3);
        assert_eq!(batches.iter().map(|b| b.records).sum::<usize>(), 3);
        let one = plan(&d, 1 << 20);
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].body(&d), d.to_text());
    }

    #[test]
    fn keeps_multi_line_records_whole() {
        let d = Document::checked("m s=\"a\nb\" 1\nm f=1 2\n");
        let batches = plan(&d, 4);
        assert_eq!(batches[0].body(&d), "m s=\"a\nb\" 1\n");
        assert_eq!(batches[1].doc_line(1), 2);
    }
}
