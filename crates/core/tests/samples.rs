//! The sample files: the seed's home data parses to the seed's table, clean files are fully
//! valid, and in the files with injected bad lines exactly the injected lines are rejected.
use std::collections::BTreeSet;

use linewise_core::{parse_lines, BatchValidator, ErrorKind, OwnedFieldValue, Precision};

const HOME: &[u8] = include_bytes!("data/home-48.lp");
/// The seed document's "Home sensor data line protocol" block, verbatim.
const HOME_SEED: &[u8] = include_bytes!("data/home-seed.lp");
const MIXED: &[u8] = include_bytes!("data/mixed-5k.lp");
const MIXED_BAD: &[u8] = include_bytes!("data/mixed-bad-5k.lp");
const MIXED_BAD_LOG: &str = include_str!("data/mixed-bad-5k.bad.jsonl");
const CPU_UTF8: &[u8] = include_bytes!("data/cpu-bad-utf8-2k.lp");
const CPU_UTF8_LOG: &str = include_str!("data/cpu-bad-utf8-2k.bad.jsonl");

/// (line, kind) of every injected bad line.
fn injected(log: &str) -> Vec<(u32, String)> {
    log.lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["line"].as_u64().unwrap() as u32,
                v["kind"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// (record line, kind) of rejected lines.
type Rejected = Vec<(u32, ErrorKind)>;

/// Lines rejected by the parser and by the validator, and the number of accepted records.
fn rejected(input: &[u8]) -> (Rejected, Rejected, usize) {
    let mut validator = BatchValidator::new(Precision::Auto, None);
    let (mut parse, mut schema, mut good) = (Vec::new(), Vec::new(), 0);
    for line in parse_lines(input) {
        match line {
            Err(d) => parse.push((d.record_line, d.kind)),
            Ok(l) => match validator.check(&l, 0) {
                Ok(_) => good += 1,
                Err(d) => schema.push((d.record_line, d.kind)),
            },
        }
    }
    (parse, schema, good)
}

/// The seed's table: room, temp, hum, co, timestamp in seconds.
const SEED_TABLE: [(&str, f64, f64, i64, i64); 26] = [
    ("Living Room", 21.1, 35.9, 0, 1641024000),
    ("Kitchen", 21.0, 35.9, 0, 1641024000),
    ("Living Room", 21.4, 35.9, 0, 1641027600),
    ("Kitchen", 23.0, 36.2, 0, 1641027600),
    ("Living Room", 21.8, 36.0, 0, 1641031200),
    ("Kitchen", 22.7, 36.1, 0, 1641031200),
    ("Living Room", 22.2, 36.0, 0, 1641034800),
    ("Kitchen", 22.4, 36.0, 0, 1641034800),
    ("Living Room", 22.2, 35.9, 0, 1641038400),
    ("Kitchen", 22.5, 36.0, 0, 1641038400),
    ("Living Room", 22.4, 36.0, 0, 1641042000),
    ("Kitchen", 22.8, 36.5, 1, 1641042000),
    ("Living Room", 22.3, 36.1, 0, 1641045600),
    ("Kitchen", 22.8, 36.3, 1, 1641045600),
    ("Living Room", 22.3, 36.1, 1, 1641049200),
    ("Kitchen", 22.7, 36.2, 3, 1641049200),
    ("Living Room", 22.4, 36.0, 4, 1641052800),
    ("Kitchen", 22.4, 36.0, 7, 1641052800),
    ("Living Room", 22.6, 35.9, 5, 1641056400),
    ("Kitchen", 22.7, 36.0, 9, 1641056400),
    ("Living Room", 22.8, 36.2, 9, 1641060000),
    ("Kitchen", 23.3, 36.9, 18, 1641060000),
    ("Living Room", 22.5, 36.3, 14, 1641063600),
    ("Kitchen", 23.1, 36.6, 22, 1641063600),
    ("Living Room", 22.2, 36.4, 17, 1641067200),
    ("Kitchen", 22.7, 36.5, 26, 1641067200),
];

#[test]
fn seed_home_data_parses_to_the_seed_table() {
    let mut validator = BatchValidator::new(Precision::Second, None);
    let mut n = 0;
    for (line, (room, temp, hum, co, ts)) in parse_lines(HOME_SEED).zip(SEED_TABLE) {
        let line = line.unwrap();
        let ns = validator.check(&line, 0).unwrap();
        let p = line.to_point();
        assert_eq!(p.measurement, "home");
        assert_eq!(p.tags, [("room".to_owned(), room.to_owned())]);
        assert_eq!(
            p.fields,
            [
                ("temp".to_owned(), OwnedFieldValue::Float(temp)),
                ("hum".to_owned(), OwnedFieldValue::Float(hum)),
                ("co".to_owned(), OwnedFieldValue::Integer(co)),
            ]
        );
        assert_eq!(ns, ts * 1_000_000_000);
        n += 1;
    }
    assert_eq!(n, 26);
    assert_eq!(parse_lines(HOME_SEED).count(), 26);
}

#[test]
fn generated_home_sample_has_the_seed_schema() {
    let mut validator = BatchValidator::new(Precision::Second, None);
    let mut rows = Vec::new();
    for line in parse_lines(HOME) {
        let line = line.unwrap();
        let ns = validator.check(&line, 0).unwrap();
        rows.push((line.to_point(), ns));
    }
    assert_eq!(rows.len(), 48);
    let (first, ns) = &rows[0];
    assert_eq!(first.measurement, "home");
    assert_eq!(first.tags, [("room".to_owned(), "Living Room".to_owned())]);
    assert_eq!(
        first.fields,
        [
            ("temp".to_owned(), OwnedFieldValue::Float(21.2)),
            ("hum".to_owned(), OwnedFieldValue::Float(36.1)),
            ("co".to_owned(), OwnedFieldValue::Integer(0)),
        ]
    );
    assert_eq!(*ns, 1_641_024_000_000_000_000);
    // Two rooms per hour, hourly from 1641024000 (seconds precision).
    for (i, (p, ns)) in rows.iter().enumerate() {
        let room = if i % 2 == 0 { "Living Room" } else { "Kitchen" };
        assert_eq!(p.tags[0].1, room, "row {i}");
        assert_eq!(
            p.timestamp,
            Some(1_641_024_000 + 3600 * (i as i64 / 2)),
            "row {i}"
        );
        assert_eq!(*ns, p.timestamp.unwrap() * 1_000_000_000);
        assert!(matches!(p.fields[2].1, OwnedFieldValue::Integer(_)));
    }
    // Spot checks against the seed's values.
    assert_eq!(rows[1].0.fields[0].1, OwnedFieldValue::Float(21.9));
    assert_eq!(rows[1].0.fields[1].1, OwnedFieldValue::Float(35.9));
    assert_eq!(rows[1].0.fields[2].1, OwnedFieldValue::Integer(3));
}

#[test]
fn mixed_sample_is_fully_valid() {
    let (parse, schema, good) = rejected(MIXED);
    assert_eq!(parse, []);
    assert_eq!(schema, []);
    assert_eq!(good, 5000);
}

fn assert_exactly_injected(input: &[u8], log: &str) {
    let injected = injected(log);
    let (parse, schema, _) = rejected(input);
    let want_schema: BTreeSet<u32> = injected
        .iter()
        .filter(|(_, k)| k == "type_conflict")
        .map(|(l, _)| *l)
        .collect();
    let want_parse: BTreeSet<u32> = injected
        .iter()
        .filter(|(_, k)| k != "type_conflict")
        .map(|(l, _)| *l)
        .collect();
    let got_parse: BTreeSet<u32> = parse.iter().map(|(l, _)| *l).collect();
    let got_schema: BTreeSet<u32> = schema.iter().map(|(l, _)| *l).collect();
    assert_eq!(parse.len(), got_parse.len(), "one diagnostic per line");
    assert_eq!(got_parse, want_parse, "lines rejected by the parser");
    assert_eq!(got_schema, want_schema, "lines rejected by the validator");
    assert!(schema.iter().all(|(_, k)| *k == ErrorKind::TypeConflict));
    for (line, kind) in &injected {
        if kind == "invalid_utf8" {
            assert!(
                parse.contains(&(*line, ErrorKind::InvalidUtf8)),
                "line {line}"
            );
        }
    }
}

#[test]
fn mixed_bad_rejects_exactly_the_injected_lines() {
    assert_exactly_injected(MIXED_BAD, MIXED_BAD_LOG);
}

#[test]
fn cpu_bad_utf8_rejects_exactly_the_injected_lines() {
    assert_exactly_injected(CPU_UTF8, CPU_UTF8_LOG);
}
