//! What a Flight request names: the JSON ticket of the InfluxDB 3 clients, the statement handles
//! this server hands out in Flight SQL tickets, and the database chosen by gRPC metadata.
use serde::{Deserialize, Serialize};
use tonic::metadata::MetadataMap;
use tonic::Status;

/// Metadata keys that choose the database of a Flight SQL request, as InfluxDB 3 reads them.
const DATABASE_HEADERS: [&str; 4] = ["database", "bucket", "bucket-name", "iox-namespace-name"];

/// The ticket of the v3 client libraries' `query()`:
/// `{"database": "db", "sql_query": "SELECT …", "query_type": "sql", "params": {"name": value}}`.
#[derive(Debug, Deserialize)]
pub struct ClientTicket {
    #[serde(alias = "namespace_name", alias = "bucket", alias = "bucket-name")]
    pub database: String,
    pub sql_query: String,
    /// `sql` when absent.
    pub query_type: Option<String>,
    #[serde(default)]
    pub params: Option<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TicketError {
    #[error("invalid ticket: expected JSON {{\"database\": …, \"sql_query\": …, \"query_type\": \"sql\"}} or a Flight SQL ticket: {0}")]
    Json(String),
    #[error("InfluxQL is not supported: this server answers SQL only (send query_type \"sql\"; in the v3 client libraries, the default language)")]
    InfluxQl,
    #[error("unknown query_type '{0}': expected 'sql'")]
    QueryType(String),
}

impl From<TicketError> for Status {
    fn from(err: TicketError) -> Self {
        match err {
            TicketError::InfluxQl => Status::unimplemented(err.to_string()),
            TicketError::Json(_) | TicketError::QueryType(_) => {
                Status::invalid_argument(err.to_string())
            }
        }
    }
}

impl ClientTicket {
    /// Whether a ticket is JSON rather than protobuf: a protobuf `Any` starts with its type URL's
    /// field tag (0x0A), never with `{`.
    pub fn is_json(ticket: &[u8]) -> bool {
        ticket.trim_ascii_start().starts_with(b"{")
    }

    /// Reads the ticket, refusing languages other than SQL.
    pub fn parse(ticket: &[u8]) -> Result<Self, TicketError> {
        let ticket: Self =
            serde_json::from_slice(ticket).map_err(|e| TicketError::Json(e.to_string()))?;
        match ticket.query_type.as_deref() {
            None | Some("sql") => Ok(ticket),
            Some("influxql") => Err(TicketError::InfluxQl),
            Some(other) => Err(TicketError::QueryType(other.to_owned())),
        }
    }
}

/// A statement as this server hands it out in Flight SQL tickets and prepared-statement handles: the
/// database and the SQL themselves, so no state is kept between `GetFlightInfo` and `DoGet`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementHandle {
    pub database: String,
    pub sql: String,
}

impl StatementHandle {
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("two strings serialize")
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, Status> {
        serde_json::from_slice(bytes).map_err(|e| {
            Status::invalid_argument(format!(
                "invalid statement handle (not one this server handed out): {e}"
            ))
        })
    }
}

/// The database a Flight SQL request is for, from its `database` metadata (or one of the other
/// names InfluxDB 3 accepts; several must agree).
pub fn database(metadata: &MetadataMap) -> Result<String, Status> {
    let mut chosen: Option<(&str, &str)> = None;
    for key in DATABASE_HEADERS {
        let Some(value) = metadata.get(key) else {
            continue;
        };
        let value = value.to_str().map_err(|_| {
            Status::invalid_argument(format!("the '{key}' metadata is not a valid database name"))
        })?;
        match chosen {
            Some((first, name)) if name != value => {
                return Err(Status::invalid_argument(format!(
                    "the '{first}' and '{key}' metadata name different databases ('{name}' and '{value}')"
                )))
            }
            Some(_) => {}
            None => chosen = Some((key, value)),
        }
    }
    chosen.map(|(_, name)| name.to_owned()).ok_or_else(|| {
        Status::invalid_argument(
            "no database chosen: send the gRPC metadata `database: <name>` with each request \
             (ADBC: the option adbc.flight.sql.rpc.call_header.database; Grafana: a metadata entry `database`)",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic::Code;

    #[test]
    fn client_tickets() {
        let t = ClientTicket::parse(
            br#"{"database": "db", "sql_query": "SELECT 1", "query_type": "sql", "params": {"a": 1}}"#,
        )
        .unwrap();
        assert_eq!(
            (t.database.as_str(), t.sql_query.as_str()),
            ("db", "SELECT 1")
        );
        assert_eq!(t.params.unwrap()["a"], 1);
        let t = ClientTicket::parse(br#"{"bucket": "b", "sql_query": "SELECT 2"}"#).unwrap();
        assert_eq!(t.database, "b");
        assert_eq!(
            ClientTicket::parse(br#"{"database": "db", "sql_query": "SHOW MEASUREMENTS", "query_type": "influxql"}"#).unwrap_err(),
            TicketError::InfluxQl
        );
        assert!(matches!(
            ClientTicket::parse(br#"{"database": "db"}"#),
            Err(TicketError::Json(m)) if m.contains("sql_query")
        ));
        assert!(ClientTicket::is_json(b" {\"database\":1}"));
        assert!(!ClientTicket::is_json(b"\x0a\x2btype.googleapis.com/"));
        let status = Status::from(TicketError::InfluxQl);
        assert_eq!(status.code(), Code::Unimplemented);
    }

    #[test]
    fn handles_round_trip() {
        let handle = StatementHandle {
            database: "db".into(),
            sql: "SELECT \"a\" FROM t".into(),
        };
        assert_eq!(StatementHandle::decode(&handle.encode()).unwrap(), handle);
        assert_eq!(
            StatementHandle::decode(b"garbage").unwrap_err().code(),
            Code::InvalidArgument
        );
    }

    #[test]
    fn database_metadata() {
        let mut m = MetadataMap::new();
        assert!(database(&m)
            .unwrap_err()
            .message()
            .contains("no database chosen"));
        m.insert("bucket-name", "db".parse().unwrap());
        assert_eq!(database(&m).unwrap(), "db");
        m.insert("database", "db".parse().unwrap());
        assert_eq!(database(&m).unwrap(), "db");
        m.insert("iox-namespace-name", "other".parse().unwrap());
        let err = database(&m).unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument);
        assert!(
            err.message().contains("'db' and 'other'"),
            "{}",
            err.message()
        );
    }
}
