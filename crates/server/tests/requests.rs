//! Bad and unusual requests of every kind against a real server: parameters, names, bodies,
//! auth, schema conflicts, limits, restarts, concurrency, and the `linewise write` client.
mod common;

use common::{gzip, Server, HOME};
use serde_json::json;

#[test]
fn parameter_errors_use_influxdb_texts() {
    let s = Server::start(&[]);
    let cases = [
        ("/api/v3/write_lp", 400, "missing query parameter 'db'"),
        (
            "/api/v3/write_lp?x=1",
            400,
            "serde error: missing field `db`",
        ),
        (
            "/api/v3/write_lp?db=a&db=b",
            400,
            "serde error: duplicate field `db`",
        ),
        (
            "/api/v3/write_lp?db=a&accept_partial=1",
            400,
            "serde error: provided string was not `true` or `false`",
        ),
    ];
    for (path, status, body) in cases {
        let r = s.post(path, "m f=1");
        assert_eq!((r.status, r.body.as_str()), (status, body), "{path}");
    }
    let r = s.post("/api/v3/write_lp?db=a&precision=h", "m f=1");
    assert_eq!(r.status, 400);
    assert!(r
        .body
        .starts_with("serde error: unknown variant `h`, expected one of `auto`"));
    let r = s.post("/api/v2/write?org=o", "m f=1");
    assert_eq!(
        (r.status, r.json()),
        (
            400,
            json!({"code": "invalid", "message": "missing bucket value"})
        )
    );
    let r = s.post("/write", "m f=1");
    assert_eq!(
        (r.status, r.json()),
        (400, json!({"error": "no db destination provided"}))
    );
    let r = s.post("/write?db=d&precision=m", "m f=1");
    assert_eq!(r.status, 400);
    assert!(r.json()["error"]
        .as_str()
        .unwrap()
        .contains("unknown variant `m`"));
}

#[test]
fn database_names_are_checked() {
    let s = Server::start(&[]);
    let r = s.post("/api/v3/write_lp?db=this%23_is_fine", "m f=1");
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json(),
        json!({"error": "invalid character in database or rp name: must be ASCII, containing only letters, numbers, underscores, or hyphens"})
    );
    let r = s.post("/api/v3/write_lp?db=%3Fthis_is_fine", "m f=1");
    assert_eq!(
        r.json(),
        json!({"error": "db name did not start with a number or letter"})
    );
    let long = "a".repeat(65);
    let r = s.post(&format!("/api/v2/write?bucket={long}"), "m f=1");
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["code"], "invalid");
}

#[test]
fn bodies_too_large_bad_gzip_bad_utf8() {
    let s = Server::start(&["--max-request-size", "1500"]);
    let big = "m f=1\n".repeat(300);
    let r = s.post("/api/v3/write_lp?db=d", &big);
    assert_eq!(
        (r.status, r.body.as_str()),
        (413, "max request size (1500 bytes) exceeded")
    );
    // A gzip bomb: about 1 KB on the wire, far more inflated.
    let bomb = gzip(&vec![b'a'; 1_000_000]);
    assert!(bomb.len() < 1500);
    let r = s.request(
        "POST",
        "/api/v3/write_lp?db=d",
        &[("Content-Encoding", "gzip")],
        &bomb,
    );
    assert_eq!(r.status, 413);
    let r = s.request(
        "POST",
        "/api/v2/write?bucket=d",
        &[("Content-Encoding", "gzip")],
        &bomb,
    );
    assert_eq!(r.status, 413);
    assert_eq!(r.json()["code"], "request too large");
    let r = s.request(
        "POST",
        "/api/v3/write_lp?db=d",
        &[("Content-Encoding", "gzip")],
        b"nope",
    );
    assert_eq!(r.status, 400);
    assert!(
        r.body.starts_with("error decoding gzip stream: "),
        "{}",
        r.body
    );
    let r = s.request(
        "POST",
        "/api/v3/write_lp?db=d",
        &[("Content-Encoding", "br")],
        b"m f=1",
    );
    assert_eq!(
        (r.status, r.body.as_str()),
        (400, "unacceptable content-encoding: br")
    );
    let r = s.request("POST", "/api/v3/write_lp?db=d", &[], b"m f=1\nm f=\xff");
    assert_eq!(r.status, 400);
    assert!(
        r.body.starts_with("body content is not valid utf8: ")
            && r.body.ends_with("(line 2, column 5)"),
        "{}",
        r.body
    );
    assert_eq!(s.rows("d", "m", &[]), 0);
    let ok = gzip(b"m f=1\nm f=2 1\n");
    let r = s.request(
        "POST",
        "/api/v3/write_lp?db=d",
        &[("Content-Encoding", "gzip")],
        &ok,
    );
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(s.rows("d", "m", &[]), 2);
}

