//! Query what was written: the seed's home data written through each write API of a real `linewise serve`
//! on loopback, read back over `/api/v3/query_sql` (buffer, Parquet, both, after a restart) and through
//! `linewise query`.
mod common;

use common::Server;
use serde_json::{json, Value};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const HOME_LP: &str = include_str!("data/home.lp");
/// The seed document's "View the written data" table (Markdown).
const HOME_EXPECTED: &str = include_str!("data/home.expected.md");
const SELECT_HOME: &str = "SELECT * FROM home ORDER BY room, time";

/// One row of the seed table: time (RFC 3339, UTC), room, co, hum, temp.
#[derive(Debug, PartialEq)]
struct HomeRow {
    time: String,
    room: String,
    co: i64,
    hum: f64,
    temp: f64,
}

fn expected_rows() -> Vec<HomeRow> {
    HOME_EXPECTED
        .lines()
        .skip(2)
        .map(|line| {
            let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
            HomeRow {
                time: cells[0].to_owned(),
                room: cells[1].to_owned(),
                co: cells[2].parse().unwrap(),
                hum: cells[3].parse().unwrap(),
                temp: cells[4].parse().unwrap(),
            }
        })
        .collect()
}

/// Rows of a `format=json` answer; times come without a zone suffix, as InfluxDB 3 sends them (UTC).
fn json_rows(body: &Value) -> Vec<HomeRow> {
    body.as_array()
        .unwrap_or_else(|| panic!("an array of row objects: {body}"))
        .iter()
        .map(|row| HomeRow {
            time: format!("{}Z", row["time"].as_str().unwrap()),
            room: row["room"].as_str().unwrap().to_owned(),
            co: row["co"].as_i64().unwrap(),
            hum: row["hum"].as_f64().unwrap(),
            temp: row["temp"].as_f64().unwrap(),
        })
        .collect()
}

fn query_json(server: &Server, db: &str, sql: &str) -> Value {
    let reply = server.query(db, sql, "json");
    assert_eq!(reply.status, 200, "{sql}: {}", reply.body);
    reply.json()
}

fn write_v3(server: &Server, db: &str, lp: &str) {
    let reply = server.post(&format!("/api/v3/write_lp?db={db}&precision=second"), lp);
    assert_eq!(reply.status, 204, "{}", reply.body);
}

fn get_query(server: &Server, params: &str, headers: &[(&str, &str)]) -> common::Reply {
    server.request("GET", &format!("/api/v3/query_sql?{params}"), headers, b"")
}

#[test]
fn seed_table_reads_back_after_each_write_api() {
    let server = Server::start(&[]);
    let expected = expected_rows();
    assert_eq!(expected.len(), 26);
    for (db, path) in [
        ("home_v3", "/api/v3/write_lp?db=home_v3&precision=second"),
        (
            "home_v2",
            "/api/v2/write?bucket=home_v2&org=docs&precision=s",
        ),
        ("home_v1", "/write?db=home_v1&precision=s"),
    ] {
        let reply = server.post(path, HOME_LP);
        assert_eq!(reply.status, 204, "{path}: {}", reply.body);
        let body = query_json(&server, db, SELECT_HOME);
        assert_eq!(json_rows(&body), expected, "written through {path}");
    }
}

