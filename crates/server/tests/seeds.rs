//! Every curl example of the seed documents, against a real server, responses compared with the
//! documented ones (JSON compared as values: key order is not significant to JSON).
mod common;

use common::{Server, HOME};
use serde_json::json;

const SEED_BODY: &str = "home,room=Sunroom temp=96\nhome,room=Sunroom temp=\"hi\"";

fn seed_line_error() -> serde_json::Value {
    json!({
        "original_line": "home,room=Sunroom temp=hi",
        "line_number": 2,
        "error_message": "invalid column type for column 'temp', expected iox::column_type::field::float, got iox::column_type::field::string"
    })
}

#[test]
fn v3_partial_write_of_line_protocol_occurred() {
    let s = Server::start(&[]);
    let r = s.post("/api/v3/write_lp?db=sensors&precision=auto", SEED_BODY);
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json(),
        json!({"error": "partial write of line protocol occurred", "data": [seed_line_error()]})
    );
    // InfluxDB 3's key order inside each item.
    let i = |k: &str| r.body.find(k).unwrap();
    assert!(i("error_message") < i("line_number") && i("line_number") < i("original_line"));
    // "Line 1 is written and queryable."
    assert_eq!(s.rows("sensors", "home", &[]), 1);
}

#[test]
fn v3_accept_partial_false_rejects_all_points() {
    let s = Server::start(&[]);
    let r = s.post(
        "/api/v3/write_lp?db=sensors&precision=auto&accept_partial=false",
        SEED_BODY,
    );
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json(),
        json!({"error": "parsing failed for write_lp endpoint", "data": seed_line_error()})
    );
    // "InfluxDB rejects all points in the batch."
    assert_eq!(s.rows("sensors", "home", &[]), 0);
}

#[test]
fn v3_no_sync_immediate_write() {
    let s = Server::start(&[]);
    let r = s.post(
        "/api/v3/write_lp?db=sensors&precision=auto&no_sync=true",
        "home,room=Sunroom temp=96",
    );
    assert_eq!((r.status, r.body.as_str()), (204, ""));
    assert_eq!(s.rows("sensors", "home", &[]), 1);
}

#[test]
fn v1_write_home_data() {
    let s = Server::start(&["--admin-token", "API_TOKEN"]);
    let headers = [
        ("Authorization", "Token API_TOKEN"),
        ("Content-type", "text/plain; charset=utf-8"),
        ("Accept", "application/json"),
    ];
    let r = s.request(
        "POST",
        "/write?db=get-started&precision=s",
        &headers,
        HOME.as_bytes(),
    );
    assert_eq!((r.status, r.body.as_str()), (204, ""));
    assert_eq!(s.rows("get-started", "home", &headers), 26);
}

#[test]
fn v2_write_home_data() {
    let s = Server::start(&["--admin-token", "API_TOKEN"]);
    let headers = [
        ("Authorization", "Token API_TOKEN"),
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Accept", "application/json"),
    ];
    let r = s.request(
        "POST",
        "/api/v2/write?bucket=get-started&precision=s",
        &headers,
        HOME.as_bytes(),
    );
    assert_eq!((r.status, r.body.as_str()), (204, ""));
    assert_eq!(s.rows("get-started", "home", &headers), 26);
}