#[test]
fn auth_is_required_and_constant() {
    let s = Server::start(&["--admin-token", "s3cret"]);
    let unauth = json!({"error": "the request was not authenticated"});
    let r = s.post("/api/v3/write_lp?db=d", "m f=1");
    assert_eq!((r.status, r.json()), (401, unauth.clone()));
    let r = s.request(
        "POST",
        "/api/v3/write_lp?db=d",
        &[("Authorization", "Bearer nope")],
        b"m f=1",
    );
    assert_eq!((r.status, r.json()), (401, unauth.clone()));
    let r = s.request(
        "POST",
        "/api/v3/write_lp?db=d",
        &[("Authorization", "Bearer")],
        b"m f=1",
    );
    assert_eq!(r.status, 400);
    assert!(r.body.contains("Authorization header was malformed"));
    let r = s.post("/write?db=d&u=x&p=wrong", "m f=1");
    assert_eq!(r.status, 401);
    let r = s.get("/metrics");
    assert_eq!(r.status, 401);
    let good = [("Authorization", "Bearer s3cret")];
    assert_eq!(s.rows("d", "m", &good), 0, "a refused write stored nothing");
    let r = s.request("POST", "/api/v3/write_lp?db=d", &good, b"m f=1 1");
    assert_eq!(r.status, 204);
    let r = s.request(
        "POST",
        "/api/v2/write?bucket=d",
        &[("Authorization", "Token s3cret")],
        b"m f=2 2",
    );
    assert_eq!(r.status, 204);
    let r = s.post("/write?db=d&u=x&p=s3cret", "m f=3 3");
    assert_eq!(r.status, 204);
    // influxdb-python sends Basic root:<password>.
    let r = s.request(
        "POST",
        "/write?db=d",
        &[("Authorization", "Basic cm9vdDpzM2NyZXQ=")],
        b"m f=4 4",
    );
    assert_eq!(r.status, 204);
    assert_eq!(s.rows("d", "m", &good), 4);
    // ping and health stay open for load balancers and the v1 client's ping().
    let r = s.get("/ping");
    assert_eq!(r.status, 204);
    assert!(r.header("X-Influxdb-Version").is_some());
    assert_eq!(
        (s.get("/health").status, s.get("/health").body),
        (200, "OK".to_string())
    );
}

#[test]
fn refuses_public_bind_without_token() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_linewise"))
        .args(["serve", "--http-bind", "0.0.0.0:0", "--data-dir"])
        .arg(tempfile::tempdir().unwrap().path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--without-auth"));
}

#[test]
fn type_conflicts_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start_in(dir.path(), &[]);
    assert_eq!(s.post("/api/v3/write_lp?db=d", "m,t=a v=1 1").status, 204);
    s.stop();
    let s = Server::start_in(dir.path(), &[]);
    let r = s.post(
        "/api/v3/write_lp?db=d",
        "m,t=a v=1i 2\nm v=2 3\nm,t=b t=1 4",
    );
    assert_eq!(r.status, 400);
    let data = &r.json()["data"];
    assert_eq!(
        data[0]["error_message"],
        "invalid column type for column 'v', expected iox::column_type::field::float, got iox::column_type::field::integer"
    );
    assert_eq!(data[0]["line_number"], 1);
    assert_eq!(data[0]["original_line"], "m,t=a v=1i 2");
    assert_eq!(data[1]["line_number"], 3);
    assert_eq!(data.as_array().unwrap().len(), 2);
    // The write before the kill is back from the WAL, next to the one accepted line.
    assert_eq!(s.stored_rows("d", "m"), 2);
}