#[test]
fn get_and_post_agree_and_formats_are_served() {
    let server = Server::start(&[]);
    write_v3(&server, "home", HOME_LP);
    let sql = "SELECT room, co FROM home WHERE co > 20 ORDER BY co";

    let post = server.query("home", sql, "json");
    assert_eq!(post.header("content-type"), Some("application/json"));
    assert_eq!(
        post.json(),
        json!([{"room":"Kitchen","co":22},{"room":"Kitchen","co":26}])
    );

    let encoded =
        "db=home&q=SELECT%20room%2C%20co%20FROM%20home%20WHERE%20co%20%3E%2020%20ORDER%20BY%20co";
    let get = get_query(&server, &format!("{encoded}&format=csv"), &[]);
    assert_eq!(get.status, 200, "{}", get.body);
    assert_eq!(get.header("content-type"), Some("text/csv"));
    assert_eq!(get.body, "room,co\nKitchen,22\nKitchen,26\n");

    let jsonl = server.query("home", sql, "jsonl");
    assert_eq!(
        jsonl.body,
        "{\"room\":\"Kitchen\",\"co\":22}\n{\"room\":\"Kitchen\",\"co\":26}\n"
    );

    let pretty = server.query("home", sql, "pretty");
    assert!(pretty.body.contains("| Kitchen | 22 |"), "{}", pretty.body);

    let parquet = server.query("home", sql, "parquet");
    assert_eq!(parquet.status, 200);
    assert_eq!(
        parquet.header("content-type"),
        Some("application/vnd.apache.parquet")
    );

    // Without `format`, the Accept header decides; `params` bind placeholders.
    let accept_csv = get_query(&server, encoded, &[("Accept", "text/csv")]);
    assert_eq!(accept_csv.body, "room,co\nKitchen,22\nKitchen,26\n");
    let with_params = json!({"db": "home", "q": "SELECT count(*) AS n FROM home WHERE room = $room", "params": {"room": "Kitchen"}});
    let reply = server.request(
        "POST",
        "/api/v3/query_sql",
        &[],
        with_params.to_string().as_bytes(),
    );
    assert_eq!(reply.json(), json!([{"n": 13}]));

    // Tables as InfluxDB 3 names them, and information_schema.
    assert_eq!(
        query_json(&server, "home", "SELECT count(*) AS n FROM iox.home"),
        json!([{"n": 26}])
    );
    let tables = query_json(
        &server,
        "home",
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'iox'",
    );
    assert_eq!(tables, json!([{"table_name": "home"}]));
    // Column types as InfluxDB 3 shows them: a tag is a dictionary, which tells it from a string field.
    let columns = query_json(
        &server,
        "home",
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'home'",
    );
    assert_eq!(
        columns,
        json!([
            {"column_name": "co", "data_type": "Int64"},
            {"column_name": "hum", "data_type": "Float64"},
            {"column_name": "room", "data_type": "Dictionary(Int32, Utf8)"},
            {"column_name": "temp", "data_type": "Float64"},
            {"column_name": "time", "data_type": "Timestamp(ns)"},
        ])
    );
}

