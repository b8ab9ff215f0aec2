//! Flight SQL: statements (`CommandStatementQuery` → `GetFlightInfo` → `DoGet`), prepared statements
//! (what ADBC's `cursor.execute` sends), and the metadata commands tools call on connect. Tickets and
//! handles carry the database and the SQL ([`StatementHandle`]), so nothing is kept between calls.
use std::pin::Pin;
use std::sync::Arc;

use arrow::datatypes::Schema;
use arrow::ipc::writer::IpcWriteOptions;
use arrow_flight::error::FlightError;
use arrow_flight::flight_service_server::FlightService;
use arrow_flight::sql::metadata::{GetDbSchemasBuilder, SqlInfoData};
use arrow_flight::sql::server::{FlightSqlService, PeekableFlightDataStream};
use arrow_flight::sql::{
    ActionClosePreparedStatementRequest, ActionCreatePreparedStatementRequest,
    ActionCreatePreparedStatementResult, CommandGetCatalogs, CommandGetDbSchemas,
    CommandGetSqlInfo, CommandGetTableTypes, CommandGetTables, CommandPreparedStatementQuery,
    CommandStatementQuery, DoPutPreparedStatementResult, ProstMessageExt, SqlInfo,
    TicketStatementQuery,
};
use arrow_flight::{
    FlightDescriptor, FlightEndpoint, FlightInfo, HandshakeRequest, HandshakeResponse, IpcMessage,
    SchemaAsIpc, Ticket,
};
use futures::Stream;
use hyper::header::AUTHORIZATION;
use prost::Message;
use tonic::metadata::MetadataValue;
use tonic::{Request, Response, Status, Streaming};

use super::encode::{self, flight_schema, FlightDataStream};
use super::request::{database, StatementHandle};
use super::status::query_status;
use crate::http::auth;
use crate::query::QueryEngine;

/// Table types, as `information_schema.tables` names them.
const TABLE_TYPES: [&str; 2] = ["BASE TABLE", "VIEW"];

pub struct FlightSql {
    engine: Arc<QueryEngine>,
    info: SqlInfoData,
}

impl FlightSql {
    pub fn new(engine: Arc<QueryEngine>) -> Self {
        FlightSql {
            engine,
            info: super::info::sql_info(),
        }
    }

    /// Runs a statement and streams its answer.
    pub async fn run(
        &self,
        db: &str,
        sql: &str,
        params: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<FlightDataStream, Status> {
        let answer = self
            .engine
            .execute_batches(db, sql, params)
            .await
            .map_err(|e| query_status(&e))?;
        Ok(encode::answer(answer, self.engine.max_response_size()))
    }

    async fn run_handle(&self, handle: &StatementHandle) -> Result<FlightDataStream, Status> {
        self.run(&handle.database, &handle.sql, &serde_json::Map::new())
            .await
    }

    /// The answer schema of `sql` on the request's database, and the handle that runs it.
    async fn plan<T>(
        &self,
        request: &Request<T>,
        sql: &str,
    ) -> Result<(Arc<Schema>, StatementHandle), Status> {
        let db = database(request.metadata())?;
        let schema = self
            .engine
            .plan_schema(&db, sql, &serde_json::Map::new())
            .await
            .map_err(|e| query_status(&e))?;
        let handle = StatementHandle {
            database: db,
            sql: sql.to_owned(),
        };
        Ok((flight_schema(&schema), handle))
    }

    /// The `FlightInfo` of a statement: one endpoint on this server, its ticket the handle.
    fn statement_info(
        schema: &Schema,
        handle: &StatementHandle,
        descriptor: FlightDescriptor,
    ) -> Result<FlightInfo, Status> {
        let ticket = TicketStatementQuery {
            statement_handle: handle.encode().into(),
        };
        Self::info(ticket, schema, descriptor)
    }

    /// A `FlightInfo` whose one endpoint's ticket is `command`, answered by `DoGet`.
    fn info(
        command: impl ProstMessageExt,
        schema: &Schema,
        descriptor: FlightDescriptor,
    ) -> Result<FlightInfo, Status> {
        let ticket = Ticket::new(command.as_any().encode_to_vec());
        FlightInfo::new()
            .try_with_schema(schema)
            .map_err(|e| Status::internal(format!("encoding the answer schema: {e}")))
            .map(|info| {
                info.with_endpoint(FlightEndpoint::new().with_ticket(ticket))
                    .with_descriptor(descriptor)
            })
    }
}

fn build_error(e: FlightError) -> Status {
    Status::internal(format!("building the metadata answer: {e}"))
}

type Answer = Result<Response<<FlightSql as FlightService>::DoGetStream>, Status>;

#[tonic::async_trait]
impl FlightSqlService for FlightSql {
    type FlightService = FlightSql;

