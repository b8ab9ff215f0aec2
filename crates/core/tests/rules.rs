//! One test per syntax rule, accepting and rejecting, through the public API.
use linewise_core::{
    parse_lines, Diagnostic, ErrorKind, FieldValue, Line, Lines, OwnedFieldValue, Point,
};

fn ok(input: &str) -> Point {
    let mut lines = parse_lines(input.as_bytes());
    let line = lines
        .next()
        .expect("a record")
        .unwrap_or_else(|d| panic!("{input:?}: {d}"));
    assert!(lines.next().is_none(), "{input:?}: one record expected");
    line.to_point()
}

fn err(input: &str) -> Diagnostic {
    let mut lines = parse_lines(input.as_bytes());
    match lines.next().expect("a record") {
        Ok(line) => panic!("{input:?} should fail, parsed {line:?}"),
        Err(d) => d,
    }
}

fn kind(input: &str) -> ErrorKind {
    err(input).kind
}

fn all(input: &[u8]) -> Vec<Result<Line<'_>, Diagnostic>> {
    parse_lines(input).collect()
}

use OwnedFieldValue as V;

#[test]
fn minimal_line() {
    let p = ok("cpu f=1");
    assert_eq!(p, Point::new("cpu").field("f", V::Float(1.0)));
}

#[test]
fn full_line_with_tags_fields_timestamp() {
    let p = ok("home,room=Living\\ Room temp=21.1,hum=35.9,co=0i 1641024000");
    assert_eq!(
        p,
        Point::new("home")
            .tag("room", "Living Room")
            .field("temp", V::Float(21.1))
            .field("hum", V::Float(35.9))
            .field("co", V::Integer(0))
            .timestamp(1641024000)
    );
}

#[test]
fn escapes_in_names() {
    let p = ok(r"net\ stats,fs\,type=a\=b\ c,tag\ key=x field\=key=1i,latency\ ms=2");
    assert_eq!(p.measurement, "net stats");
    assert_eq!(
        p.tags,
        [
            ("fs,type".into(), "a=b c".into()),
            ("tag key".into(), "x".into())
        ]
    );
    assert_eq!(p.fields[0].0, "field=key");
    assert_eq!(p.fields[1].0, "latency ms");
    // A backslash before any other character stays.
    let p = ok(r"c\w,t=\d f\x=1");
    assert_eq!(
        (
            p.measurement.as_str(),
            p.tags[0].1.as_str(),
            p.fields[0].0.as_str()
        ),
        (r"c\w", r"\d", r"f\x")
    );
    // `\\` is one backslash, and may end a name.
    assert_eq!(ok(r"c,t=a\\ f=1").tags[0].1, "a\\");
    // In a measurement `=` needs no escape, and `\=` stays as written (as InfluxDB 3).
    assert_eq!(ok(r"a\=b f=1").measurement, r"a\=b");
    // `=` is literal in measurements and tag values.
    let p = ok("a=b,t=x=y f=1");
    assert_eq!(
        (p.measurement.as_str(), p.tags[0].1.as_str()),
        ("a=b", "x=y")
    );
    // Non-ASCII names.
    assert_eq!(ok("température,emoji=🚀 valeur=22.35").tags[0].1, "🚀");
}