#[test]
fn physical_line_numbers_crlf_and_long_lines() {
    let s = Server::start(&[]);
    let long_tag = "x".repeat(150);
    let body = format!("# header\r\n\r\nm f=1 1\r\nm,t={long_tag} f=\r\nm f=2 2\r\n");
    let r = s.post("/api/v3/write_lp?db=d", &body);
    assert_eq!(r.status, 400, "{}", r.body);
    let item = &r.json()["data"][0];
    assert_eq!(item["line_number"], 4);
    let shown = item["original_line"].as_str().unwrap();
    assert_eq!(shown.chars().count(), 100);
    assert!(shown.starts_with("m,t=xxx"));
    assert_eq!(s.rows("d", "m", &[]), 2);
}

#[test]
fn empty_writes_and_unknown_routes() {
    let s = Server::start(&[]);
    let r = s.post("/api/v3/write_lp?db=d", "\n# only a comment\n");
    assert_eq!(
        (r.status, r.body.as_str()),
        (400, "incoming write was empty")
    );
    let r = s.get("/api/v3/write_lp?db=d");
    assert_eq!((r.status, r.body.as_str()), (404, "Not found"));
    let r = s.get("/nope");
    assert_eq!(r.status, 404);
    // CORS is off by default (`--cors-allow-origin` turns it on): no preflight, no header.
    let r = s.request("OPTIONS", "/api/v3/write_lp", &[], b"");
    assert_eq!(r.status, 404);
    assert_eq!(r.header("access-control-allow-origin"), None);
    let r = s.get("/");
    assert_eq!(r.status, 200);
    assert!(r.body.contains("trunk build"));
}

#[test]
fn databases_configure_and_limit() {
    let s = Server::start(&["--max-databases", "5"]);
    let json_ct = [("Content-Type", "application/json")];
    let create = |db: &str| {
        s.request(
            "POST",
            "/api/v3/configure/database",
            &json_ct,
            json!({"db": db}).to_string().as_bytes(),
        )
    };
    assert_eq!(create("one").status, 200);
    assert_eq!(
        (create("one").status, create("one").body),
        (
            409,
            "attempted to create a resource that already exists".to_string()
        )
    );
    let r = s.request("POST", "/api/v3/configure/database", &[], br#"{"db":"x"}"#);
    assert_eq!(r.status, 415);
    let r = s.request("POST", "/api/v3/configure/database", &json_ct, b"{");
    assert_eq!(r.status, 400);
    assert!(r.body.starts_with("serde json error: "));
    for db in ["two", "three", "four"] {
        assert_eq!(create(db).status, 200);
    }
    assert_eq!(s.post("/api/v3/write_lp?db=five", "m f=1").status, 204);
    let r = s.post("/api/v3/write_lp?db=six", "m f=1");
    assert_eq!(
        (r.status, r.json()),
        (
            422,
            json!({"error": "Adding a new database would exceed limit of 5 databases (set by --max-databases)"})
        )
    );
    let r = s.post("/api/v2/write?bucket=six", "m f=1");
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["code"], "invalid");
    let r = s.get("/api/v3/configure/database?format=json");
    let names: Vec<_> = r
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["iox::database"].clone())
        .collect();
    assert_eq!(names, ["five", "four", "one", "three", "two"]);
    let r = s.get("/api/v3/configure/database");
    assert_eq!(
        (r.status, r.body.as_str()),
        (400, "serde error: missing field `format`")
    );
    assert_eq!(
        s.request("DELETE", "/api/v3/configure/database?db=five", &[], b"")
            .status,
        200
    );
    assert_eq!(s.rows("five", "m", &[]), 0);
    assert_eq!(
        s.request("DELETE", "/api/v3/configure/database?db=five", &[], b"")
            .status,
        404
    );
    assert_eq!(s.post("/api/v3/write_lp?db=six", "m f=1").status, 204);
}

