//! Prometheus metrics: requests by endpoint and status, request latency histograms, lines
//! accepted and rejected, bytes received; buffer and catalog sizes, and what persisting fails
//! for, are read when scraped.
//!
//! The series are `prometheus-client` metrics encoded in the Prometheus text format (0.0.4), the
//! format `/metrics` has always answered; the exposition ends in `# EOF` as InfluxDB's does.
use std::time::Duration;

use prometheus_client::encoding::{prometheus_text, EncodeLabelSet};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::buffer::TableStats;
use crate::persist::PersistHandle;

/// Latency bucket bounds in seconds.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    endpoint: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EndpointLabels {
    endpoint: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TableLabels {
    db: String,
    table: String,
}

/// A gauge of whole, never negative amounts (rows, bytes, attempts).
type Amount = Gauge<u64, std::sync::atomic::AtomicU64>;

fn latency_histogram() -> Histogram {
    Histogram::new(BUCKETS)
}

/// The series the server counts as it goes; the ones read when scraped are built in `render`.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<EndpointLabels, Histogram>,
    lines_accepted: Counter,
    lines_rejected: Counter,
    bytes_received: Counter,
    bytes_decoded: Counter,
    writes_waited: Counter,
    /// Where persistence failures are read from (none without durability).
    persist: Option<PersistHandle>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::default();
        let requests = Family::default();
        registry.register(
            "linewise_http_requests",
            "HTTP requests by endpoint and status",
            requests.clone(),
        );
        let latency = Family::new_with_constructor(latency_histogram as fn() -> Histogram);
        registry.register(
            "linewise_http_request_duration_seconds",
            "HTTP request latency",
            latency.clone(),
        );
        let mut counter = |name: &str, help: &str| {
            let c = Counter::default();
            registry.register(name, help, c.clone());
            c
        };
        let lines_accepted = counter("linewise_lines_accepted", "Lines stored");
        let lines_rejected = counter(
            "linewise_lines_rejected",
            "Lines rejected with a per-line error",
        );
        let bytes_received = counter(
            "linewise_bytes_received",
            "Write request body bytes as sent (maybe gzip)",
        );
        let bytes_decoded = counter(
            "linewise_bytes_decoded",
            "Write request body bytes after decompression",
        );
        let writes_waited = counter(
            "linewise_writes_waited",
            "Writes that found the buffer full and waited for room (--write-wait-timeout)",
        );
        Metrics {
            registry,
            requests,
            latency,
            lines_accepted,
            lines_rejected,
            bytes_received,
            bytes_decoded,
            writes_waited,
            persist: None,
        }
    }
}

impl Metrics {
    /// Also exports what persisting fails for, and the files it wrote.
    pub fn with_persist(mut self, persist: PersistHandle) -> Self {
        self.persist = Some(persist);
        self
    }

    pub fn request(&self, endpoint: &'static str, status: u16, elapsed: Duration) {
        self.requests
            .get_or_create(&RequestLabels { endpoint, status })
            .inc();
        self.latency
            .get_or_create(&EndpointLabels { endpoint })
            .observe(elapsed.as_secs_f64());
    }

    pub fn lines(&self, accepted: usize, rejected: usize) {
        self.lines_accepted.inc_by(accepted as u64);
        self.lines_rejected.inc_by(rejected as u64);
    }

    /// A write that waited for persistence to make room, then was stored.
    pub fn write_waited(&self) {
        self.writes_waited.inc();
    }

    /// `raw`: bytes on the wire; `decoded`: after gunzip.
    pub fn body(&self, raw: usize, decoded: usize) {
        self.bytes_received.inc_by(raw as u64);
        self.bytes_decoded.inc_by(decoded as u64);
    }

    /// The text exposition format, ending in `# EOF` as InfluxDB's does.
    pub fn render(&self, tables: &[TableStats], databases: usize) -> String {
        let scraped = scraped(tables, databases, self.persist.as_ref());
        let mut o = String::new();
        for registry in [&self.registry, &scraped] {
            if let Err(e) = prometheus_text::encode(&mut o, registry) {
                tracing::error!("encoding metrics: {e}");
            }
        }
        o.push_str("# EOF\n");
        o
    }
}

/// The series read when scraped: buffer and catalog sizes, and persistence (files written,
/// failed attempts, and one series per table, or WAL segment, persisting fails for now,
/// counting its failed attempts in a row).
fn scraped(tables: &[TableStats], databases: usize, persist: Option<&PersistHandle>) -> Registry {
    let mut registry = Registry::default();
    let rows = Family::<TableLabels, Amount>::default();
    for t in tables {
        rows.get_or_create(&TableLabels {
            db: t.db.clone(),
            table: t.table.clone(),
        })
        .set(t.rows as u64);
    }
    registry.register(
        "linewise_buffer_rows",
        "Rows held in the in-memory buffer per table",
        rows,
    );
    let bytes = Amount::default();
    bytes.set(tables.iter().map(|t| t.bytes as u64).sum());
    registry.register(
        "linewise_buffer_bytes",
        "Arrow bytes held in the buffer",
        bytes,
    );
    let dbs = Amount::default();
    dbs.set(databases as u64);
    registry.register("linewise_databases", "Databases in the catalog", dbs);
    let Some(persist) = persist else {
        return registry;
    };
    registry.register(
        "linewise_parquet_files_written",
        "Parquet files written",
        ConstCounter::new(persist.files_written()),
    );
    registry.register(
        "linewise_persist_errors",
        "Failed attempts to persist a table or a WAL segment",
        ConstCounter::new(persist.failed_attempts()),
    );
    let failing = Family::<Vec<(&'static str, String)>, Amount>::default();
    for f in persist.failures() {
        let labels = match (f.table, f.segment) {
            (Some((db, table)), _) => vec![("db", db), ("table", table)],
            (None, Some(segment)) => vec![("segment", segment.to_string())],
            (None, None) => continue,
        };
        failing.get_or_create(&labels).set(f.attempts);
    }
    registry.register(
        "linewise_persist_failing",
        "Failed attempts in a row, per table (or WAL segment) persisting fails for now",
        failing,
    );
    registry
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
