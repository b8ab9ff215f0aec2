//! Query what was written: the seed's home data written through each write API of a real `linewise serve`
//! on loopback, read back over `/api/v3/query_sql` and through `linewise query`.
mod query_common;

use query_common::Server;
use serde_json::Value;

const HOME_LP: &str = include_str!("data/home.lp");
/// The seed document's "View the written data" table (Markdown).
const HOME_EXPECTED: &str = include_str!("data/home.expected.md");
const SELECT_HOME: &str = "SELECT * FROM home ORDER BY room, time";

/// One expected row: time (RFC 3339, UTC), room, co, hum, temp.
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

/// Rows of a `format=json` answer; the server's times have no zone suffix (they are UTC).
fn json_rows(body: &Value) -> Vec<HomeRow> {
    body.as_array()
        .expect("an array of row objects")
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

#[tokio::test]
async fn seed_table_reads_back_after_each_write_api() {
    let server = Server::start();
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
        let status = server.post(path, HOME_LP).await.status();
        assert!(status.is_success(), "{path}: {status}");
        let body = server.query_json(db, SELECT_HOME).await;
        assert_eq!(json_rows(&body), expected, "written through {path}");
    }
}

#[tokio::test]
async fn get_and_post_agree_and_formats_are_served() {
    let server = Server::start();
    server.write_v3("home", HOME_LP).await;
    let sql = "SELECT room, co FROM home WHERE co > 20 ORDER BY co";

    let post = server.query("home", sql, "json").await;
    assert_eq!(post.status(), 200);
    assert_eq!(post.headers()["content-type"], "application/json");
    let post: Value = post.json().await.unwrap();
    assert_eq!(
        post,
        serde_json::json!([{"room":"Kitchen","co":22},{"room":"Kitchen","co":26}])
    );

    let get = server
        .client
        .get(server.url("/api/v3/query_sql"))
        .query(&[("db", "home"), ("q", sql), ("format", "csv")])
        .send()
        .await
        .unwrap();
    assert_eq!(get.headers()["content-type"], "text/csv");
    assert_eq!(
        get.text().await.unwrap(),
        "room,co\nKitchen,22\nKitchen,26\n"
    );

    let jsonl = server
        .query("home", sql, "jsonl")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        jsonl,
        "{\"room\":\"Kitchen\",\"co\":22}\n{\"room\":\"Kitchen\",\"co\":26}\n"
    );

    let pretty = server
        .query("home", sql, "pretty")
        .await
        .text()
        .await
        .unwrap();
    assert!(pretty.contains("| Kitchen | 22 |"), "{pretty}");

    let parquet = server.query("home", sql, "parquet").await;
    assert_eq!(
        parquet.headers()["content-type"],
        "application/vnd.apache.parquet"
    );
    assert!(parquet.bytes().await.unwrap().starts_with(b"PAR1"));

    // Without `format`, the Accept header decides.
    let accept_csv = server
        .client
        .get(server.url("/api/v3/query_sql"))
        .query(&[("db", "home"), ("q", sql)])
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(
        accept_csv.text().await.unwrap(),
        "room,co\nKitchen,22\nKitchen,26\n"
    );
}

#[tokio::test]
async fn bad_requests_are_4xx_with_a_message() {
    let server = Server::start();
    server.write_v3("home", HOME_LP).await;

    let unknown_db = server.query("nope", "SELECT 1", "json").await;
    assert_eq!(unknown_db.status(), 404);
    let body: Value = unknown_db.json().await.unwrap();
    assert_eq!(body["error"], "query error: database not found: nope");

    let unknown_table = server.query("home", "SELECT * FROM cpu", "json").await;
    assert_eq!(unknown_table.status(), 400);
    assert!(unknown_table.text().await.unwrap().contains("cpu"));

    let bad_sql = server.query("home", "SELEC * FROM home", "json").await;
    assert_eq!(bad_sql.status(), 400);
    assert!(bad_sql.text().await.unwrap().contains("SELEC"));

    let bad_format = server.query("home", "SELECT 1", "xml").await;
    assert_eq!(bad_format.status(), 400);
    assert!(bad_format
        .text()
        .await
        .unwrap()
        .contains("invalid format 'xml'"));

    let no_params = server
        .client
        .get(server.url("/api/v3/query_sql"))
        .send()
        .await
        .unwrap();
    assert_eq!(no_params.status(), 400);
    assert_eq!(
        no_params.text().await.unwrap(),
        "missing query parameters 'db' and 'q'"
    );

    let missing_q = server
        .client
        .post(server.url("/api/v3/query_sql"))
        .body(r#"{"db":"home"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(missing_q.status(), 400);
    assert!(missing_q
        .text()
        .await
        .unwrap()
        .contains("missing field `q`"));
}

#[test]
fn cli_prints_a_table_and_other_formats() {
    let server = Server::start();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(server.write_v3("home", HOME_LP));

    let out = server.cli(&[
        "query",
        "--db",
        "home",
        "SELECT room, temp FROM home WHERE co >= 22 ORDER BY co",
    ]);
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

    let out = server.cli(&[
        "query",
        "--db",
        "home",
        "--format",
        "csv",
        "SELECT count(*) AS n FROM home",
    ]);
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "n\n26\n");

    let out = server.cli(&["query", "--db", "nope", "SELECT 1"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("HTTP 404") && stderr.contains("database not found: nope"),
        "{stderr}"
    );
}
