//! Who may call Flight: the HTTP API's rules on gRPC metadata. Without a token, only the loopback
//! names of the bind are served; with one, `authorization: Bearer|Token <t>` or Basic (token as
//! password) must carry it, read by the same code as the HTTP `Authorization` header.
use hyper::header::{AUTHORIZATION, HOST};
use hyper::Request;
use tonic::Status;

use crate::http::auth::{self, AuthHeaderError};
use crate::http::AppState;

/// The gRPC service served (Flight SQL runs inside it).
const FLIGHT_SERVICE: &str = "arrow.flight.protocol.FlightService";

/// `Ok` when the request may reach the Flight service; otherwise the status to answer with.
pub fn admit<B>(state: &AppState, req: &Request<B>) -> Result<(), Status> {
    let in_flight = req
        .uri()
        .path()
        .strip_prefix('/')
        .and_then(|p| p.strip_prefix(FLIGHT_SERVICE))
        .is_some_and(|rest| rest.starts_with('/'));
    if !in_flight {
        return Err(Status::unimplemented(format!(
            "no gRPC service at {}: this server serves Arrow Flight ({FLIGHT_SERVICE}) only",
            req.uri().path(),
        )));
    }
    if let Some(hosts) = &state.hosts {
        let host = match req.uri().authority() {
            Some(a) => Some(a.as_str().to_owned()),
            None => req
                .headers()
                .get(HOST)
                .map(|h| String::from_utf8_lossy(h.as_bytes()).into_owned()),
        };
        if let Some(host) = host.filter(|h| !hosts.allows(h)) {
            return Err(Status::permission_denied(hosts.refusal(&host)));
        }
    }
    let presented = auth::header_token(req.headers().get(AUTHORIZATION).map(|v| v.as_bytes()))
        .map_err(|AuthHeaderError::Malformed| {
            Status::unauthenticated(
                "the authorization metadata is malformed: send `authorization: Bearer <token>` \
                 (also accepted: `Token <token>`, or Basic with the token as password)",
            )
        })?;
    let Some(expected) = &state.token else {
        return Ok(());
    };
    match presented {
        Some(p) if expected.matches(&p) => Ok(()),
        Some(_) => Err(Status::unauthenticated(
            "the request was not authenticated: the token in the authorization metadata is not this server's token",
        )),
        None => Err(Status::unauthenticated(
            "the request was not authenticated: send the token as gRPC metadata `authorization: Bearer <token>`",
        )),
    }
}
