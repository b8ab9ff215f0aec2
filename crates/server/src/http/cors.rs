//! CORS, off by default: the web UI is served by the server itself (same origin), so no other
//! page needs to read its answers. `--cors-allow-origin` opts in for named origins (or `*`), and
//! only then are preflights answered, for the methods and headers the API uses.
use std::time::Duration;

use axum::http::{header, HeaderName, HeaderValue, Method};
use tower_http::cors::{AllowOrigin, CorsLayer};

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum CorsError {
    #[error(
        "--cors-allow-origin {0:?} is not an origin: expected scheme://host[:port] (no path), or *"
    )]
    NotAnOrigin(String),
    #[error("--cors-allow-origin * allows every origin and cannot be combined with named origins")]
    WildcardWithOthers,
}

/// How long a browser may cache a preflight answer.
const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(86_400);

/// The layer for the configured origins; `None` when there are none (CORS off).
pub fn layer(origins: &[String]) -> Result<Option<CorsLayer>, CorsError> {
    let origins: Vec<&str> = origins
        .iter()
        .map(|o| o.trim())
        .filter(|o| !o.is_empty())
        .collect();
    if origins.is_empty() {
        return Ok(None);
    }
    let allow = if origins.contains(&"*") {
        if origins.len() > 1 {
            return Err(CorsError::WildcardWithOthers);
        }
        AllowOrigin::any()
    } else {
        let values = origins
            .iter()
            .map(|o| origin(o).ok_or_else(|| CorsError::NotAnOrigin((*o).to_owned())))
            .collect::<Result<Vec<_>, _>>()?;
        AllowOrigin::list(values)
    };
    Ok(Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([Method::GET, Method::POST, Method::DELETE])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::CONTENT_ENCODING,
                header::ACCEPT,
            ])
            .expose_headers([
                header::RETRY_AFTER,
                HeaderName::from_static("x-influxdb-version"),
                HeaderName::from_static("cluster-uuid"),
            ])
            .max_age(PREFLIGHT_MAX_AGE),
    ))
}

/// `scheme://host[:port]`, as a browser sends it in `Origin`.
fn origin(o: &str) -> Option<HeaderValue> {
    let (scheme, rest) = o.split_once("://")?;
    let valid = matches!(scheme, "http" | "https")
        && !rest.is_empty()
        && !rest.contains(['/', '?', '#', ' ', '@']);
    valid.then(|| HeaderValue::from_str(o).ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_checked() {
        assert!(layer(&[]).unwrap().is_none());
        assert!(layer(&["*".into()]).unwrap().is_some());
        assert!(layer(&["https://a.example".into(), "http://b:3000".into()])
            .unwrap()
            .is_some());
        assert_eq!(
            layer(&["*".into(), "https://a.example".into()]).err(),
            Some(CorsError::WildcardWithOthers)
        );
        for bad in ["a.example", "https://a.example/", "ftp://a", "https://"] {
            assert_eq!(
                layer(&[bad.into()]).err(),
                Some(CorsError::NotAnOrigin(bad.into())),
                "{bad}"
            );
        }
    }
}
