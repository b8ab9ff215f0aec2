//! The writer and the parser agree: `parse(write(p)) == p` for every point line protocol can
//! express.
use linewise_core::{parse_lines, OwnedFieldValue, Point};
use proptest::prelude::*;

/// Names rich in the characters that need escapes, plus any printable text.
fn name() -> impl Strategy<Value = String> {
    prop_oneof!["[a-z ,=\\\\\"#\r🚀é_-]{1,10}", "\\PC{1,8}"]
}

fn value() -> impl Strategy<Value = OwnedFieldValue> {
    prop_oneof![
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(OwnedFieldValue::Float),
        any::<i64>().prop_map(OwnedFieldValue::Integer),
        any::<u64>().prop_map(OwnedFieldValue::UInteger),
        any::<bool>().prop_map(OwnedFieldValue::Boolean),
        prop_oneof!["[a-z \\\\\",=\n\r\t]{0,12}", "\\PC{0,8}", any::<String>()]
            .prop_map(OwnedFieldValue::String),
    ]
}

fn point() -> impl Strategy<Value = Point> {
    (
        name().prop_filter("not a comment", |m| !m.starts_with('#')),
        prop::collection::vec((name(), name()), 0..4),
        prop::collection::vec((name(), value()), 1..5),
        prop::option::of(any::<i64>()),
    )
        .prop_map(|(measurement, tags, fields, timestamp)| Point {
            measurement,
            tags,
            fields,
            timestamp,
        })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 1_500,
        failure_persistence: None,
        rng_seed: proptest::test_runner::RngSeed::Fixed(7),
        ..ProptestConfig::default()
    })]

    #[test]
    fn parse_of_write_is_identity(p in point()) {
        let text = p.to_line_protocol().unwrap();
        let mut lines = parse_lines(text.as_bytes());
        let line = lines.next().unwrap().map_err(|d| TestCaseError::fail(format!("{text:?}: {d}")))?;
        prop_assert_eq!(line.to_point(), p, "{:?}", text);
        prop_assert!(lines.next().is_none());
    }

    #[test]
    fn many_points_round_trip_as_one_input(points in prop::collection::vec(point(), 1..8)) {
        let mut text = String::new();
        for p in &points {
            text += &p.to_line_protocol().unwrap();
            text += if p.fields.len() % 2 == 0 { "\n" } else { "\r\n" };
        }
        let back: Vec<Point> = parse_lines(text.as_bytes()).map(|l| l.unwrap().to_point()).collect();
        prop_assert_eq!(back, points);
    }
}
