//! A real `linewise serve` on a free loopback port with its own data directory, stopped on drop.
use std::net::TcpListener;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub struct Server {
    pub base: String,
    pub client: reqwest::Client,
    data_dir: tempfile::TempDir,
    child: Option<Child>,
    extra_args: Vec<String>,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Server {
    /// Starts a server with an empty data directory.
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// Starts a server with extra `serve` flags.
    pub fn start_with(extra_args: &[&str]) -> Self {
        let data_dir = tempfile::tempdir().unwrap();
        let mut server = Server {
            base: String::new(),
            client: reqwest::Client::new(),
            data_dir,
            child: None,
            extra_args: extra_args.iter().map(|s| s.to_string()).collect(),
        };
        server.spawn();
        server
    }

    fn spawn(&mut self) {
        let port = free_port();
        self.base = format!("http://127.0.0.1:{port}");
        let child = Command::new(env!("CARGO_BIN_EXE_linewise"))
            .arg("serve")
            .arg("--data-dir")
            .arg(self.data_dir.path())
            .arg("--http-bind")
            .arg(format!("127.0.0.1:{port}"))
            .args(&self.extra_args)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("linewise serve starts");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "linewise serve did not listen on {port} within 30 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops the server (SIGKILL: nothing may depend on a clean shutdown) and starts it again on the
    /// same data directory.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn post(&self, path: &str, body: &str) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .body(body.to_owned())
            .send()
            .await
            .unwrap()
    }

    pub async fn write_v3(&self, db: &str, lp: &str) {
        let response = self
            .post(&format!("/api/v3/write_lp?db={db}&precision=second"), lp)
            .await;
        let status = response.status();
        assert!(
            status.is_success(),
            "write: {status} {}",
            response.text().await.unwrap()
        );
    }

    /// POSTs a query as InfluxDB 3 clients do, with a JSON body.
    pub async fn query(&self, db: &str, sql: &str, format: &str) -> reqwest::Response {
        let body = serde_json::json!({ "db": db, "q": sql, "format": format });
        self.client
            .post(self.url("/api/v3/query_sql"))
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    pub async fn query_json(&self, db: &str, sql: &str) -> serde_json::Value {
        let response = self.query(db, sql, "json").await;
        let status = response.status();
        let text = response.text().await.unwrap();
        assert_eq!(status, 200, "{sql}: {text}");
        serde_json::from_str(&text).unwrap()
    }

    /// Runs the `linewise` binary against this server.
    pub fn cli(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_linewise"))
            .args(args)
            .env("LINEWISE_HOST", &self.base)
            .output()
            .unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}
