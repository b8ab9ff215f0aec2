//! Parsing throughput with every value decoded, beside the `influxdb-line-protocol` 2.0.0 crate
//! in the same run.
//!
//! Inputs: `LINEWISE_BENCH_CPU` and `LINEWISE_BENCH_MIXED` name files made with the data
//! generator (`--schema cpu --hosts 100 --lines 1000000 --seed 1`, `--schema mixed --lines 500000
//! --seed 1`). Without them the bench uses a generated 20,000-line cpu input and
//! `tests/data/mixed-5k.lp`.
//!
//! Time is the benchmark thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`), not wall time: the
//! machines this runs on are shared, and CPU time is what other processes do not inflate.
use std::hint::black_box;

use criterion::measurement::{Measurement, ValueFormatter};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use linewise_core::{parse_lines, FieldValue, Line, Token};

/// Parses everything with linewise, decoding every name and value; returns a checksum.
/// Escaped names and strings are unescaped into one reused buffer.
fn linewise(input: &[u8]) -> u64 {
    let mut lines = parse_lines(input);
    let mut line = Line::new();
    let mut buf = String::new();
    let mut text = |t: &Token<'_>| -> u64 {
        if t.escaped {
            buf.clear();
            t.unescape_into(&mut buf);
            buf.len() as u64
        } else {
            t.raw.len() as u64
        }
    };
    let mut sum = 0u64;
    while let Some(result) = lines.next_into(&mut line) {
        if result.is_err() {
            sum += 1;
            continue;
        }
        sum += text(&line.measurement);
        for (k, v) in &line.tags {
            sum += text(k) + text(v);
        }
        for (k, v) in &line.fields {
            sum += text(k);
            sum += match v {
                FieldValue::Float(f) => f.to_bits(),
                FieldValue::Integer(i) => *i as u64,
                FieldValue::UInteger(u) => *u,
                FieldValue::String(s) => text(s),
                FieldValue::Boolean(b) => u64::from(*b),
            };
        }
        sum = sum.wrapping_add(line.timestamp.unwrap_or(0) as u64);
    }
    sum
}

/// The same with the reference crate (which unescapes while parsing).
fn reference(input: &str) -> u64 {
    use influxdb_line_protocol::FieldValue as F;
    let mut sum = 0u64;
    for line in influxdb_line_protocol::parse_lines(input) {
        let Ok(line) = line else {
            sum += 1;
            continue;
        };
        sum += line.series.measurement.len() as u64;
        for (k, v) in line.series.tag_set.iter().flatten() {
            sum += (k.len() + v.len()) as u64;
        }
        for (k, v) in &line.field_set {
            sum += k.len() as u64;
            sum += match v {
                F::F64(f) => f.to_bits(),
                F::I64(i) => *i as u64,
                F::U64(u) => *u,
                F::String(s) => s.len() as u64,
                F::Boolean(b) => u64::from(*b),
            };
        }
        sum = sum.wrapping_add(line.timestamp.unwrap_or(0) as u64);
    }
    sum
}

/// A small input of the cpu schema's shape, for runs without the generated file.
fn small_cpu() -> Vec<u8> {
    let mut out = String::new();
    for i in 0..20_000u64 {
        let host = i % 100;
        out += &format!(
            "cpu,hostname=host_{host},region=us-west-2,datacenter=us-west-2c,rack={},os=Ubuntu16.10,arch=x86,\
             team=SF,service={},service_version=1,service_environment=staging ",
            host % 97,
            host % 19
        );
        for (j, f) in [
            "usage_user",
            "usage_system",
            "usage_idle",
            "usage_nice",
            "usage_iowait",
            "usage_irq",
            "usage_softirq",
            "usage_steal",
            "usage_guest",
            "usage_guest_nice",
        ]
        .iter()
        .enumerate()
        {
            out += &format!(
                "{}{f}={}i",
                if j == 0 { "" } else { "," },
                (i * 7 + j as u64 * 13) % 100
            );
        }
        out += &format!(
            " {}\n",
            1_451_606_400_000_000_000 + (i / 100) * 10_000_000_000
        );
    }
    out.into_bytes()
}

fn input(var: &str, fallback: impl FnOnce() -> Vec<u8>) -> (String, Vec<u8>) {
    match std::env::var(var) {
        Ok(path) => {
            let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{var}={path}: {e}"));
            (path, data)
        }
        Err(_) => (String::from("built-in"), fallback()),
    }
}

fn bench(c: &mut Criterion<ThreadCpuTime>) {
    let inputs = [
        ("cpu", input("LINEWISE_BENCH_CPU", small_cpu)),
        (
            "mixed",
            input("LINEWISE_BENCH_MIXED", || {
                include_bytes!("../tests/data/mixed-5k.lp").to_vec()
            }),
        ),
    ];
    for (name, (source, data)) in &inputs {
        let text = std::str::from_utf8(data).expect("benchmark input must be UTF-8");
        let records = parse_lines(data).count();
        eprintln!("{name}: {source}: {} bytes, {records} records", data.len());
        let mut group = c.benchmark_group(*name);
        group.throughput(Throughput::Bytes(data.len() as u64));
        group.sample_size(10);
        group.bench_function("linewise", |b| b.iter(|| linewise(black_box(data))));
        group.bench_function("influxdb-line-protocol", |b| {
            b.iter(|| reference(black_box(text)))
        });
        group.finish();
    }
}

/// CPU time of the calling thread, in nanoseconds.
struct ThreadCpuTime;

fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant the kernel knows.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

impl Measurement for ThreadCpuTime {
    type Intermediate = u64;
    type Value = u64;
    fn start(&self) -> u64 {
        thread_cpu_ns()
    }
    fn end(&self, start: u64) -> u64 {
        thread_cpu_ns() - start
    }
    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }
    fn zero(&self) -> u64 {
        0
    }
    fn to_f64(&self, v: &u64) -> f64 {
        *v as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        &CpuTimeFormatter
    }
}

/// Shows nanoseconds as ms and bytes per nanosecond as MiB/s (elements as lines/s).
struct CpuTimeFormatter;

impl ValueFormatter for CpuTimeFormatter {
    fn scale_values(&self, _typical: f64, values: &mut [f64]) -> &'static str {
        values.iter_mut().for_each(|v| *v /= 1e6);
        "ms (cpu)"
    }
    fn scale_throughputs(
        &self,
        _typical: f64,
        throughput: &Throughput,
        values: &mut [f64],
    ) -> &'static str {
        match throughput {
            Throughput::Bytes(n) | Throughput::BytesDecimal(n) => {
                values
                    .iter_mut()
                    .for_each(|v| *v = *n as f64 * 1e9 / *v / 1e6);
                "MB/s"
            }
            Throughput::Elements(n) => {
                values.iter_mut().for_each(|v| *v = *n as f64 * 1e9 / *v);
                "lines/s"
            }
        }
    }
    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}

fn config() -> Criterion<ThreadCpuTime> {
    Criterion::default().with_measurement(ThreadCpuTime)
}

criterion_group!(name = benches; config = config(); targets = bench);
criterion_main!(benches);
