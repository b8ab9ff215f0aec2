//! Validates a file with the core natively, the way the npm package's `validate` does it in
//! WebAssembly (the core's check pipeline over every record, count lines), and prints one
//! JSON object per round: `{"seconds":…,"cpu_seconds":…,"lines":…,"points":…,"errors":…}` (wall
//! time, and the process's CPU time, which other load on a shared machine inflates less).
use std::time::Instant;

use linewise_core::{parse_lines, Checker, Line, Precision};

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(path), rounds) = (args.next(), args.next()) else {
        eprintln!("usage: linewise-bench-native FILE [ROUNDS]");
        std::process::exit(2);
    };
    let rounds: u32 = rounds.map_or(Ok(3), |r| r.parse()).unwrap_or_else(|e| {
        eprintln!("ROUNDS: {e}");
        std::process::exit(2);
    });
    let input = std::fs::read(&path).unwrap_or_else(|e| {
        eprintln!("{path}: {e}");
        std::process::exit(1);
    });
    for _ in 0..rounds {
        let (start, cpu_start) = (Instant::now(), cpu_seconds());
        let (lines, points, errors) = validate(&input);
        let seconds = start.elapsed().as_secs_f64();
        let cpu_seconds = cpu_seconds() - cpu_start;
        println!(
            r#"{{"seconds":{seconds},"cpu_seconds":{cpu_seconds},"lines":{lines},"points":{points},"errors":{errors}}}"#
        );
    }
}

fn validate(input: &[u8]) -> (usize, u64, u64) {
    let mut checker = Checker::new(Precision::Auto, 0, None);
    let mut records = checker.check(parse_lines(input));
    let mut line = Line::new();
    let (mut points, mut errors) = (0, 0);
    while let Some(verdict) = records.next(&mut line) {
        match verdict {
            Ok(_) => points += 1,
            Err(_) => errors += 1,
        }
    }
    let newlines = memchr::memchr_iter(b'\n', input).count();
    (
        newlines + usize::from(input.last().is_some_and(|&b| b != b'\n')),
        points,
        errors,
    )
}

/// CPU time used by this process so far.
fn cpu_seconds() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec to write into.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 / 1e9
}
