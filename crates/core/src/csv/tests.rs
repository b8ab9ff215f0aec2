use super::*;
use crate::parse_lines;

const HOME: &str = "time,room,temp,hum,co\n\
1641024000,Living Room,21.1,35.9,0\n\
1641024000,Kitchen,21.0,35.9,0\n\
1641027600,Living Room,21.4,35.9,0\n\
1641027600,Kitchen,23.0,36.2,0\n";

/// Each column's name and role, as the page and `--column` spell them.
fn roles(m: &Mapping) -> Vec<(&str, String)> {
    m.columns
        .iter()
        .map(|c| (c.name.as_str(), c.role.spelling()))
        .collect()
}

fn home_mapping() -> Mapping {
    guess(HOME.as_bytes(), "home", None).unwrap()
}

#[test]
fn the_home_data_is_guessed_and_converted_exactly() {
    let m = home_mapping();
    assert_eq!(
        roles(&m),
        [
            ("time", "time:s".to_string()),
            ("room", "tag".to_string()),
            ("temp", "float".to_string()),
            ("hum", "float".to_string()),
            ("co", "integer".to_string()),
        ]
    );
    let (lp, errors) = convert(HOME.as_bytes(), &m).unwrap();
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        lp,
        "home,room=Living\\ Room temp=21.1,hum=35.9,co=0i 1641024000000000000\n\
         home,room=Kitchen temp=21,hum=35.9,co=0i 1641024000000000000\n\
         home,room=Living\\ Room temp=21.4,hum=35.9,co=0i 1641027600000000000\n\
         home,room=Kitchen temp=23,hum=36.2,co=0i 1641027600000000000\n"
    );
    assert!(parse_lines(lp.as_bytes()).all(|l| l.is_ok()));
    let seconds = Mapping {
        precision: Precision::Second,
        ..m
    };
    let (lp, _) = convert(HOME.as_bytes(), &seconds).unwrap();
    assert!(lp.starts_with("home,room=Living\\ Room temp=21.1,hum=35.9,co=0i 1641024000\n"));
}

#[test]
fn quoted_cells_are_escaped_and_lines_counted_across_them() {
    let csv = "when,host,msg,v\n\
        2022-01-01T08:00:00Z,\"web,1 =x\",\"said \"\"hi\"\"\nand left\",1.5\n\
        2022-01-01 08:00:01,db,ok,oops\n\
        2022-01-01T09:00:00+01:00,db,ok,2\n";
    let m = Mapping {
        columns: ["when", "host", "msg", "v"]
            .iter()
            .zip([
                Role::Time(TimeFormat::Rfc3339),
                Role::Tag,
                Role::Field(FieldType::String),
                Role::Field(FieldType::Float),
            ])
            .map(|(n, role)| ColumnMap {
                name: n.to_string(),
                role,
            })
            .collect(),
        measurement: "log".into(),
        precision: Precision::Second,
        delimiter: b',',
    };
    let (lp, errors) = convert(csv.as_bytes(), &m).unwrap();
    assert_eq!(
        lp,
        "log,host=web\\,1\\ \\=x msg=\"said \\\"hi\\\"\nand left\",v=1.5 1641024000\n\
         log,host=db msg=\"ok\",v=2 1641024000\n"
    );
    assert_eq!(
        errors.iter().map(ToString::to_string).collect::<Vec<_>>(),
        ["line 4, column 4 (v): expected a number, found \"oops\""]
    );
}

#[test]
fn slices_of_any_size_give_the_same_points() {
    let m = home_mapping();
    let (whole, _) = convert(HOME.as_bytes(), &m).unwrap();
    for size in [1, 2, 7, 64] {
        let mut c = Converter::new(m.clone()).unwrap();
        let mut out = String::new();
        for chunk in HOME.as_bytes().chunks(size) {
            assert!(c.push(chunk, &mut out).unwrap().is_empty());
        }
        assert!(c.finish(&mut out).unwrap().is_empty());
        assert_eq!(out, whole, "slices of {size}");
        assert_eq!(c.progress().points, 4);
        assert_eq!(c.progress().bytes, HOME.len());
    }
    let unterminated = HOME.trim_end();
    let (lp, _) = convert(unterminated.as_bytes(), &m).unwrap();
    assert_eq!(lp, whole);
}