#[test]
fn bad_requests_are_4xx_with_a_message() {
    let server = Server::start(&[]);
    write_v3(&server, "home", HOME_LP);

    let unknown_db = server.query("nope", "SELECT 1", "json");
    assert_eq!(unknown_db.status, 404);
    assert_eq!(
        unknown_db.json()["error"],
        "query error: database not found: nope"
    );

    let unknown_table = server.query("home", "SELECT * FROM cpu", "json");
    assert_eq!(unknown_table.status, 400);
    assert!(unknown_table.body.contains("cpu"), "{}", unknown_table.body);

    let unknown_column = server.query("home", "SELECT pressure FROM home", "json");
    assert_eq!(unknown_column.status, 400);
    assert!(
        unknown_column.body.contains("pressure"),
        "{}",
        unknown_column.body
    );

    let bad_sql = server.query("home", "SELEC * FROM home", "json");
    assert_eq!(bad_sql.status, 400);
    assert!(bad_sql.body.contains("SELEC"), "{}", bad_sql.body);

    let bad_format = server.query("home", "SELECT 1", "xml");
    assert_eq!(bad_format.status, 400);
    assert!(
        bad_format.body.contains("invalid format 'xml'"),
        "{}",
        bad_format.body
    );

    let ddl = server.query(
        "home",
        "CREATE EXTERNAL TABLE t STORED AS CSV LOCATION '/etc/hosts'",
        "json",
    );
    assert_eq!(ddl.status, 400, "{}", ddl.body);

    let no_params = server.get("/api/v3/query_sql");
    assert_eq!(no_params.status, 400);
    assert_eq!(no_params.body, "missing query parameters 'db' and 'q'");

    let missing_q = server.post("/api/v3/query_sql", r#"{"db":"home"}"#);
    assert_eq!(missing_q.status, 400);
    assert!(
        missing_q.body.contains("missing field `q`"),
        "{}",
        missing_q.body
    );
}

#[test]
fn query_needs_the_token_when_one_is_set() {
    let server = Server::start(&["--admin-token", "secret"]);
    let body = json!({"db": "home", "q": "SELECT 1"}).to_string();
    let anonymous = server.request("POST", "/api/v3/query_sql", &[], body.as_bytes());
    assert_eq!(anonymous.status, 401, "{}", anonymous.body);
    let reply = server.request(
        "POST",
        "/api/v3/write_lp?db=home&precision=s",
        &[("Authorization", "Bearer secret")],
        HOME_LP.as_bytes(),
    );
    assert_eq!(reply.status, 204, "{}", reply.body);
    let with_token = server.request(
        "POST",
        "/api/v3/query_sql",
        &[("Authorization", "Bearer secret")],
        body.as_bytes(),
    );
    assert_eq!(with_token.status, 200, "{}", with_token.body);
}

/// Waits until no row of `db.table` is left in the buffer (all persisted).
fn wait_persisted(server: &Server, db: &str, table: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while server.rows(db, table, &[]) > 0 {
        assert!(
            Instant::now() < deadline,
            "{db}.{table} not persisted within 30 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn parquet_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "parquet") {
                found.push(path);
            }
        }
    }
    found
}

#[test]
fn queries_span_parquet_and_buffer_across_restarts() {
    let data = tempfile::tempdir().unwrap();
    let lines: Vec<&str> = HOME_LP.lines().collect();
    let (morning, afternoon) = (lines[..12].join("\n"), lines[12..].join("\n"));
    let expected = expected_rows();

    // The first 12 lines (08:00-13:00) are persisted to Parquet and leave the buffer.
    let server = Server::start_in(data.path(), &["--persist-interval", "100ms"]);
    write_v3(&server, "home", &morning);
    wait_persisted(&server, "home", "home");
    server.stop();
    assert!(
        !parquet_files(data.path()).is_empty(),
        "no Parquet file was written"
    );

    // The other 14 stay in the buffer (and the WAL) of a server that persists only hourly.
    let hourly = ["--persist-interval", "1h"];
    let server = Server::start_in(data.path(), &hourly);
    write_v3(&server, "home", &afternoon);
    assert_eq!(server.rows("home", "home", &[]), 14);
    assert_eq!(
        json_rows(&query_json(&server, "home", SELECT_HOME)),
        expected
    );
    // Time filters: only Parquet, only the buffer, across both.
    let count = |sql: &str| query_json(&server, "home", sql)[0]["n"].as_i64().unwrap();
    assert_eq!(
        count("SELECT count(*) AS n FROM home WHERE time < '2022-01-01T14:00:00Z'"),
        12
    );
    assert_eq!(
        count("SELECT count(*) AS n FROM home WHERE time >= '2022-01-01T14:00:00Z'"),
        14
    );
    assert_eq!(count("SELECT count(*) AS n FROM home WHERE time BETWEEN '2022-01-01T12:00:00Z' AND '2022-01-01T15:00:00Z'"), 8);

    // A kill: the buffered half comes back from the WAL, the persisted half from Parquet, once each.
    server.stop();
    let server = Server::start_in(data.path(), &hourly);
    let afternoon = "SELECT count(*) AS n FROM home WHERE time >= '2022-01-01T14:00:00Z'";
    assert_eq!(query_json(&server, "home", afternoon), json!([{"n": 14}]));
    assert_eq!(
        json_rows(&query_json(&server, "home", SELECT_HOME)),
        expected
    );
    server.stop();

    // Everything persisted: the same table from Parquet alone.
    let server = Server::start_in(data.path(), &["--persist-interval", "100ms"]);
    wait_persisted(&server, "home", "home");
    assert_eq!(
        json_rows(&query_json(&server, "home", SELECT_HOME)),
        expected
    );
}

