//! Arrow Flight on the HTTP port of a real `linewise serve`: the v3 clients' JSON ticket, Flight SQL
//! statements, and the token read from gRPC metadata, through arrow-flight's own clients.
mod common;

use arrow::array::{Array, Int64Array, StringArray};
use arrow::datatypes::DataType;
use arrow::record_batch::RecordBatch;
use arrow_flight::sql::client::FlightSqlServiceClient;
use arrow_flight::{FlightClient, Ticket};
use common::Server;
use futures::TryStreamExt;
use tonic::transport::Channel;
use tonic::Code;

const HOME_LP: &str = include_str!("data/home.lp");
const TOKEN: &str = "flight-token";

fn start() -> Server {
    let server = Server::start(&["--admin-token", TOKEN]);
    let auth = format!("Bearer {TOKEN}");
    let written = server.request(
        "POST",
        "/api/v3/write_lp?db=home&precision=s",
        &[("Authorization", &auth)],
        HOME_LP.as_bytes(),
    );
    assert_eq!(written.status, 204, "{}", written.body);
    server
}

async fn channel(server: &Server) -> Channel {
    Channel::from_shared(server.base.clone())
        .unwrap()
        .connect()
        .await
        .unwrap()
}

fn column<'a, T: 'static>(batches: &'a [RecordBatch], name: &str) -> Vec<&'a T> {
    batches
        .iter()
        .map(|b| {
            b.column_by_name(name)
                .unwrap()
                .as_any()
                .downcast_ref::<T>()
                .unwrap()
        })
        .collect()
}

#[tokio::test]
async fn json_ticket_and_flight_sql_share_the_http_port() {
    let server = start();
    let mut client = FlightClient::new(channel(&server).await);
    client
        .add_header("authorization", &format!("Bearer {TOKEN}"))
        .unwrap();
    let ticket = serde_json::json!({
        "database": "home",
        "sql_query": "SELECT room, co FROM home WHERE co > $min ORDER BY co",
        "query_type": "sql",
        "params": {"min": 17},
    });
    let batches: Vec<RecordBatch> = client
        .do_get(Ticket::new(ticket.to_string()))
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    // The tag is sent as strings, not as a dictionary.
    assert_eq!(batches[0].schema().field(0).data_type(), &DataType::Utf8);
    let co: Vec<i64> = column::<Int64Array>(&batches, "co")
        .into_iter()
        .flat_map(|a| a.values().to_vec())
        .collect();
    assert_eq!(co, [18, 22, 26]);
    let rooms: Vec<&str> = column::<StringArray>(&batches, "room")
        .into_iter()
        .flat_map(|a| (0..a.len()).map(|i| a.value(i)))
        .collect();
    assert_eq!(rooms, ["Kitchen"; 3]);

    let mut sql = FlightSqlServiceClient::new(channel(&server).await);
    sql.set_header("authorization", format!("Bearer {TOKEN}"));
    sql.set_header("database", "home");
    let info = sql
        .execute("SELECT count(*) AS n FROM home".into(), None)
        .await
        .unwrap();
    let ticket = info.endpoint[0].ticket.clone().unwrap();
    let batches: Vec<RecordBatch> = sql
        .do_get(ticket)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(column::<Int64Array>(&batches, "n")[0].value(0), 26);

    // HTTP/1 on the same port still reaches the HTTP API.
    assert_eq!(server.get("/ping").status, 204);
    server.stop();
}

#[tokio::test]
async fn refusals_are_grpc_statuses() {
    let server = start();
    let mut client = FlightClient::new(channel(&server).await);
    client.add_header("authorization", "Bearer wrong").unwrap();
    let ticket = r#"{"database": "home", "sql_query": "SELECT 1"}"#;
    let status = match client.do_get(Ticket::new(ticket)).await {
        Err(arrow_flight::error::FlightError::Tonic(status)) => status,
        other => panic!("expected a status, got {other:?}"),
    };
    assert_eq!(status.code(), Code::Unauthenticated);
    assert!(status.message().contains("not authenticated"), "{status}");

    let mut sql = FlightSqlServiceClient::new(channel(&server).await);
    sql.set_header("authorization", format!("Bearer {TOKEN}"));
    let err = sql.execute("SELECT 1".into(), None).await.unwrap_err();
    assert!(err.to_string().contains("no database chosen"), "{err}");
    sql.set_header("database", "nosuch");
    let err = sql.execute("SELECT 1".into(), None).await.unwrap_err();
    assert!(
        err.to_string().contains("database not found: nosuch"),
        "{err}"
    );
    server.stop();
}