#[test]
fn column_and_table_limits_are_named() {
    let s = Server::start(&["--max-tables", "2000"]);
    let fields: Vec<String> = (0..501).map(|i| format!("f{i}=1")).collect();
    let body = format!("ok f=1\nwide {}\n", fields.join(","));
    let r = s.post("/api/v3/write_lp?db=d", &body);
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(
        r.json()["data"][0]["error_message"],
        "Update to schema would exceed number of columns per table limit of 500 columns \
         (set by --max-columns-per-table) (column 3396: too many columns: this line has 501 tags and fields, more than the limit \
         of 500 columns per table)"
    );
    assert_eq!(r.json()["data"][0]["line_number"], 2);
    let tables: String = (0..2000).map(|i| format!("t{i} f=1\n")).collect();
    let r = s.post("/api/v3/write_lp?db=d", &tables);
    assert_eq!(r.status, 422, "{}", &r.body[..200.min(r.body.len())]);
    let data = r.json()["data"].as_array().unwrap().clone();
    // `ok` already exists: 1999 new tables fit, the 2000th new one does not.
    assert_eq!(data.len(), 1);
    assert_eq!(data[0]["line_number"], 2000);
    assert!(data[0]["error_message"]
        .as_str()
        .unwrap()
        .starts_with("Update to schema would exceed number of tables limit"));
    assert!(data[0]["error_message"]
        .as_str()
        .unwrap()
        .ends_with("(limit: 2000, set by --max-tables)"));
}

/// The defaults stop no ordinary use: more databases than InfluxDB 3 Core's 5 and tables past its
/// 2000; a lowered column limit reaches the line check, with the flag named.
#[test]
fn catalog_limits_are_flags() {
    let s = Server::start(&[]);
    for i in 0..12 {
        let r = s.post(&format!("/api/v3/write_lp?db=db{i}"), "m f=1");
        assert_eq!(r.status, 204, "{}", r.body);
    }
    let tables: String = (0..2500).map(|i| format!("t{i} f=1\n")).collect();
    let r = s.post("/api/v3/write_lp?db=db0", &tables);
    assert_eq!(r.status, 204, "{}", &r.body[..200.min(r.body.len())]);

    let s = Server::start(&["--max-columns-per-table", "3", "--max-databases", "1"]);
    let r = s.post(
        "/api/v3/write_lp?db=d",
        "m a=1,b=2,c=3,d=4\nm a=1,b=2,c=3\nm e=1",
    );
    assert_eq!(r.status, 422, "{}", r.body);
    let data = r.json()["data"].as_array().unwrap().clone();
    assert_eq!(data.len(), 2, "{data:?}");
    assert_eq!(data[0]["line_number"], 1);
    assert!(data[0]["error_message"]
        .as_str()
        .unwrap()
        .contains("limit of 3 columns (set by --max-columns-per-table)"));
    assert_eq!(data[1]["line_number"], 3);
    let r = s.post("/api/v3/write_lp?db=other", "m f=1");
    assert_eq!(r.status, 422);
    assert_eq!(
        r.json()["error"],
        "Adding a new database would exceed limit of 1 databases (set by --max-databases)"
    );
    let r = s.request(
        "POST",
        "/api/v3/configure/database",
        &[("Content-Type", "application/json")],
        br#"{"db":"other"}"#,
    );
    assert_eq!(r.status, 422);
}

#[test]
fn concurrent_writers_lose_nothing() {
    let s = Server::start(&[]);
    std::thread::scope(|scope| {
        for w in 0..8 {
            let s = &s;
            scope.spawn(move || {
                for k in 0..25 {
                    let body: String = (0..100)
                        .map(|i| format!("cpu,writer=w{w} v={k}i,i={i}i {}\n", k * 1000 + i))
                        .collect();
                    let r = s.post("/api/v3/write_lp?db=d", &body);
                    assert_eq!(r.status, 204, "{}", r.body);
                }
            });
        }
    });
    assert_eq!(s.rows("d", "cpu", &[]), 8 * 25 * 100);
}