#[test]
fn rows_that_do_not_fit_are_reported_and_skipped() {
    let csv = "time,room,temp,co\n1,a,1.5,2\n2,b,x,3\n3,c\n4,,,\n5,d,2.5,4.5\n";
    let m = Mapping {
        columns: [
            ("time", Role::Time(TimeFormat::Epoch(Precision::Second))),
            ("room", Role::Tag),
            ("temp", Role::Field(FieldType::Float)),
            ("co", Role::Field(FieldType::Integer)),
        ]
        .into_iter()
        .map(|(n, role)| ColumnMap {
            name: n.into(),
            role,
        })
        .collect(),
        measurement: "m".into(),
        precision: Precision::Second,
        delimiter: b',',
    };
    let (lp, errors) = convert(csv.as_bytes(), &m).unwrap();
    assert_eq!(lp, "m,room=a temp=1.5,co=2i 1\n");
    let messages: Vec<_> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        [
            "line 3, column 3 (temp): expected a number, found \"x\"",
            "line 4: the row has 2 cells but the header has 4",
            "line 5: a point needs at least one field",
            "line 6, column 4 (co): expected an integer (map the column as float to keep fractions), found \"4.5\"",
        ]
    );
    assert_eq!(errors[1].line(), Some(4));
}

#[test]
fn a_header_that_is_not_the_mappings_stops_at_once() {
    let m = home_mapping();
    let err = convert(b"time,room,temp\n1,a,2\n", &m).unwrap_err();
    assert!(matches!(err, ConvertError::Header { .. }), "{err}");
    assert_eq!(convert(b"", &m).unwrap_err(), ConvertError::NoHeader);
    let twice = Mapping {
        columns: alloc::vec![
            ColumnMap {
                name: "a".into(),
                role: Role::Time(TimeFormat::Auto)
            },
            ColumnMap {
                name: "b".into(),
                role: Role::Time(TimeFormat::Auto)
            },
        ],
        ..home_mapping()
    };
    assert_eq!(
        Converter::new(twice).err(),
        Some(ConvertError::TwoColumns { role: "time" })
    );
}

#[test]
fn guesses_delimiters_dates_measurements_and_text() {
    let csv = "\u{feff}measurement;Date;host;ok;note;n\n\
        cpu;2022-01-01T08:00:00Z;a;true;first run of the day;1\n\
        cpu;2022-01-01T08:00:10Z;a;false;second one;-2\n\
        mem;2022-01-01T08:00:20Z;b;true;a third note;3\n\
        mem;2022-01-01T08:00:30Z;b;true;and a fourth;4\n";
    let m = guess(csv.as_bytes(), "ignored", None).unwrap();
    assert_eq!(m.delimiter, b';');
    let forced = guess(csv.as_bytes(), "x", Some(b',')).unwrap();
    assert_eq!(forced.columns.len(), 1);
    assert_eq!(
        roles(&m),
        [
            ("measurement", "measurement".to_string()),
            ("Date", "time:rfc3339".to_string()),
            ("host", "tag".to_string()),
            ("ok", "boolean".to_string()),
            ("note", "string".to_string()),
            ("n", "integer".to_string()),
        ]
    );
    let (lp, errors) = convert(csv.as_bytes(), &m).unwrap();
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        lp.lines().next().unwrap(),
        "cpu,host=a ok=true,note=\"first run of the day\",n=1i 1641024000000000000"
    );
    assert!(lp.lines().nth(2).unwrap().starts_with("mem,host=b "));
}

#[test]
fn role_spellings_read_back() {
    for role in [
        Role::Measurement,
        Role::Tag,
        Role::Ignore,
        Role::Field(FieldType::UInteger),
        Role::Time(TimeFormat::Rfc3339),
        Role::Time(TimeFormat::Epoch(Precision::Millisecond)),
        Role::Time(TimeFormat::Epoch(Precision::Auto)),
    ] {
        assert_eq!(
            Role::parse(&role.spelling()),
            Some(role.clone()),
            "{role:?}"
        );
    }
    assert_eq!(Role::parse("field"), Some(Role::Field(FieldType::Float)));
    assert_eq!(Role::parse("time:fortnight"), None);
}
