//! UTF-8 checking while parsing: the parser checks the input as it scans it, record by record,
//! instead of in a pass of its own. Whatever the mix of ASCII, multi-byte characters and invalid
//! bytes, a record with an invalid byte is rejected at that byte, and every other record parses
//! exactly as it does alone.
use std::collections::BTreeMap;

use linewise_core::{parse_lines, ErrorKind};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

/// A name of 0 to 100 characters from a vocabulary with multi-byte characters and long ASCII runs,
/// so that tokens start, end and cross 64-byte windows at every position.
fn text(max: usize) -> impl Strategy<Value = String> {
    let piece = prop::sample::select(
        &[
            "a",
            "host_1",
            "usage_guest_nice",
            "é",
            "°C",
            "🌡",
            "日本",
            "x",
        ][..],
    );
    prop::collection::vec(piece, 1..max).prop_map(|p| p.concat())
}

/// A record with tags, an integer, a float and a string field (which may hold spaces and commas).
fn record() -> impl Strategy<Value = String> {
    (
        text(4),
        prop::collection::vec((text(3), text(8)), 0..4),
        text(3),
        text(12),
        any::<i32>(),
    )
        .prop_map(|(m, tags, key, string, n)| {
            let tags: String = tags.iter().map(|(k, v)| format!(",{k}={v}")).collect();
            format!("{m}{tags} {key}={n}i,f=1.5,s=\"{string}, {string}\" 1700000000")
        })
}

/// A document: records with comment and blank lines between them.
fn document() -> impl Strategy<Value = Vec<String>> {
    let line = prop_oneof![
        8 => record(),
        1 => Just(String::from("# a comment with ° in it")),
        1 => Just(String::new()),
    ];
    prop::collection::vec(line, 1..40)
}

/// An invalid byte put in a record: which line, where in it (a character boundary), which byte.
type Corruption = (prop::sample::Index, prop::sample::Index, u8);

fn corruption() -> impl Strategy<Value = Corruption> {
    (
        any::<prop::sample::Index>(),
        any::<prop::sample::Index>(),
        prop::sample::select(&[0xffu8, 0x80, 0xc3, 0xe2][..]),
    )
}

/// Puts the invalid bytes into the records and checks every answer of the parse.
fn check(lines: &[String], bad: Vec<Corruption>) -> Result<(), TestCaseError> {
    let mut bytes: Vec<Vec<u8>> = lines.iter().map(|l| l.clone().into_bytes()).collect();
    // Line index -> character column of the invalid byte put in it.
    let mut corrupt = BTreeMap::new();
    for (which, at, byte) in bad {
        let n = which.index(lines.len());
        let text = &lines[n];
        let is_record = text.starts_with(|c: char| c.is_alphanumeric() || !c.is_ascii());
        if !is_record || corrupt.contains_key(&n) {
            continue;
        }
        // At a character boundary, followed by 'x' so that a lead byte is not completed by the
        // byte after it.
        let boundaries: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
        let cut = boundaries[at.index(boundaries.len())];
        let mut line = text.as_bytes()[..cut].to_vec();
        line.push(byte);
        line.push(b'x');
        line.extend_from_slice(&text.as_bytes()[cut..]);
        bytes[n] = line;
        corrupt.insert(n, text[..cut].chars().count() as u32 + 1);
    }
    let input = bytes.join(&b'\n');
    let mut records = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'));
    for result in parse_lines(&input) {
        let (n, original) = records.next().expect("no more records than lines");
        let number = n as u32 + 1;
        match (result, corrupt.get(&n)) {
            (Err(d), Some(&column)) => {
                let expected = (ErrorKind::InvalidUtf8, number, column);
                prop_assert_eq!((d.kind, d.line, d.column), expected, "{}", d);
            }
            (Ok(line), None) => {
                let alone = parse_lines(original.as_bytes()).next().unwrap().unwrap();
                prop_assert_eq!(line.line_number, number);
                prop_assert_eq!(line.to_point(), alone.to_point());
            }
            (result, expected) => {
                let message = format!("line {number}: {result:?}, invalid UTF-8 at {expected:?}");
                prop_assert!(false, "{}", message);
            }
        }
    }
    prop_assert!(records.next().is_none(), "a record was not reported");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]
    #[test]
    fn an_invalid_byte_rejects_its_record_only(
        lines in document(),
        bad in prop::collection::vec(corruption(), 0..6),
    ) {
        check(&lines, bad)?;
    }
}
