//! DNS rebinding: a page on any site can point its own name at 127.0.0.1 and then talk to a
//! loopback server as if same-origin. Its requests still carry that name in `Host`, so a server
//! without a token answers only the names of its loopback bind.
use std::net::SocketAddr;

/// The `Host` values a loopback server without a token serves.
#[derive(Debug, Clone)]
pub struct LoopbackHosts {
    allowed: Vec<String>,
}

impl LoopbackHosts {
    /// `127.0.0.1:PORT`, `localhost:PORT`, `[::1]:PORT` and the bound address itself (and the names
    /// without the port when it is 80).
    pub fn new(bound: SocketAddr) -> Self {
        let port = bound.port();
        let mut allowed = vec![
            format!("127.0.0.1:{port}"),
            format!("localhost:{port}"),
            format!("[::1]:{port}"),
            bound.to_string(),
        ];
        if port == 80 {
            allowed.extend(["127.0.0.1", "localhost", "[::1]"].map(String::from));
            allowed.push(match bound {
                SocketAddr::V4(a) => a.ip().to_string(),
                SocketAddr::V6(a) => format!("[{}]", a.ip()),
            });
        }
        allowed.sort();
        allowed.dedup();
        LoopbackHosts { allowed }
    }

    pub fn allows(&self, host: &str) -> bool {
        self.allowed.iter().any(|a| a.eq_ignore_ascii_case(host))
    }

    /// Why `host` was refused, naming what is served and the way out.
    pub fn refusal(&self, host: &str) -> String {
        format!(
            "Host '{host}' does not name this server: without --admin-token only {} are served \
             (protection against DNS rebinding); start with --admin-token to serve other names",
            self.allowed.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_names_of_the_port() {
        let hosts = LoopbackHosts::new("127.0.0.1:8181".parse().unwrap());
        for ok in [
            "127.0.0.1:8181",
            "localhost:8181",
            "LOCALHOST:8181",
            "[::1]:8181",
        ] {
            assert!(hosts.allows(ok), "{ok}");
        }
        for bad in [
            "evil.example:8181",
            "127.0.0.1:8182",
            "localhost",
            "127.0.0.1",
            "",
        ] {
            assert!(!hosts.allows(bad), "{bad}");
        }
        let on_80 = LoopbackHosts::new("127.0.0.1:80".parse().unwrap());
        assert!(on_80.allows("localhost") && on_80.allows("127.0.0.1:80"));
        assert!(hosts.refusal("evil:1").contains("--admin-token"));
    }
}
