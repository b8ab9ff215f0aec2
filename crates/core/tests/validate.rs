//! BatchValidator: schema rules across the lines of one batch and against stored schema.
use linewise_core::{
    parse_lines, BatchValidator, ColumnKind, Diagnostic, ErrorKind, FieldType, KnownSchema,
    Precision,
};

/// Runs every line through parser and validator; per line: Ok(ns) or the diagnostic.
fn run(
    input: &str,
    precision: Precision,
    schema: Option<&dyn KnownSchema>,
) -> Vec<Result<i64, Diagnostic>> {
    let mut v = BatchValidator::new(precision, schema);
    parse_lines(input.as_bytes())
        .map(|l| l.and_then(|l| v.check(&l, 1_700_000_000_123_456_789)))
        .collect()
}

fn errors(input: &str) -> Vec<(u32, ErrorKind)> {
    run(input, Precision::Auto, None)
        .into_iter()
        .filter_map(|r| r.err())
        .map(|d| (d.line, d.kind))
        .collect()
}

#[test]
fn seed_type_conflict_names_both_types_and_the_earlier_line() {
    let r = run(
        "home,room=Sunroom temp=96\nhome,room=Sunroom temp=\"hi\"",
        Precision::Auto,
        None,
    );
    assert!(r[0].is_ok());
    let d = r[1].as_ref().unwrap_err();
    assert_eq!(
        (d.line, d.column, d.end_column, d.kind),
        (2, 19, 23, ErrorKind::TypeConflict)
    );
    assert_eq!(
        d.message,
        "invalid column type for column 'temp', expected iox::column_type::field::float, got \
         iox::column_type::field::string (first seen as float field on line 1)"
    );
}

#[test]
fn integer_and_float_are_different_types() {
    assert_eq!(
        errors("m v=1\nm v=1i\nm v=2\n"),
        [(2, ErrorKind::TypeConflict)]
    );
    // Other measurements have their own columns.
    assert_eq!(errors("m v=1\nn v=1i\n"), []);
    // A rejected line does not fix a type: line 3 is checked against line 1 only.
    assert_eq!(
        errors("m v=1\nm v=\"s\",w=1i\nm w=1\n"),
        [(2, ErrorKind::TypeConflict)]
    );
}

#[test]
fn tag_and_field_share_one_namespace() {
    assert_eq!(
        errors("m,t=a f=1\nm t=1\n"),
        [(2, ErrorKind::ColumnKindConflict)]
    );
    assert_eq!(
        errors("m f=1\nm,f=a g=1\n"),
        [(2, ErrorKind::ColumnKindConflict)]
    );
    let r = run("cpu,t=a f=1,t=2", Precision::Auto, None);
    let d = r[0].as_ref().unwrap_err();
    assert_eq!(d.kind, ErrorKind::ColumnKindConflict);
    assert!(d.message.starts_with("invalid column type for column 't', expected iox::column_type::tag, got iox::column_type::field::float"), "{}", d.message);
}

#[test]
fn duplicate_keys() {
    let r = run("m,t=a,t=b f=1", Precision::Auto, None);
    let d = r[0].as_ref().unwrap_err();
    assert_eq!((d.kind, d.column), (ErrorKind::DuplicateTag, 7));
    assert!(d.message.contains("first at column 3"), "{}", d.message);
    let r = run("m f=1,g=2,f=3", Precision::Auto, None);
    let d = r[0].as_ref().unwrap_err();
    assert_eq!((d.kind, d.column), (ErrorKind::DuplicateField, 11));
    assert!(
        d.message.contains("multiple instances of 'f' field found"),
        "{}",
        d.message
    );
    // Escaped and plain spellings of the same name are the same key.
    assert_eq!(
        errors("m a\\ b=1,a\\ b=2i"),
        [(1, ErrorKind::DuplicateField)]
    );
}

#[test]
fn time_is_reserved() {
    assert_eq!(errors("m time=1"), [(1, ErrorKind::ReservedColumn)]);
    assert_eq!(errors("m,time=a f=1"), [(1, ErrorKind::ReservedColumn)]);
    assert_eq!(errors("time f=1"), []);
}

#[test]
fn timestamps_convert_with_precision() {
    let ns = 1_641_024_000_000_000_000;
    assert_eq!(run("m f=1 1641024000", Precision::Second, None)[0], Ok(ns));
    assert_eq!(run("m f=1 1641024000", Precision::Auto, None)[0], Ok(ns));
    assert_eq!(
        run("m f=1 1641024000000", Precision::Millisecond, None)[0],
        Ok(ns)
    );
    assert_eq!(
        run("m f=1 1641024000000000", Precision::Microsecond, None)[0],
        Ok(ns)
    );
    assert_eq!(
        run("m f=1 1641024000000000000", Precision::Nanosecond, None)[0],
        Ok(ns)
    );
    // No timestamp: the caller's default time.
    assert_eq!(
        run("m f=1", Precision::Second, None)[0],
        Ok(1_700_000_000_123_456_789)
    );
    let r = run("m f=1 10000000000", Precision::Second, None);
    let d = r[0].as_ref().unwrap_err();
    assert_eq!(
        (d.kind, d.column, d.end_column),
        (ErrorKind::TimestampOutOfRange, 7, 18)
    );
    assert!(
        d.message
            .starts_with("timestamp, 10000000000, out of range for precision: Second"),
        "{}",
        d.message
    );
}

struct Catalog;
impl KnownSchema for Catalog {
    fn column(&self, measurement: &str, column: &str) -> Option<ColumnKind> {
        match (measurement, column) {
            ("home", "temp") => Some(ColumnKind::Field(FieldType::Float)),
            ("home", "room") => Some(ColumnKind::Tag),
            ("home", "time") => Some(ColumnKind::Time),
            _ => None,
        }
    }
}

#[test]
fn known_schema_adds_stored_types() {
    let r = run(
        "home temp=\"hi\"\nhome temp=1\nhome room=1i\n",
        Precision::Auto,
        Some(&Catalog),
    );
    let d = r[0].as_ref().unwrap_err();
    assert_eq!(d.kind, ErrorKind::TypeConflict);
    assert_eq!(
        d.message,
        "invalid column type for column 'temp', expected iox::column_type::field::float, got \
         iox::column_type::field::string (stored as float field)"
    );
    assert!(r[1].is_ok());
    assert_eq!(
        r[2].as_ref().unwrap_err().kind,
        ErrorKind::ColumnKindConflict
    );
}