fn cli(server: &Server, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_linewise"))
        .args(args)
        .env("LINEWISE_HOST", &server.base)
        .output()
        .unwrap()
}

#[test]
fn cli_prints_a_table_and_other_formats() {
    let server = Server::start(&[]);
    write_v3(&server, "home", HOME_LP);

    let out = cli(
        &server,
        &[
            "query",
            "--db",
            "home",
            "SELECT room, temp FROM home WHERE co >= 22 ORDER BY co",
        ],
    );
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "+---------+------+\n\
         | room    | temp |\n\
         +---------+------+\n\
         | Kitchen | 23.1 |\n\
         | Kitchen | 22.7 |\n\
         +---------+------+\n"
    );

    let out = cli(
        &server,
        &[
            "query",
            "--db",
            "home",
            "--format",
            "csv",
            "SELECT count(*) AS n FROM home",
        ],
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "n\n26\n");

    let out = cli(
        &server,
        &[
            "query",
            "--db",
            "home",
            "--format",
            "json",
            "SELECT room FROM home WHERE co = 26",
        ],
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        r#"[{"room":"Kitchen"}]"#
    );

    let out = cli(&server, &["query", "--db", "nope", "SELECT 1"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("HTTP 404") && stderr.contains("database not found: nope"),
        "{stderr}"
    );

    let out = Command::new(env!("CARGO_BIN_EXE_linewise"))
        .args([
            "query",
            "--db",
            "home",
            "--host",
            "http://127.0.0.1:1",
            "SELECT 1",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("cannot reach"));
}

/// The seed's home data as CSV (`time,room,temp,hum,co`, RFC 3339 times), converted by
/// `linewise convert --from csv` with the guessed mapping, written, and read back exactly.
#[test]
fn home_csv_converts_to_the_seed_rows() {
    let server = Server::start(&[]);
    let csv = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/home.csv");
    let out = cli(&server, &["convert", "--from", "csv", csv]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains(
            "--measurement home --delimiter , --precision ns --column time=time:rfc3339 \
             --column room=tag --column temp=float --column hum=float --column co=integer"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("26 points written, 0 rows skipped"),
        "{stderr}"
    );
    let lp = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        lp.lines().next(),
        Some("home,room=Living\\ Room temp=21.1,hum=35.9,co=0i 1641024000000000000")
    );
    let reply = server.post("/api/v3/write_lp?db=csv&precision=nanosecond", &lp);
    assert_eq!(reply.status, 204, "{}", reply.body);
    assert_eq!(
        json_rows(&query_json(&server, "csv", SELECT_HOME)),
        expected_rows()
    );

    // A flag changes a role (the guess takes `temp` with "warm" in it for text); a row that
    // does not fit is named by file, line and column and skipped.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("rooms.csv");
    std::fs::write(
        &bad,
        "time,room,temp\n1641024000,Kitchen,21.5\n1641027600,Kitchen,warm\n",
    )
    .unwrap();
    let bad = bad.to_str().unwrap();
    let out = cli(
        &server,
        &[
            "convert",
            "--from",
            "csv",
            "--precision",
            "s",
            "--column",
            "room=string",
            "--column",
            "temp=float",
            bad,
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{bad}:3:3: temp: expected a number, found \"warm\""
        )),
        "{stderr}"
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "rooms room=\"Kitchen\",temp=21.5 1641024000\n"
    );
    let out = cli(
        &server,
        &["convert", "--from", "csv", "--column", "nope=tag", bad],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("--column nope: the CSV has no such column (it has time, room, temp)"));
}