#[test]
fn tokens_borrow_unless_escaped() {
    let input = br#"m,t=plain,e=a\ b s="x\"y",p="q" 1"#;
    let line = parse_lines(input).next().unwrap().unwrap();
    assert!(!line.tags[0].1.escaped);
    assert!(matches!(
        line.tags[0].1.unescaped(),
        std::borrow::Cow::Borrowed("plain")
    ));
    assert!(line.tags[1].1.escaped);
    assert_eq!(line.tags[1].1.unescaped(), "a b");
    match line.fields[0].1 {
        FieldValue::String(t) => {
            assert_eq!(t.raw, r#"x\"y"#);
            assert_eq!(t.unescaped(), "x\"y");
        }
        ref v => panic!("{v:?}"),
    }
}

#[test]
fn string_values() {
    let p = ok(r#"m s="say \"hi\" C:\\dir\n tab",e="",b="ends\\""#);
    assert_eq!(p.fields[0].1, V::String(r#"say "hi" C:\dir\n tab"#.into()));
    assert_eq!(p.fields[1].1, V::String(String::new()));
    assert_eq!(p.fields[2].1, V::String("ends\\".into()));
    // Commas, spaces and equals signs are plain text inside quotes.
    assert_eq!(
        ok(r#"m s="a,b=c d" 5"#).fields[0].1,
        V::String("a,b=c d".into())
    );
    assert_eq!(kind(r#"m s="open 1"#), ErrorKind::UnterminatedString);
    assert_eq!(kind(r#"m s="say "hi" now""#), ErrorKind::ExpectedSeparator);
}

#[test]
fn string_value_may_span_lines() {
    let input = b"m s=\"two\nlines\",n=1i 5\nm n=2i 6\n";
    let lines = all(input);
    assert_eq!(lines.len(), 2);
    let first = lines[0].as_ref().unwrap();
    assert_eq!(first.line_number, 1);
    assert_eq!(first.to_point().fields[0].1, V::String("two\nlines".into()));
    assert_eq!(lines[1].as_ref().unwrap().line_number, 3);
}

#[test]
fn unterminated_string_does_not_swallow_next_lines() {
    let input = b"m s=\"open,n=1i 5\nm n=2i 6\nm t=\"x\" 7\nm n=3i 8\n";
    let lines = all(input);
    let summary: Vec<_> = lines
        .iter()
        .map(|l| {
            l.as_ref()
                .map(|l| l.line_number)
                .map_err(|d| (d.line, d.kind))
        })
        .collect();
    assert_eq!(
        summary,
        [Err((1, ErrorKind::UnterminatedString)), Ok(2), Ok(3), Ok(4)]
    );
    let d = lines[0].as_ref().unwrap_err();
    assert_eq!(d.column, 5);
    assert!(
        d.message
            .starts_with("expected '\"' to close the string value of field \"s\""),
        "{}",
        d.message
    );
}

#[test]
fn string_length_limit() {
    let long = format!("m s=\"{}\"\nm n=1i", "x".repeat(100));
    let mut lines = Lines::new(long.as_bytes()).with_max_string_len(99);
    let d = lines.next().unwrap().unwrap_err();
    assert_eq!(d.kind, ErrorKind::StringTooLong);
    assert!(d.message.contains("limit of 99 bytes"), "{}", d.message);
    assert!(lines.next().unwrap().is_ok());
    let ok_len = format!("m s=\"{}\"", "x".repeat(99));
    assert!(Lines::new(ok_len.as_bytes())
        .with_max_string_len(99)
        .next()
        .unwrap()
        .is_ok());
    let name = format!("{} f=1", "m".repeat(100));
    assert_eq!(
        Lines::new(name.as_bytes())
            .with_max_string_len(99)
            .next()
            .unwrap()
            .unwrap_err()
            .kind,
        ErrorKind::NameTooLong
    );
    assert_eq!(linewise_core::MAX_STRING_LEN, 1 << 20);
}

#[test]
fn floats() {
    for (text, v) in [
        ("1", 1.0),
        ("-0", -0.0),
        ("1.5", 1.5),
        ("1e3", 1e3),
        ("1.2340E01", 12.34),
        ("12340e-3", 12.34),
        ("-7.4e+11", -7.4e11),
    ] {
        assert_eq!(
            ok(&format!("m f={text}")).fields[0].1,
            V::Float(v),
            "{text}"
        );
    }
    for bad in ["1.2.3", "1e", "1e+", "--1.0", "1.", "1x", "1e400"] {
        assert_eq!(
            kind(&format!("m f={bad}")),
            ErrorKind::InvalidFloat,
            "{bad}"
        );
    }
    for bad in ["NaN", "inf", "e5", ".5", "+1", "abc"] {
        assert_eq!(
            kind(&format!("m f={bad}")),
            ErrorKind::InvalidFieldValue,
            "{bad}"
        );
    }
}

#[test]
fn integers_and_unsigned() {
    assert_eq!(
        ok("m i=-9223372036854775808i").fields[0].1,
        V::Integer(i64::MIN)
    );
    assert_eq!(
        ok("m i=9223372036854775807i").fields[0].1,
        V::Integer(i64::MAX)
    );
    assert_eq!(
        ok("m u=18446744073709551615u").fields[0].1,
        V::UInteger(u64::MAX)
    );
    assert_eq!(ok("m u=0u").fields[0].1, V::UInteger(0));
    assert_eq!(kind("m i=9223372036854775808i"), ErrorKind::IntegerOverflow);
    assert_eq!(
        kind("m i=-9223372036854775809i"),
        ErrorKind::IntegerOverflow
    );
    for bad in ["12.5i", "1e3i", "0x10i", "-i"] {
        assert_eq!(
            kind(&format!("m i={bad}")),
            ErrorKind::InvalidInteger,
            "{bad}"
        );
    }
    assert_eq!(
        kind("m u=18446744073709551616u"),
        ErrorKind::UnsignedOverflow
    );
    for bad in ["-1u", "1.5u"] {
        assert_eq!(
            kind(&format!("m u={bad}")),
            ErrorKind::InvalidUnsigned,
            "{bad}"
        );
    }
}

#[test]
fn booleans_in_every_spelling() {
    for t in ["t", "T", "true", "True", "TRUE"] {
        assert_eq!(ok(&format!("m b={t}")).fields[0].1, V::Boolean(true), "{t}");
    }
    for f in ["f", "F", "false", "False", "FALSE"] {
        assert_eq!(
            ok(&format!("m b={f}")).fields[0].1,
            V::Boolean(false),
            "{f}"
        );
    }
    for bad in ["tRUE", "truee", "fals", "yes", "Tr"] {
        let k = kind(&format!("m b={bad}"));
        assert!(
            matches!(k, ErrorKind::InvalidBoolean | ErrorKind::InvalidFieldValue),
            "{bad}: {k:?}"
        );
    }
    let d = err("m b=truee");
    assert!(d.message.contains("expected a boolean"), "{}", d.message);
}

#[test]
fn timestamps() {
    assert_eq!(ok("m f=1 -5").timestamp, Some(-5));
    assert_eq!(ok("m f=1 9223372036854775807").timestamp, Some(i64::MAX));
    assert_eq!(ok("m f=1").timestamp, None);
    assert_eq!(ok("m f=1   123   ").timestamp, Some(123));
    assert_eq!(ok("m f=1 ").timestamp, None);
    assert_eq!(
        kind("m f=1 9223372036854775808"),
        ErrorKind::TimestampOverflow
    );
    for bad in ["123.5", "123x", "abc", "0x10", "1_123"] {
        assert_eq!(
            kind(&format!("m f=1 {bad}")),
            ErrorKind::InvalidTimestamp,
            "{bad}"
        );
    }
    let d = err("m f=1 123 extra");
    assert_eq!(
        (d.kind, d.column, d.end_column),
        (ErrorKind::TrailingContent, 11, 16)
    );
    assert_eq!(
        d.message,
        "expected the end of the line after the timestamp, found \"extra\""
    );
}

#[test]
fn missing_parts() {
    assert_eq!(kind(",host=a v=1i"), ErrorKind::MissingMeasurement);
    assert_eq!(kind("cpu"), ErrorKind::MissingFieldSet);
    assert_eq!(kind("cpu,host=a"), ErrorKind::MissingFieldSet);
    assert_eq!(
        kind("cpu,host=a 1451606400000000000"),
        ErrorKind::MissingFieldSet
    );
    assert_eq!(kind("cpu "), ErrorKind::MissingFieldSet);
    assert_eq!(kind("cpu,=a v=1i"), ErrorKind::MissingTagKey);
    assert_eq!(kind("cpu,,host=a v=1i"), ErrorKind::MissingTagKey);
    assert_eq!(kind("cpu, v=1i"), ErrorKind::MissingTagKey);
    assert_eq!(kind("cpu,host= v=1i"), ErrorKind::MissingTagValue);
    assert_eq!(kind("cpu,host=,x=1 v=1i"), ErrorKind::MissingTagValue);
    assert_eq!(kind("cpu,hosta v=1i"), ErrorKind::MissingTagEquals);
    assert_eq!(kind("cpu v="), ErrorKind::MissingFieldValue);
    assert_eq!(kind("cpu v= 1"), ErrorKind::MissingFieldValue);
    assert_eq!(kind("cpu =1i"), ErrorKind::MissingFieldKey);
    assert_eq!(kind("cpu v=1i,,w=2i"), ErrorKind::MissingFieldKey);
    assert_eq!(kind("cpu v1i"), ErrorKind::MissingFieldEquals);
    assert_eq!(kind("cpu v=1i,w"), ErrorKind::MissingFieldEquals);
    assert_eq!(kind("cpu v=1i, 123"), ErrorKind::TrailingComma);
    assert_eq!(kind("cpu v=1i,"), ErrorKind::TrailingComma);
    assert_eq!(kind("cpu,host=a extra v=1i"), ErrorKind::MissingFieldEquals);
}

#[test]
fn messages_say_what_was_expected_and_where() {
    let d = err("home,room temp=1");
    assert_eq!(d.message, "expected '=' after tag key \"room\", found ' '");
    assert_eq!((d.line, d.column, d.end_column), (1, 10, 11));
    let d = err("home,room=Kitchen temp=");
    assert_eq!(
        d.message,
        "expected a value after \"temp=\", found end of line"
    );
    assert_eq!(d.column, 24);
    let d = err("home,room=Kitchen");
    assert_eq!(
        d.message,
        "expected a space and a field set (key=value) after the tag set, found end of line"
    );
    assert_eq!(
        d.to_string(),
        "1:18: expected a space and a field set (key=value) after the tag set, found end of line"
    );
}

#[test]
fn columns_count_characters_not_bytes() {
    let d = err("température,capteur=salle valeur=x");
    assert_eq!((d.column, d.end_column), (34, 35));
    assert_eq!(d.start, 34);
}

#[test]
fn backslash_at_line_end() {
    assert_eq!(kind("m f=1 123\\"), ErrorKind::InvalidTimestamp);
    assert_eq!(kind("m,t=a\\"), ErrorKind::TrailingBackslash);
    assert_eq!(kind("m\\\nn f=1"), ErrorKind::TrailingBackslash);
    // A backslash-space escape can eat the separator.
    assert_eq!(kind("cpu,host=a\\ v=1i 123"), ErrorKind::MissingFieldSet);
}

#[test]
fn tabs_are_not_separators() {
    assert_eq!(kind("cpu\tf=1"), ErrorKind::UnexpectedTab);
    assert_eq!(kind("cpu f\t=1"), ErrorKind::UnexpectedTab);
    // Leading whitespace is skipped, as InfluxDB does.
    assert_eq!(ok("\t  cpu f=1").measurement, "cpu");
}

#[test]
fn comments_blank_lines_and_physical_line_numbers() {
    let input = b"# header\n\n   \ncpu f=1 1\n  # indented comment\ncpu f= 2\ncpu f=3 3";
    let lines = all(input);
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0].as_ref().unwrap().line_number, 4);
    let d = lines[1].as_ref().unwrap_err();
    assert_eq!(
        (d.line, d.record_line, d.column, d.kind),
        (6, 6, 7, ErrorKind::MissingFieldValue)
    );
    assert_eq!(&input[d.record.clone()], b"cpu f= 2");
    assert_eq!(lines[2].as_ref().unwrap().line_number, 7);
    assert_eq!(lines[2].as_ref().unwrap().raw, "cpu f=3 3");
    // An inline `#` is not a comment.
    assert_eq!(kind("cpu f=1 # c"), ErrorKind::InvalidTimestamp);
}

#[test]
fn crlf_line_endings() {
    let input = b"# c\r\n\r\ncpu,t=a f=1 1\r\ncpu f=\"x\"\r\ncpu f=2i\r\n";
    let lines = all(input);
    let points: Vec<_> = lines.iter().map(|l| l.as_ref().unwrap()).collect();
    assert_eq!(
        points.iter().map(|l| l.line_number).collect::<Vec<_>>(),
        [3, 4, 5]
    );
    assert_eq!(points[0].raw, "cpu,t=a f=1 1");
    assert_eq!(points[1].to_point().fields[0].1, V::String("x".into()));
    assert_eq!(points[2].to_point().fields[0].1, V::Integer(2));
    // A lone \r inside a name is an ordinary character.
    assert_eq!(ok("c\ru f=1").measurement, "c\ru");
}

#[test]
fn every_invalid_line_is_reported() {
    let input = b"cpu f=1 1\ncpu f= 2\ncpu 3\n,x=1 f=1\ncpu f=4 4\ncpu f=tru 5\n";
    let results = all(input);
    let bad: Vec<_> = results
        .iter()
        .filter_map(|r| r.as_ref().err())
        .map(|d| d.line)
        .collect();
    assert_eq!(bad, [2, 3, 4, 6]);
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 2);
}

#[test]
fn invalid_utf8_is_a_per_line_diagnostic() {
    let input =
        b"cpu f=1 1\ncpu,h=\xffx f=2 2\ncpu s=\"a\xc3\" 3\ncpu f=4 4\n\xe2\x82 f=5\ncpu f=6 6";
    let results = all(input);
    let summary: Vec<_> = results
        .iter()
        .map(|r| match r {
            Ok(l) => (l.line_number, None),
            Err(d) => (d.line, Some((d.kind, d.column))),
        })
        .collect();
    assert_eq!(
        summary,
        [
            (1, None),
            (2, Some((ErrorKind::InvalidUtf8, 7))),
            (3, Some((ErrorKind::InvalidUtf8, 9))),
            (4, None),
            (5, Some((ErrorKind::InvalidUtf8, 1))),
            (6, None)
        ]
    );
    let d = results[1].as_ref().unwrap_err();
    assert!(d.message.contains("0xff"), "{}", d.message);
}

#[test]
fn next_into_reuses_the_line() {
    let input = b"a,t=1 f=1i,g=2i 1\nb x=\"s\"\n";
    let mut lines = parse_lines(input);
    let mut line = Line::new();
    assert!(lines.next_into(&mut line).unwrap().is_ok());
    assert_eq!(
        (line.tags.len(), line.fields.len(), line.timestamp),
        (1, 2, Some(1))
    );
    assert!(lines.next_into(&mut line).unwrap().is_ok());
    assert_eq!(
        (
            line.measurement.raw,
            line.tags.len(),
            line.fields.len(),
            line.timestamp
        ),
        ("b", 0, 1, None)
    );
    assert!(lines.next_into(&mut line).is_none());
}

#[test]
fn empty_and_comment_only_inputs_yield_nothing() {
    for input in ["", "\n\n", "# only\n# comments", "   \r\n\t\n"] {
        assert!(parse_lines(input.as_bytes()).next().is_none(), "{input:?}");
    }
}

#[test]
fn unescape_into_appends_to_a_reused_buffer() {
    let input = br#"m\ x,t=a\,b\=c\ d\\e\q f="q\"\\\n" 1"#;
    let line = parse_lines(input).next().unwrap().unwrap();
    let mut buf = String::from(">");
    line.measurement.unescape_into(&mut buf);
    line.tags[0].1.unescape_into(&mut buf);
    if let FieldValue::String(s) = line.fields[0].1 {
        s.unescape_into(&mut buf);
    }
    assert_eq!(buf, r#">m xa,b=c d\e\qq"\\n"#);
}

#[test]
fn nul_in_a_measurement_is_rejected_with_its_position() {
    let d = err("\0cpu f=1");
    assert_eq!(
        (d.kind, d.line, d.column, d.end_column),
        (ErrorKind::MissingMeasurement, 1, 1, 2)
    );
    assert!(d.message.contains("NUL"), "{}", d.message);
    let input = "ok f=1\ncp\0u,t=a f=1 1\n";
    let results = all(input.as_bytes());
    let d = results[1].as_ref().unwrap_err();
    assert_eq!(
        (d.kind, d.line, d.column),
        (ErrorKind::MissingMeasurement, 2, 3)
    );
    assert!(
        d.message
            .starts_with("measurement name \"cp\" is followed by a NUL byte"),
        "{}",
        d.message
    );
    // After an escape, where the scan takes its slow path from the start.
    assert_eq!(kind("a\\ b\0 f=1"), ErrorKind::MissingMeasurement);
}

#[test]
fn nul_elsewhere_is_accepted_as_influxdb_3_does() {
    let p = ok("m,t\0k=v\0 f\0=\"s\0\" 1");
    assert_eq!(p.tags, [("t\0k".to_string(), "v\0".to_string())]);
    assert_eq!(p.fields, [("f\0".to_string(), V::String("s\0".into()))]);
}