    /// Authentication happened before (see `admit`): the token presented is handed back as the
    /// bearer token to use, as InfluxDB 3 does for JDBC and ADBC username/password logins.
    async fn do_handshake(
        &self,
        request: Request<Streaming<HandshakeRequest>>,
    ) -> Result<
        Response<Pin<Box<dyn Stream<Item = Result<HandshakeResponse, Status>> + Send>>>,
        Status,
    > {
        let token = auth::header_token(
            request
                .metadata()
                .get(AUTHORIZATION.as_str())
                .map(|v| v.as_bytes()),
        )
        .ok()
        .flatten();
        let first = request
            .into_inner()
            .message()
            .await?
            .ok_or_else(|| Status::invalid_argument("the handshake sent no message"))?;
        let reply = HandshakeResponse {
            protocol_version: first.protocol_version,
            payload: first.payload,
        };
        let stream: Pin<Box<dyn Stream<Item = _> + Send>> =
            Box::pin(futures::stream::once(async { Ok(reply) }));
        let mut response = Response::new(stream);
        if let Some(token) = token {
            let mut value = b"Bearer ".to_vec();
            value.extend_from_slice(&token);
            let value = MetadataValue::try_from(value.as_slice())
                .map_err(|_| Status::invalid_argument("the token is not valid metadata"))?;
            response
                .metadata_mut()
                .insert(AUTHORIZATION.as_str(), value);
        }
        Ok(response)
    }

    async fn get_flight_info_statement(
        &self,
        query: CommandStatementQuery,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let (schema, handle) = self.plan(&request, &query.query).await?;
        let info = Self::statement_info(&schema, &handle, request.into_inner())?;
        Ok(Response::new(info))
    }

    async fn get_flight_info_prepared_statement(
        &self,
        query: CommandPreparedStatementQuery,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let handle = StatementHandle::decode(&query.prepared_statement_handle)?;
        let schema = self
            .engine
            .plan_schema(&handle.database, &handle.sql, &serde_json::Map::new())
            .await
            .map_err(|e| query_status(&e))?;
        let info = Self::statement_info(&flight_schema(&schema), &handle, request.into_inner())?;
        Ok(Response::new(info))
    }

    async fn do_get_statement(
        &self,
        ticket: TicketStatementQuery,
        _request: Request<Ticket>,
    ) -> Answer {
        let handle = StatementHandle::decode(&ticket.statement_handle)?;
        Ok(Response::new(self.run_handle(&handle).await?))
    }

    async fn do_get_prepared_statement(
        &self,
        query: CommandPreparedStatementQuery,
        _request: Request<Ticket>,
    ) -> Answer {
        let handle = StatementHandle::decode(&query.prepared_statement_handle)?;
        Ok(Response::new(self.run_handle(&handle).await?))
    }

    async fn do_action_create_prepared_statement(
        &self,
        query: ActionCreatePreparedStatementRequest,
        request: Request<arrow_flight::Action>,
    ) -> Result<ActionCreatePreparedStatementResult, Status> {
        let (schema, handle) = self.plan(&request, &query.query).await?;
        let IpcMessage(dataset_schema) = SchemaAsIpc::new(&schema, &IpcWriteOptions::default())
            .try_into()
            .map_err(|e: arrow::error::ArrowError| {
                Status::internal(format!("encoding the answer schema: {e}"))
            })?;
        Ok(ActionCreatePreparedStatementResult {
            prepared_statement_handle: handle.encode().into(),
            dataset_schema,
            parameter_schema: Default::default(),
        })
    }

