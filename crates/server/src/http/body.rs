//! Request bodies: size limit while streaming, a stall timeout between chunks, gzip (also limited:
//! a small body that inflates past the limit is refused), UTF-8.
use std::io::Read;
use std::time::Duration;

use axum::body::Body;
use flate2::read::MultiGzDecoder;
use http_body_util::BodyExt;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum BodyError {
    #[error("max request size ({0} bytes) exceeded")]
    TooLarge(usize),
    #[error("request body larger than {0} bytes, the limit of this endpoint (--max-other-request-size; the write endpoints take --max-request-size)")]
    EndpointTooLarge(usize),
    #[error("request body stalled: no data for {0:?} (--http-idle-timeout)")]
    Stalled(Duration),
    #[error("unacceptable content-encoding: {0}")]
    Encoding(String),
    #[error("error decoding gzip stream: {0}")]
    Gzip(std::io::Error),
    #[error("body content is not valid utf8: {error} (line {line}, column {column})")]
    Utf8 {
        error: std::str::Utf8Error,
        line: usize,
        column: usize,
    },
    /// Malformed chunked framing, or the client went away mid-body.
    #[error("cannot read the request body: {0}")]
    Read(String),
}

/// A decoded body and its size on the wire.
pub struct Decoded {
    pub raw_len: usize,
    pub bytes: Vec<u8>,
}

/// Reads at most `max` bytes (waiting at most `stall` for each chunk), then gunzips when `encoding`
/// says gzip (again at most `max`).
pub async fn read(
    body: Body,
    encoding: Option<&[u8]>,
    max: usize,
    stall: Duration,
) -> Result<Decoded, BodyError> {
    let gzip = match encoding {
        None | Some(b"identity") => false,
        Some(b"gzip") => true,
        Some(other) => {
            return Err(BodyError::Encoding(
                String::from_utf8_lossy(other).into_owned(),
            ))
        }
    };
    let raw = collect(body, max, stall)
        .await?
        .ok_or(BodyError::TooLarge(max))?;
    let raw_len = raw.len();
    if !gzip {
        return Ok(Decoded {
            raw_len,
            bytes: raw,
        });
    }
    let bytes = gunzip(&raw, max)?;
    Ok(Decoded { raw_len, bytes })
}

/// The body's bytes, `None` past `max`: read as it streams in, so a huge body costs at most `max`.
pub async fn collect(
    mut body: Body,
    max: usize,
    stall: Duration,
) -> Result<Option<Vec<u8>>, BodyError> {
    // Room for the whole body at once when its length is announced: growing by doubling held
    // up to twice a body's size, and copied it on every step.
    let announced = usize::try_from(axum::body::HttpBody::size_hint(&body).lower()).unwrap_or(0);
    let mut raw = Vec::with_capacity(announced.min(max));
    loop {
        let frame = tokio::time::timeout(stall, body.frame())
            .await
            .map_err(|_| BodyError::Stalled(stall))?;
        let Some(frame) = frame else {
            return Ok(Some(raw));
        };
        let frame = frame.map_err(|e| BodyError::Read(error_chain(&e)))?;
        if let Ok(data) = frame.into_data() {
            if raw.len() + data.len() > max {
                return Ok(None);
            }
            raw.extend_from_slice(&data);
        }
    }
}

/// An error and its causes, `: `-separated (hyper puts the framing problem in a cause).
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !out.ends_with(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        cause = c.source();
    }
    out
}

/// Inflates, reading one byte past `max` to tell a bomb from a body exactly at the limit.
pub fn gunzip(raw: &[u8], max: usize) -> Result<Vec<u8>, BodyError> {
    let mut out = Vec::with_capacity((raw.len() * 4).min(max));
    MultiGzDecoder::new(raw)
        .take(max as u64 + 1)
        .read_to_end(&mut out)
        .map_err(BodyError::Gzip)?;
    if out.len() > max {
        return Err(BodyError::TooLarge(max));
    }
    Ok(out)
}

/// The body as text, or where its first invalid byte is.
pub fn utf8(bytes: &[u8]) -> Result<&str, BodyError> {
    std::str::from_utf8(bytes).map_err(|error| {
        let valid = &bytes[..error.valid_up_to()];
        let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = valid.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        // `valid` is UTF-8 up to here, so this counts characters.
        let column = String::from_utf8_lossy(&valid[line_start..])
            .chars()
            .count()
            + 1;
        BodyError::Utf8 {
            error,
            line,
            column,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn gzip_limits_the_inflated_size() {
        let zeros = vec![b'a'; 1000];
        assert_eq!(gunzip(&gz(&zeros), 1000).unwrap().len(), 1000);
        assert!(matches!(
            gunzip(&gz(&zeros), 999),
            Err(BodyError::TooLarge(999))
        ));
        assert!(matches!(gunzip(b"not gzip", 10), Err(BodyError::Gzip(_))));
        let mut two = gz(b"a f=1\n");
        two.extend(gz(b"b f=2\n"));
        assert_eq!(gunzip(&two, 100).unwrap(), b"a f=1\nb f=2\n");
    }

    #[test]
    fn utf8_error_names_line_and_column() {
        let err = utf8(b"a f=1\nb\xc3\xa9 f=\xff").unwrap_err();
        let BodyError::Utf8 { line, column, .. } = err else {
            panic!("{err}")
        };
        assert_eq!((line, column), (2, 6));
    }
}
