//! Token authentication: `Authorization: Bearer|Token <t>`, Basic (token = password) and, on the
//! v1 endpoints, `?p=`. Tokens are compared in constant time and never logged.
use base64::Engine;
use subtle::ConstantTimeEq;

/// The admin token a server was started with; never empty, so no empty credential can match it.
pub struct Token(Vec<u8>);

/// `--admin-token ""` would let `p=` or Basic `user:` in: it is refused at start-up.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("--admin-token (LINEWISE_ADMIN_TOKEN) is empty: pass a non-empty token, or --without-auth to serve without authentication")]
pub struct EmptyToken;

impl Token {
    pub fn new(token: &str) -> Result<Self, EmptyToken> {
        if token.is_empty() {
            return Err(EmptyToken);
        }
        Ok(Token(token.as_bytes().to_vec()))
    }

    /// Constant time in the presented bytes; an empty credential never matches.
    pub fn matches(&self, presented: &[u8]) -> bool {
        !presented.is_empty() && bool::from(self.0.ct_eq(presented))
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum AuthHeaderError {
    Malformed,
}

/// The token of an `Authorization` header value (`None` when absent).
pub fn header_token(value: Option<&[u8]>) -> Result<Option<Vec<u8>>, AuthHeaderError> {
    let Some(value) = value else {
        return Ok(None);
    };
    let parts: Vec<&[u8]> = value.split(|&b| b == b' ').collect();
    let [scheme, token] = parts.as_slice() else {
        return Err(AuthHeaderError::Malformed);
    };
    if token.is_empty() {
        return Err(AuthHeaderError::Malformed);
    }
    match *scheme {
        b"Bearer" | b"Token" => Ok(Some(token.to_vec())),
        b"Basic" => {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(token)
                .map_err(|_| AuthHeaderError::Malformed)?;
            let colon = decoded
                .iter()
                .rposition(|&b| b == b':')
                .ok_or(AuthHeaderError::Malformed)?;
            if decoded[..colon].contains(&b':') {
                return Err(AuthHeaderError::Malformed);
            }
            Ok(Some(decoded[colon + 1..].to_vec()))
        }
        _ => Err(AuthHeaderError::Malformed),
    }
}

/// The `p` parameter of a v1 query string.
pub fn v1_password(query: Option<&str>) -> Option<Vec<u8>> {
    form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == "p")
        .map(|(_, v)| v.as_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_schemes() {
        assert_eq!(header_token(None), Ok(None));
        assert_eq!(header_token(Some(b"Bearer abc")), Ok(Some(b"abc".to_vec())));
        assert_eq!(header_token(Some(b"Token abc")), Ok(Some(b"abc".to_vec())));
        // root:secret
        assert_eq!(
            header_token(Some(b"Basic cm9vdDpzZWNyZXQ=")),
            Ok(Some(b"secret".to_vec()))
        );
        for bad in [
            &b"bearer abc"[..],
            b"Bearer",
            b"Bearer a b",
            b"Basic !!",
            b"Basic cm9vdA==",
        ] {
            assert_eq!(
                header_token(Some(bad)),
                Err(AuthHeaderError::Malformed),
                "{bad:?}"
            );
        }
        let token = Token::new("s3cret").unwrap();
        assert!(token.matches(b"s3cret"));
        assert!(!token.matches(b"s3cre"));
        assert!(!token.matches(b""));
        assert_eq!(Token::new("").err(), Some(EmptyToken));
        // Basic `u:` carries an empty password, which must not match.
        assert_eq!(header_token(Some(b"Basic dTo=")), Ok(Some(Vec::new())));
        assert_eq!(
            header_token(Some(b"Bearer ")),
            Err(AuthHeaderError::Malformed)
        );
        assert_eq!(v1_password(Some("db=x&u=a&p=t%20k")), Some(b"t k".to_vec()));
    }
}
