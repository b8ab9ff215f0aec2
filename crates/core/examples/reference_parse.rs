//! The peer of `scripts/bench/check.sh`: parses FILE with the `influxdb-line-protocol` 2.0.0
//! crate in this process, decoding every value as `benches/parse.rs` does, and prints the parse's
//! wall time in seconds (reading the file is not counted) and the lines it accepted.
use std::time::Instant;

use influxdb_line_protocol::FieldValue as F;

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: reference_parse FILE");
        std::process::exit(2);
    };
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        eprintln!("{path}: {e}");
        std::process::exit(2);
    });
    let start = Instant::now();
    let (mut ok, mut sum) = (0u64, 0u64);
    for line in influxdb_line_protocol::parse_lines(&text) {
        let Ok(line) = line else { continue };
        ok += 1;
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
    let seconds = start.elapsed().as_secs_f64();
    println!("{seconds:.4} {ok} {}", sum % 10);
}
