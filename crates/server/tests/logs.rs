//! The server's log as a file or pipe receives it: plain text, no terminal colour codes.
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[test]
fn logs_written_to_a_file_carry_no_escape_codes() {
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("linewise.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_linewise"))
        .args([
            "serve",
            "--http-bind",
            "127.0.0.1:0",
            "--persist-interval",
            "1h",
        ])
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .arg("--ui-dir")
        .arg(dir.path().join("no-ui"))
        .env("RUST_LOG", "info")
        .env_remove("NO_COLOR")
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.starts_with("linewise listening on "), "{line:?}");
    child.kill().unwrap();
    child.wait().unwrap();
    let text = std::fs::read(&log_path).unwrap();
    let text = String::from_utf8_lossy(&text);
    assert!(
        text.contains("starting"),
        "the start-up line is logged: {text}"
    );
    assert!(!text.contains('\x1b'), "no escape codes: {text:?}");
}