#[test]
fn write_command_batches_and_maps_line_numbers() {
    let s = Server::start(&["--admin-token", "tok"]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("home.lp");
    let mut data = HOME.to_string();
    data.push_str("home,room=Kitchen temp=\"warm\" 1641070800\n");
    std::fs::write(&file, &data).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_linewise"))
        .args([
            "write",
            "--db",
            "home",
            "--precision",
            "s",
            "--batch-size",
            "5",
            "--token",
            "tok",
            "--host",
        ])
        .arg(&s.base)
        .arg(&file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(":28: invalid column type for column 'temp'"),
        "{stderr}"
    );
    assert_eq!(
        s.rows("home", "home", &[("Authorization", "Bearer tok")]),
        26
    );
}

#[test]
fn a_full_buffer_waits_then_asks_clients_to_retry() {
    // A file where the Parquet directory would go: persisting fails, so the buffer stays full.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("parquet"), "not a directory").unwrap();
    let s = Server::start_in(
        dir.path(),
        &["--max-buffer-size", "1", "--write-wait-timeout", "300ms"],
    );
    assert_eq!(s.post("/api/v3/write_lp?db=d", "m f=1 1").status, 204);
    let started = std::time::Instant::now();
    let r = s.post("/api/v3/write_lp?db=d", "m f=2 2");
    assert!(started.elapsed() >= std::time::Duration::from_millis(300));
    assert_eq!(r.status, 503, "{}", r.body);
    // None, as InfluxDB 3: one client reads the seconds as milliseconds and gives up at once.
    assert_eq!(r.header("Retry-After"), None);
    assert!(r.body.contains("buffer is full"), "{}", r.body);
    assert!(r.body.contains("waited 300ms"), "{}", r.body);
    assert!(r.body.contains("--write-wait-timeout"), "{}", r.body);
    let r = s.post("/api/v2/write?bucket=d", "m f=2 2");
    assert_eq!(
        (r.status, r.json()["code"].as_str()),
        (503, Some("unavailable"))
    );
    let file = dir.path().join("more.lp");
    std::fs::write(&file, "m f=3 3\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_linewise"))
        .args(["write", "--db", "d", "--retries", "2", "--host", &s.base])
        .arg(&file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.matches("server answered 503").count(), 2, "{stderr}");
    assert!(stderr.contains("giving up after 2 attempts"), "{stderr}");
    assert_eq!(s.rows("d", "m", &[]), 1);
}

#[test]
fn serves_the_built_ui() {
    let ui = tempfile::tempdir().unwrap();
    std::fs::write(ui.path().join("index.html"), "<title>linewise ui</title>").unwrap();
    std::fs::write(ui.path().join("app.js"), "console.log(1)").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start_in(dir.path(), &["--ui-dir", ui.path().to_str().unwrap()]);
    let r = s.get("/");
    assert_eq!(
        (r.status, r.body.as_str()),
        (200, "<title>linewise ui</title>")
    );
    assert_eq!(s.get("/app.js").body, "console.log(1)");
    assert_eq!(s.get("/missing.js").status, 404);
}

#[test]
fn v1_errors_carry_the_reason_in_x_influxdb_error() {
    let s = Server::start(&[]);
    let r = s.post("/write?db=d", "m f=1 1\nm f=\"s\" 2\nm f=\"t\" 3\n");
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(
        r.header("X-Influxdb-Error"),
        Some(
            "parsing failed for write_lp endpoint: line 2: invalid column type for column 'f', \
             expected iox::column_type::field::float, got iox::column_type::field::string"
        )
    );
    let r = s.post("/write", "m f=1 1");
    assert_eq!(r.status, 400);
    let header = r.header("X-Influxdb-Error").expect("a reason header");
    assert!(r.body.contains(header), "{header} / {}", r.body);
    // The v2 and v3 APIs answer in their bodies only.
    assert!(s
        .post("/api/v2/write?bucket=d", "m f=\"s\" 4")
        .header("X-Influxdb-Error")
        .is_none());
}

#[test]
fn health_answers_json_when_asked() {
    let s = Server::start(&[]);
    let r = s.request("GET", "/health", &[("Accept", "application/json")], b"");
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(
        (v["status"].as_str(), v["name"].as_str()),
        (Some("pass"), Some("linewise"))
    );
    assert_eq!(v["token_required"].as_bool(), Some(false));
    assert_eq!(s.get("/health").body, "OK");
    let with_token = Server::start(&["--admin-token", "tok"]);
    let r = with_token.request("GET", "/health", &[("Accept", "application/json")], b"");
    assert_eq!(
        (r.status, r.json()["token_required"].as_bool()),
        (200, Some(true))
    );
}
