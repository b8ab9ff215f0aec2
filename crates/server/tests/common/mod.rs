//! A real `linewise serve` on a free loopback port with its own data directory, and a small
//! blocking HTTP client for talking to it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub struct Server {
    child: Child,
    pub base: String,
    pub data_dir: PathBuf,
    _tmp: Option<tempfile::TempDir>,
}

pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }
}

impl Server {
    pub fn start(extra: &[&str]) -> Server {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        let mut s = Self::start_in(&dir, extra);
        s._tmp = Some(tmp);
        s
    }

    /// Starts on `data_dir` (kept by the caller, so a restart sees the same files).
    pub fn start_in(data_dir: &Path, extra: &[&str]) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_linewise"));
        cmd.args(["serve", "--http-bind", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir);
        if !extra.contains(&"--ui-dir") {
            cmd.arg("--ui-dir").arg(data_dir.join("no-ui"));
        }
        // `rows` counts buffered rows: unless a test persists on purpose, keep them buffered.
        if !extra.contains(&"--persist-interval") {
            cmd.args(["--persist-interval", "1h"]);
        }
        let mut child = cmd
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn linewise serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let base = line
            .trim()
            .strip_prefix("linewise listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_string();
        Server {
            child,
            base,
            data_dir: data_dir.to_path_buf(),
            _tmp: None,
        }
    }

    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Reply {
        let mut req = ureq::request(method, &format!("{}{path}", self.base));
        for (k, v) in headers {
            req = req.set(k, v);
        }
        let resp = match req.send_bytes(body) {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{method} {path}: {e}"),
        };
        let status = resp.status();
        let headers = resp
            .headers_names()
            .into_iter()
            .map(|n| {
                let v = resp.header(&n).unwrap_or_default().to_string();
                (n, v)
            })
            .collect();
        let body = resp.into_string().unwrap_or_default();
        Reply {
            status,
            headers,
            body,
        }
    }

    pub fn post(&self, path: &str, body: &str) -> Reply {
        self.request("POST", path, &[], body.as_bytes())
    }

    pub fn get(&self, path: &str) -> Reply {
        self.request("GET", path, &[], b"")
    }

    /// Rows buffered for `db.table`, read from `/metrics`.
    pub fn rows(&self, db: &str, table: &str, auth: &[(&str, &str)]) -> u64 {
        let m = self.request("GET", "/metrics", auth, b"");
        assert_eq!(m.status, 200, "{}", m.body);
        let key = format!("linewise_buffer_rows{{db=\"{db}\",table=\"{table}\"}} ");
        m.body
            .lines()
            .find_map(|l| l.strip_prefix(&key))
            .map_or(0, |v| v.parse().unwrap())
    }

    /// Rows stored for `db.table`, buffered or persisted, counted with SQL. After a restart this is
    /// the count to use: the replayed WAL segments are persisted (and leave the buffer) at once.
    pub fn stored_rows(&self, db: &str, table: &str) -> u64 {
        let r = self.query(
            db,
            &format!("SELECT count(*) AS n FROM \"{table}\""),
            "json",
        );
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()[0]["n"].as_u64().unwrap()
    }

    /// `POST /api/v3/query_sql` with a JSON body.
    pub fn query(&self, db: &str, sql: &str, format: &str) -> Reply {
        let body = serde_json::json!({ "db": db, "q": sql, "format": format }).to_string();
        self.request(
            "POST",
            "/api/v3/query_sql",
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        )
    }

    pub fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// The home sample data of the InfluxDB "get started" docs (26 lines, second precision).
pub const HOME: &str = "
home,room=Living\\ Room temp=21.1,hum=35.9,co=0i 1641024000
home,room=Kitchen temp=21.0,hum=35.9,co=0i 1641024000
home,room=Living\\ Room temp=21.4,hum=35.9,co=0i 1641027600
home,room=Kitchen temp=23.0,hum=36.2,co=0i 1641027600
home,room=Living\\ Room temp=21.8,hum=36.0,co=0i 1641031200
home,room=Kitchen temp=22.7,hum=36.1,co=0i 1641031200
home,room=Living\\ Room temp=22.2,hum=36.0,co=0i 1641034800
home,room=Kitchen temp=22.4,hum=36.0,co=0i 1641034800
home,room=Living\\ Room temp=22.2,hum=35.9,co=0i 1641038400
home,room=Kitchen temp=22.5,hum=36.0,co=0i 1641038400
home,room=Living\\ Room temp=22.4,hum=36.0,co=0i 1641042000
home,room=Kitchen temp=22.8,hum=36.5,co=1i 1641042000
home,room=Living\\ Room temp=22.3,hum=36.1,co=0i 1641045600
home,room=Kitchen temp=22.8,hum=36.3,co=1i 1641045600
home,room=Living\\ Room temp=22.3,hum=36.1,co=1i 1641049200
home,room=Kitchen temp=22.7,hum=36.2,co=3i 1641049200
home,room=Living\\ Room temp=22.4,hum=36.0,co=4i 1641052800
home,room=Kitchen temp=22.4,hum=36.0,co=7i 1641052800
home,room=Living\\ Room temp=22.6,hum=35.9,co=5i 1641056400
home,room=Kitchen temp=22.7,hum=36.0,co=9i 1641056400
home,room=Living\\ Room temp=22.8,hum=36.2,co=9i 1641060000
home,room=Kitchen temp=23.3,hum=36.9,co=18i 1641060000
home,room=Living\\ Room temp=22.5,hum=36.3,co=14i 1641063600
home,room=Kitchen temp=23.1,hum=36.6,co=22i 1641063600
home,room=Living\\ Room temp=22.2,hum=36.4,co=17i 1641067200
home,room=Kitchen temp=22.7,hum=36.5,co=26i 1641067200
";
