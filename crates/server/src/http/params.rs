//! Query parameters of the write endpoints, with InfluxDB 3's defaults and error texts.
use linewise_core::Precision;

/// Parsed `/api/v3/write_lp` parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct V3Params {
    pub db: String,
    pub precision: Precision,
    pub accept_partial: bool,
    pub no_sync: bool,
}

/// Parsed `/api/v2/write` and `/write` parameters (always all-or-nothing and synced).
#[derive(Debug, Clone, PartialEq)]
pub struct CompatParams {
    pub db: String,
    pub precision: Precision,
}

/// InfluxDB 3's error texts list the spellings in the order of its own enums' names and aliases:
/// kept verbatim here (the spellings themselves are the core's, [`Precision::parse`]).
const V3_PRECISIONS: &str =
    "`auto`, `s`, `second`, `millisecond`, `ms`, `microsecond`, `u`, `us`, `n`, `nanosecond`, `ns`";
const COMPAT_PRECISIONS: &str =
    "`s`, `second`, `ms`, `millisecond`, `us`, `u`, `microsecond`, `ns`, `n`, `nanosecond`";

/// A precision of [`Precision::CHOICES`] by any of its spellings; `Auto` only where `auto` holds.
fn precision(v: &str, auto: bool) -> Option<Precision> {
    Precision::parse(v)
        .filter(|p| Precision::CHOICES.contains(p) && (auto || *p != Precision::Auto))
}

/// Decoded pairs, refusing a repeated known key the way serde does.
fn pairs(query: &str, known: &[&str]) -> Result<Vec<(String, String)>, String> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        if known.contains(&k.as_ref()) && out.iter().any(|(seen, _)| *seen == k) {
            return Err(format!("duplicate field `{k}`"));
        }
        out.push((k.into_owned(), v.into_owned()));
    }
    Ok(out)
}

fn get<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn boolean(v: Option<&str>, default: bool) -> Result<bool, String> {
    match v {
        None => Ok(default),
        Some("true") => Ok(true),
        Some("false") => Ok(false),
        Some(_) => Err("provided string was not `true` or `false`".into()),
    }
}

/// `/api/v3/write_lp`: errors are the plain-text bodies of a 400.
pub fn v3(query: Option<&str>) -> Result<V3Params, String> {
    let Some(query) = query else {
        return Err("missing query parameter 'db'".into());
    };
    let serde = |e: String| format!("serde error: {e}");
    let p = pairs(query, &["db", "precision", "accept_partial", "no_sync"]).map_err(serde)?;
    let db = get(&p, "db").ok_or_else(|| serde("missing field `db`".into()))?;
    let precision = match get(&p, "precision") {
        None => Precision::Auto,
        Some(v) => precision(v, true).ok_or_else(|| {
            serde(format!(
                "unknown variant `{v}`, expected one of {V3_PRECISIONS}"
            ))
        })?,
    };
    Ok(V3Params {
        db: db.into(),
        precision,
        accept_partial: boolean(get(&p, "accept_partial"), true).map_err(serde)?,
        no_sync: boolean(get(&p, "no_sync"), false).map_err(serde)?,
    })
}

fn compat_precision(p: &[(String, String)], what: &str) -> Result<Precision, String> {
    match get(p, "precision") {
        None => Ok(Precision::Nanosecond),
        Some(v) => precision(v, false).ok_or_else(|| {
            format!(
                "failed to deserialize {what} in request: unknown variant `{v}`, expected one of {COMPAT_PRECISIONS}"
            )
        }),
    }
}

/// `/api/v2/write`: `bucket` names the database, `org` is ignored, precision defaults to ns.
pub fn v2(query: Option<&str>) -> Result<CompatParams, String> {
    const WHAT: &str = "org/bucket/precision";
    let Some(query) = query else {
        return Err("no org/bucket destination provided".into());
    };
    let p = pairs(query, &["bucket", "org", "precision"])
        .map_err(|e| format!("failed to deserialize {WHAT} in request: {e}"))?;
    let db = match get(&p, "bucket") {
        Some(b) if !b.is_empty() => b,
        _ => return Err("missing bucket value".into()),
    };
    Ok(CompatParams {
        db: db.into(),
        precision: compat_precision(&p, WHAT)?,
    })
}

/// `/write` (v1): `rp` other than the default names the database `db/rp`.
pub fn v1(query: Option<&str>) -> Result<CompatParams, String> {
    const WHAT: &str = "db/rp/precision";
    let Some(query) = query else {
        return Err("no db destination provided".into());
    };
    let p = pairs(query, &["db", "rp", "precision"])
        .map_err(|e| format!("failed to deserialize {WHAT} in request: {e}"))?;
    let db = get(&p, "db")
        .ok_or_else(|| format!("failed to deserialize {WHAT} in request: missing field `db`"))?;
    let db = match get(&p, "rp").map(str::to_lowercase).as_deref() {
        None | Some("") | Some("''") | Some("autogen") | Some("default") => db.to_string(),
        Some(rp) => format!("{db}/{rp}"),
    };
    Ok(CompatParams {
        db,
        precision: compat_precision(&p, WHAT)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v3_defaults_and_errors() {
        let p = v3(Some("db=sensors")).unwrap();
        assert_eq!(p.precision, Precision::Auto);
        assert!(p.accept_partial && !p.no_sync);
        let p = v3(Some(
            "db=a&precision=second&accept_partial=false&no_sync=true&x=1",
        ))
        .unwrap();
        assert_eq!(p.precision, Precision::Second);
        assert!(!p.accept_partial && p.no_sync);
        assert_eq!(v3(None).unwrap_err(), "missing query parameter 'db'");
        assert_eq!(
            v3(Some("x=1")).unwrap_err(),
            "serde error: missing field `db`"
        );
        assert_eq!(
            v3(Some("db=a&precision=h")).unwrap_err(),
            format!("serde error: unknown variant `h`, expected one of {V3_PRECISIONS}")
        );
        assert_eq!(
            v3(Some("db=a&accept_partial=1")).unwrap_err(),
            "serde error: provided string was not `true` or `false`"
        );
        assert_eq!(
            v3(Some("db=a&db=b")).unwrap_err(),
            "serde error: duplicate field `db`"
        );
    }

    #[test]
    fn compat_endpoints() {
        assert_eq!(
            v2(Some("bucket=b&org=o")).unwrap().precision,
            Precision::Nanosecond
        );
        assert_eq!(v2(Some("org=o")).unwrap_err(), "missing bucket value");
        assert!(v2(Some("bucket=b&precision=auto")).is_err());
        assert_eq!(v1(Some("db=d&rp=autogen")).unwrap().db, "d");
        assert_eq!(v1(Some("db=d&rp=Weekly")).unwrap().db, "d/weekly");
        assert_eq!(v1(None).unwrap_err(), "no db destination provided");
        assert!(v1(Some("db=d&precision=m"))
            .unwrap_err()
            .contains("unknown variant `m`"));
        assert_eq!(
            v1(Some("db=d&precision=s")).unwrap().precision,
            Precision::Second
        );
    }
}
