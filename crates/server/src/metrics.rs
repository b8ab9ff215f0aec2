//! Prometheus metrics: requests by endpoint and status, request latency histograms, lines
//! accepted and rejected, bytes received; buffer and catalog sizes, and what persisting fails
//! for, are read when scraped.
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use crate::buffer::TableStats;
use crate::persist::PersistHandle;

/// Latency bucket bounds in seconds.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Default, Clone)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, secs: f64) {
        for (c, b) in self.counts.iter_mut().zip(BUCKETS) {
            if secs <= b {
                *c += 1;
            }
        }
        self.count += 1;
        self.sum += secs;
    }
}

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(&'static str, u16), u64>>,
    latency: Mutex<BTreeMap<&'static str, Histogram>>,
    lines_accepted: AtomicU64,
    lines_rejected: AtomicU64,
    bytes_received: AtomicU64,
    bytes_decoded: AtomicU64,
    /// Where persistence failures are read from (none without durability).
    persist: Option<PersistHandle>,
    writes_waited: AtomicU64,
}

/// Escapes a Prometheus label value.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl Metrics {
    /// Also exports what persisting fails for, and the files it wrote.
    pub fn with_persist(mut self, persist: PersistHandle) -> Self {
        self.persist = Some(persist);
        self
    }

    pub fn request(&self, endpoint: &'static str, status: u16, elapsed: Duration) {
        *self
            .requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry((endpoint, status))
            .or_default() += 1;
        self.latency
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(endpoint)
            .or_default()
            .observe(elapsed.as_secs_f64());
    }

    pub fn lines(&self, accepted: usize, rejected: usize) {
        self.lines_accepted
            .fetch_add(accepted as u64, Ordering::Relaxed);
        self.lines_rejected
            .fetch_add(rejected as u64, Ordering::Relaxed);
    }

    /// A write that waited for persistence to make room, then was stored.
    pub fn write_waited(&self) {
        self.writes_waited.fetch_add(1, Ordering::Relaxed);
    }

    /// `raw`: bytes on the wire; `decoded`: after gunzip.
    pub fn body(&self, raw: usize, decoded: usize) {
        self.bytes_received.fetch_add(raw as u64, Ordering::Relaxed);
        self.bytes_decoded
            .fetch_add(decoded as u64, Ordering::Relaxed);
    }

    /// The text exposition format, ending in `# EOF` as InfluxDB's does.
    pub fn render(&self, tables: &[TableStats], databases: usize) -> String {
        let mut o = String::new();
        o.push_str("# HELP linewise_http_requests_total HTTP requests by endpoint and status.\n");
        o.push_str("# TYPE linewise_http_requests_total counter\n");
        for ((e, s), n) in self
            .requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            let _ = writeln!(
                o,
                "linewise_http_requests_total{{endpoint=\"{e}\",status=\"{s}\"}} {n}"
            );
        }
        o.push_str("# HELP linewise_http_request_duration_seconds HTTP request latency.\n");
        o.push_str("# TYPE linewise_http_request_duration_seconds histogram\n");
        for (e, h) in self
            .latency
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            for (b, c) in BUCKETS.iter().zip(h.counts) {
                let _ = writeln!(
                    o,
                    "linewise_http_request_duration_seconds_bucket{{endpoint=\"{e}\",le=\"{b}\"}} {c}"
                );
            }
            let _ = writeln!(
                o,
                "linewise_http_request_duration_seconds_bucket{{endpoint=\"{e}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                o,
                "linewise_http_request_duration_seconds_sum{{endpoint=\"{e}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                o,
                "linewise_http_request_duration_seconds_count{{endpoint=\"{e}\"}} {}",
                h.count
            );
        }
        let counters = [
            (
                "linewise_lines_accepted_total",
                "Lines stored.",
                &self.lines_accepted,
            ),
            (
                "linewise_lines_rejected_total",
                "Lines rejected with a per-line error.",
                &self.lines_rejected,
            ),
            (
                "linewise_bytes_received_total",
                "Write request body bytes as sent (maybe gzip).",
                &self.bytes_received,
            ),
            (
                "linewise_bytes_decoded_total",
                "Write request body bytes after decompression.",
                &self.bytes_decoded,
            ),
            (
                "linewise_writes_waited_total",
                "Writes that found the buffer full and waited for room (--write-wait-timeout).",
                &self.writes_waited,
            ),
        ];
        for (name, help, v) in counters {
            let _ = writeln!(
                o,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                v.load(Ordering::Relaxed)
            );
        }
        o.push_str("# HELP linewise_buffer_rows Rows held in the in-memory buffer per table.\n");
        o.push_str("# TYPE linewise_buffer_rows gauge\n");
        for t in tables {
            let _ = writeln!(
                o,
                "linewise_buffer_rows{{db=\"{}\",table=\"{}\"}} {}",
                label(&t.db),
                label(&t.table),
                t.rows
            );
        }
        let bytes: usize = tables.iter().map(|t| t.bytes).sum();
        let _ = writeln!(
            o,
            "# HELP linewise_buffer_bytes Arrow bytes held in the buffer.\n# TYPE linewise_buffer_bytes gauge\nlinewise_buffer_bytes {bytes}"
        );
        let _ = writeln!(
            o,
            "# HELP linewise_databases Databases in the catalog.\n# TYPE linewise_databases gauge\nlinewise_databases {databases}"
        );
        if let Some(persist) = &self.persist {
            render_persist(&mut o, persist);
        }
        o.push_str("# EOF\n");
        o
    }
}

