//! Arrow Flight and Flight SQL on the HTTP port, as InfluxDB 3 serves them on 8181: the v3 client
//! libraries' `query()` (a `DoGet` with a JSON ticket), and Flight SQL for ADBC, Grafana and JDBC.
//!
//! The accept loop hands a request here when [`is_grpc`] says so; [`Grpc`] admits it under the same
//! host and token rules as the HTTP API ([`admit`]) and passes it to tonic. Queries run in the
//! server's query engine, under its slots, threads, memory pool, timeout and answer size limit.
mod admit;
mod encode;
mod info;
mod request;
mod service;
mod sql;
mod status;

use std::convert::Infallible;
use std::sync::Arc;

use arrow_flight::flight_service_server::FlightServiceServer;
use axum::body::Body;
use hyper::body::Incoming;
use hyper::header::CONTENT_TYPE;
use hyper::{Request, Response, Version};
use tower::ServiceExt;

use crate::http::AppState;

/// Whether a request is gRPC (HTTP/2 with a `application/grpc…` content type) rather than HTTP API.
pub fn is_grpc<B>(req: &Request<B>) -> bool {
    req.version() == Version::HTTP_2
        && req
            .headers()
            .get(CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"application/grpc"))
}

/// The Flight service of one server, cheap to clone per connection.
#[derive(Clone)]
pub struct Grpc {
    state: Arc<AppState>,
    server: FlightServiceServer<service::Service>,
}

impl Grpc {
    pub fn new(state: Arc<AppState>) -> Self {
        let server = FlightServiceServer::new(service::Service::new(Arc::clone(&state.query)));
        Grpc { state, server }
    }

    /// Answers one gRPC request; a refusal is a gRPC status, as the clients expect.
    pub async fn call(&self, req: Request<Incoming>) -> Response<Body> {
        if let Err(status) = admit::admit(&self.state, &req) {
            return status.into_http::<Body>();
        }
        let served: Result<_, Infallible> = self.server.clone().oneshot(req).await;
        match served {
            Ok(resp) => resp.map(Body::new),
            Err(never) => match never {},
        }
    }
}