    async fn do_put_prepared_statement_query(
        &self,
        _query: CommandPreparedStatementQuery,
        _request: Request<PeekableFlightDataStream>,
    ) -> Result<DoPutPreparedStatementResult, Status> {
        Err(Status::unimplemented(
            "binding parameters to a Flight SQL prepared statement is not supported: put the values \
             in the SQL, or use the v3 client libraries' query parameters ($name in the SQL)",
        ))
    }

    /// Handles hold no server state: closing one frees nothing.
    async fn do_action_close_prepared_statement(
        &self,
        _query: ActionClosePreparedStatementRequest,
        _request: Request<arrow_flight::Action>,
    ) -> Result<(), Status> {
        Ok(())
    }

    async fn get_flight_info_catalogs(
        &self,
        query: CommandGetCatalogs,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let schema = query.into_builder().schema();
        Ok(Response::new(Self::info(
            query,
            &schema,
            request.into_inner(),
        )?))
    }

    async fn do_get_catalogs(
        &self,
        query: CommandGetCatalogs,
        _request: Request<Ticket>,
    ) -> Answer {
        let mut builder = query.into_builder();
        builder.append(self.engine.catalog_name());
        Ok(Response::new(encode::batch(
            builder.build().map_err(build_error)?,
        )))
    }

    async fn get_flight_info_schemas(
        &self,
        query: CommandGetDbSchemas,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let schema = query.clone().into_builder().schema();
        Ok(Response::new(Self::info(
            query,
            &schema,
            request.into_inner(),
        )?))
    }

    /// Every database has the same schemas (its tables are in `iox`).
    async fn do_get_schemas(
        &self,
        query: CommandGetDbSchemas,
        _request: Request<Ticket>,
    ) -> Answer {
        let mut builder: GetDbSchemasBuilder = query.into_builder();
        for schema in self.engine.schema_names() {
            builder.append(self.engine.catalog_name(), schema);
        }
        Ok(Response::new(encode::batch(
            builder.build().map_err(build_error)?,
        )))
    }

    async fn get_flight_info_tables(
        &self,
        query: CommandGetTables,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        // Checked here too, so a missing database is told before any data is asked for.
        database(request.metadata())?;
        let schema = query.clone().into_builder().schema();
        Ok(Response::new(Self::info(
            query,
            &schema,
            request.into_inner(),
        )?))
    }

    async fn do_get_tables(&self, query: CommandGetTables, request: Request<Ticket>) -> Answer {
        let db = database(request.metadata())?;
        let tables = self
            .engine
            .tables(&db, query.include_schema)
            .await
            .map_err(|e| query_status(&e))?;
        let mut builder = query.into_builder();
        for table in tables {
            builder
                .append(
                    table.catalog,
                    table.schema_name,
                    &table.name,
                    table.table_type,
                    &flight_schema(&table.schema),
                )
                .map_err(build_error)?;
        }
        Ok(Response::new(encode::batch(
            builder.build().map_err(build_error)?,
        )))
    }

    async fn get_flight_info_table_types(
        &self,
        query: CommandGetTableTypes,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let schema = query.into_builder().schema();
        Ok(Response::new(Self::info(
            query,
            &schema,
            request.into_inner(),
        )?))
    }

    async fn do_get_table_types(
        &self,
        query: CommandGetTableTypes,
        _request: Request<Ticket>,
    ) -> Answer {
        let mut builder = query.into_builder();
        for table_type in TABLE_TYPES {
            builder.append(table_type);
        }
        Ok(Response::new(encode::batch(
            builder.build().map_err(build_error)?,
        )))
    }

    async fn get_flight_info_sql_info(
        &self,
        query: CommandGetSqlInfo,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let schema = query.clone().into_builder(&self.info).schema();
        Ok(Response::new(Self::info(
            query,
            &schema,
            request.into_inner(),
        )?))
    }

    async fn do_get_sql_info(&self, query: CommandGetSqlInfo, _request: Request<Ticket>) -> Answer {
        let batch = query
            .into_builder(&self.info)
            .build()
            .map_err(build_error)?;
        Ok(Response::new(encode::batch(batch)))
    }

    /// The answers are fixed; nothing is registered at run time.
    async fn register_sql_info(&self, _id: i32, _result: &SqlInfo) {}
}