/// Persistence: files written, failed attempts, and one series per table (or WAL segment)
/// persisting fails for now, counting its failed attempts in a row.
fn render_persist(o: &mut String, persist: &PersistHandle) {
    let _ = writeln!(
        o,
        "# HELP linewise_parquet_files_written_total Parquet files written.\n# TYPE linewise_parquet_files_written_total counter\nlinewise_parquet_files_written_total {}",
        persist.files_written()
    );
    let _ = writeln!(
        o,
        "# HELP linewise_persist_errors_total Failed attempts to persist a table or a WAL segment.\n# TYPE linewise_persist_errors_total counter\nlinewise_persist_errors_total {}",
        persist.failed_attempts()
    );
    o.push_str("# HELP linewise_persist_failing Failed attempts in a row, per table (or WAL segment) persisting fails for now.\n");
    o.push_str("# TYPE linewise_persist_failing gauge\n");
    for f in persist.failures() {
        match (&f.table, f.segment) {
            (Some((db, table)), _) => {
                let _ = writeln!(
                    o,
                    "linewise_persist_failing{{db=\"{}\",table=\"{}\"}} {}",
                    label(db),
                    label(table),
                    f.attempts
                );
            }
            (None, Some(segment)) => {
                let _ = writeln!(
                    o,
                    "linewise_persist_failing{{segment=\"{segment}\"}} {}",
                    f.attempts
                );
            }
            (None, None) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counts_and_buckets() {
        let m = Metrics::default();
        m.request("write_lp", 204, Duration::from_millis(2));
        m.request("write_lp", 204, Duration::from_millis(200));
        m.lines(10, 2);
        let t = TableStats {
            db: "d".into(),
            table: "a\"b".into(),
            rows: 7,
            bytes: 100,
        };
        let text = m.render(&[t], 1);
        assert!(
            text.contains("linewise_http_requests_total{endpoint=\"write_lp\",status=\"204\"} 2")
        );
        assert!(text.contains(
            "linewise_http_request_duration_seconds_bucket{endpoint=\"write_lp\",le=\"0.0025\"} 1"
        ));
        assert!(text.contains("linewise_lines_accepted_total 10"));
        assert!(text.contains("linewise_buffer_rows{db=\"d\",table=\"a\\\"b\"} 7"));
        assert!(text.ends_with("# EOF\n"));
    }
}
