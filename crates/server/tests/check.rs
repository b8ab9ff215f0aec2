//! `linewise check` run as a process: exit codes, compiler-style text and the jsonl shapes.
use std::io::Write;
use std::process::{Command, Output, Stdio};

fn data(name: &str) -> String {
    format!("{}/../core/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn linewise(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_linewise"))
        .arg("check")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    pipe.write_all(stdin.unwrap_or_default()).unwrap();
    drop(pipe);
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> &str {
    std::str::from_utf8(&o.stdout).unwrap()
}

const SEED: &[u8] = b"home,room=Sunroom temp=96\nhome,room=Sunroom temp=\"hi\"\n";

#[test]
fn valid_file_exits_0_silently() {
    let o = linewise(&["--precision", "s", &data("home-48.lp")], None);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(stdout(&o), "");
}

#[test]
fn text_errors_are_compiler_style_and_exit_1() {
    let o = linewise(&["-"], Some(SEED));
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stdout(&o),
        "<stdin>:2:19: invalid column type for column 'temp', expected iox::column_type::field::float, \
         got iox::column_type::field::string (first seen as float field on line 1)\n"
    );
    let input = b"# c\ncpu f=1 1\ncpu,host f=2\n\ncpu f=tru 3\n";
    let o = linewise(&[], Some(input));
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stdout(&o),
        "<stdin>:3:9: expected '=' after tag key \"host\", found ' '\n\
         <stdin>:5:7: expected a boolean (t, T, true, True, TRUE, f, F, false, False or FALSE) as the \
         value of field \"f\", found \"tru\"\n"
    );
    let file = data("mixed-bad-5k.lp");
    let o = linewise(&[&file], None);
    assert_eq!(o.status.code(), Some(1));
    let first = stdout(&o).lines().next().unwrap();
    assert_eq!(first, format!("{file}:32:93: expected a field set (key=value) before the timestamp, found only \"1700000034464046797\""));
}

#[test]
fn jsonl_has_one_object_per_data_line() {
    let input = "# comment\nhome,room=Living\\ Room temp=21.1,co=0i,ok=t,n=\"a \\\"b\\\"\",u=7u 1641024000\n\nhome temp=\n";
    let o = linewise(
        &["--format", "jsonl", "--precision", "s"],
        Some(input.as_bytes()),
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stdout(&o),
        concat!(
            r#"{"line":2,"point":{"measurement":"home","tags":{"room":"Living Room"},"fields":{"#,
            r#""temp":{"type":"float","value":21.1},"co":{"type":"integer","value":0},"#,
            r#""ok":{"type":"boolean","value":true},"n":{"type":"string","value":"a \"b\""},"#,
            r#""u":{"type":"uinteger","value":7}},"timestamp":1641024000000000000}}"#,
            "\n",
            r#"{"line":4,"error":{"column":11,"end_column":12,"kind":"missing_field_value","#,
            r#""message":"expected a value after \"temp=\", found end of line"}}"#,
            "\n"
        )
    );
    let o = linewise(&["--format", "jsonl"], Some(b"m f=1\n"));
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        stdout(&o),
        "{\"line\":1,\"point\":{\"measurement\":\"m\",\"tags\":{},\"fields\":{\"f\":{\"type\":\"float\",\"value\":1.0}},\"timestamp\":null}}\n"
    );
}

#[test]
fn jsonl_reports_exactly_the_injected_lines() {
    let o = linewise(&["--format", "jsonl", &data("mixed-bad-5k.lp")], None);
    assert_eq!(o.status.code(), Some(1));
    let mut errors = Vec::new();
    let mut points = 0;
    for line in stdout(&o).lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        if let Some(e) = v.get("error") {
            assert!(e["column"].as_u64().unwrap() >= 1);
            assert!(e["end_column"].as_u64().unwrap() > e["column"].as_u64().unwrap());
            assert!(!e["message"].as_str().unwrap().is_empty());
            errors.push(v["line"].as_u64().unwrap());
        } else {
            assert!(v["point"]["measurement"].is_string());
            points += 1;
        }
    }
    let log = std::fs::read_to_string(data("mixed-bad-5k.bad.jsonl")).unwrap();
    let injected: Vec<u64> = log
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["line"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(errors, injected);
    assert_eq!(points + errors.len(), 5000);
}

#[test]
fn precision_applies_to_timestamps() {
    let o = linewise(
        &["--format", "jsonl", "--precision", "ms"],
        Some(b"m f=1 1641024000000\n"),
    );
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(v["point"]["timestamp"], 1_641_024_000_000_000_000i64);
    let o = linewise(&["--precision", "s"], Some(b"m f=1 10000000000\n"));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o)
            .starts_with("<stdin>:1:7: timestamp, 10000000000, out of range for precision: Second"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn usage_and_io_errors_exit_2() {
    let o = linewise(&["/nonexistent/file.lp"], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot read /nonexistent/file.lp"));
    assert_eq!(linewise(&["--precision", "h"], None).status.code(), Some(2));
    assert_eq!(linewise(&["--format", "xml"], None).status.code(), Some(2));
}

#[test]
fn records_spanning_lines_keep_physical_line_numbers() {
    let input = b"m s=\"two\nlines\" 1\nm s=\"open 2\nm f= 3\n";
    let o = linewise(&["--format", "jsonl"], Some(input));
    assert_eq!(o.status.code(), Some(1));
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["line"], 1);
    assert_eq!(lines[0]["point"]["fields"]["s"]["value"], "two\nlines");
    assert_eq!(lines[1]["line"], 3);
    assert_eq!(lines[1]["error"]["kind"], "unterminated_string");
    assert_eq!(lines[1]["error"]["column"], 5);
    assert_eq!(lines[2]["line"], 4);
    assert_eq!(lines[2]["error"]["kind"], "missing_field_value");
}
