"""Hostile HTTP: auth, CORS and Host, connection governance, body limits and framing (issue 12,
items 6, 8, 9, 11 and part of 13), and the HTTP classes that already held (path traversal, auth on
every endpoint, gzip bombs, bad gzip, slow bodies). Each test ends by checking that every row the
server acknowledged is still there."""
import base64
import gzip
import http.client
import json
import os
import socket
import subprocess
import threading
import time

import pytest

from conftest import HealthProbe, Server, raw_socket

TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def ack(server, body, db="hostile", headers=None):
    """Writes lines that must be acknowledged; returns how many."""
    status, _, text = server.write(body, db=db, headers=headers)
    assert status == 204, text
    return body.count("\n") + (0 if body.endswith("\n") else 1)


def count(server, table, headers=None, db="hostile"):
    status, _, body = server.request(
        "POST", "/api/v3/query_sql", json.dumps({"db": db, "q": f'SELECT count(*) AS n FROM "{table}"'}),
        {"Content-Type": "application/json", **(headers or {})})
    assert status == 200, body
    return json.loads(body)[0]["n"]


def assert_kept(server, table, n, headers=None):
    """The acknowledged rows are there, and still after a restart."""
    assert count(server, table, headers) == n
    server.restart()
    assert count(server, table, headers) == n


def rss_kb(server):
    with open(f"/proc/{server.proc.pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def raw_exchange(server, data, timeout=10):
    """Sends raw bytes, returns everything the server answers until it closes or goes quiet."""
    s = raw_socket(server, timeout=timeout)
    try:
        s.sendall(data)
        out = b""
        while True:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            out += chunk
            if b"\r\n\r\n" in out and len(out) > 200:
                break
        return out
    finally:
        s.close()


def start_fails(tmp_path, *args, env=None):
    proc = subprocess.run(
        [os.environ["LINEWISE_BIN"], "serve", "--http-bind", "127.0.0.1:0", "--data-dir", str(tmp_path / "d"),
         *args], capture_output=True, text=True, timeout=30, env={**os.environ, **(env or {})})
    assert proc.returncode == 2, proc.stdout + proc.stderr
    return proc.stderr


# --- item 6: empty tokens and empty credentials -------------------------------------------------

def test_empty_admin_token_refused_at_start(tmp_path):
    for args, env in [(["--admin-token", ""], None), ([], {"LINEWISE_ADMIN_TOKEN": ""})]:
        err = start_fails(tmp_path, *args, env=env)
        assert "--admin-token (LINEWISE_ADMIN_TOKEN) is empty" in err, err


def test_empty_credentials_never_match(tmp_path):
    s = Server(tmp_path / "data", "--admin-token", TOKEN)
    try:
        n = ack(s, "auth f=1i 1\n", headers=AUTH)
        empty_basic = base64.b64encode(b"u:").decode()
        attempts = [
            ("POST", "/write?db=hostile&p=", {}, 401),
            ("POST", "/write?db=hostile&u=u&p=", {}, 401),
            ("POST", "/api/v3/write_lp?db=hostile", {"Authorization": f"Basic {empty_basic}"}, 401),
            ("GET", "/api/v3/configure/database?format=json", {"Authorization": f"Basic {empty_basic}"}, 401),
            ("POST", "/api/v3/write_lp?db=hostile", {"Authorization": "Bearer "}, 400),
            ("POST", "/api/v3/write_lp?db=hostile", {"Authorization": "Token "}, 400),
        ]
        for method, path, headers, want in attempts:
            status, _, body = s.request(method, path, b"auth f=2i 2\n", headers)
            assert status == want, (path, headers, status, body)
            if want == 401:
                assert "the request was not authenticated" in body
        assert_kept(s, "auth", n, AUTH)
    finally:
        s.kill()


# --- item 11: CORS and Host -----------------------------------------------------------------------

def test_no_cors_by_default(server):
    n = ack(server, "cors f=1i 1\n")
    status, h, _ = server.request("GET", "/health", headers={"Origin": "https://evil.example"})
    assert status == 200 and "access-control-allow-origin" not in h
    status, h, _ = server.request("OPTIONS", "/api/v3/write_lp?db=hostile", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert status == 404 and not any(k.startswith("access-control-") for k in h), (status, h)
    assert_kept(server, "cors", n)


def test_cors_opt_in(tmp_path):
    s = Server(tmp_path / "data", "--cors-allow-origin", "https://app.example,http://localhost:3000")
    try:
        n = ack(s, "cors f=1i 1\n")
        status, h, _ = s.request("OPTIONS", "/api/v3/write_lp?db=hostile", headers={
            "Origin": "https://app.example", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type"})
        assert status == 200, status
        assert h["access-control-allow-origin"] == "https://app.example"
        assert set(h["access-control-allow-methods"].replace(" ", "").split(",")) == {"GET", "POST", "DELETE"}
        assert "authorization" in h["access-control-allow-headers"].lower()
        status, h, _ = s.request("GET", "/health", headers={"Origin": "https://evil.example"})
        assert status == 200 and "access-control-allow-origin" not in h
        status, h, _ = s.request("GET", "/health", headers={"Origin": "http://localhost:3000"})
        assert h["access-control-allow-origin"] == "http://localhost:3000"
        assert_kept(s, "cors", n)
    finally:
        s.kill()
    err = start_fails(tmp_path, "--cors-allow-origin", "app.example")
    assert "--cors-allow-origin \"app.example\" is not an origin" in err, err
    s = Server(tmp_path / "data2", "--cors-allow-origin", "*")
    try:
        _, h, _ = s.request("GET", "/health", headers={"Origin": "https://any.example"})
        assert h["access-control-allow-origin"] == "*"
    finally:
        s.kill()


def test_foreign_host_refused_without_auth(tmp_path, server):
    n = ack(server, "host f=1i 1\n")
    for host in ["evil.example", "evil.example:%d" % server.port, "127.0.0.1:1", "localhost"]:
        status, _, body = server.request("POST", "/api/v3/write_lp?db=hostile", b"host f=2i 2\n", {"Host": host})
        assert status == 421, (host, status, body)
        assert f"Host '{host}' does not name this server" in body and "--admin-token" in body
        status, _, _ = server.request("GET", "/api/v3/configure/database?format=json", headers={"Host": host})
        assert status == 421
    for host in [f"localhost:{server.port}", f"[::1]:{server.port}", f"127.0.0.1:{server.port}"]:
        status, _, body = server.request("GET", "/health", headers={"Host": host})
        assert status == 200, (host, body)
    assert_kept(server, "host", n)
    s = Server(tmp_path / "authed", "--admin-token", TOKEN)
    try:
        status, _, body = s.request("POST", "/api/v3/write_lp?db=hostile", b"host f=3i 3\n",
                                    {"Host": "linewise.internal:8181", **AUTH})
        assert status == 204, body
        assert_kept(s, "host", 1, AUTH)
    finally:
        s.kill()


# --- item 8: connection governance ----------------------------------------------------------------

def test_half_open_requests_do_not_lock_out(server):
    n = ack(server, "conns f=1i 1\n")
    socks = []
    try:
        with HealthProbe(server) as probe:
            for _ in range(1100):
                s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
                s.sendall(b"POST /api/v3/write_lp?db=hostile HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le")
                socks.append(s)
            n += ack(server, "conns f=2i 2\n")
            time.sleep(0.3)
        probe.check()
    finally:
        for s in socks:
            s.close()
    assert server.alive()
    assert_kept(server, "conns", n)


def test_idle_and_half_open_connections_are_closed(tmp_path):
    s = Server(tmp_path / "data", "--http-idle-timeout", "1s", "--http-header-timeout", "2s")
    try:
        n = ack(s, "idle f=1i 1\n")
        conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)
        conn.request("GET", "/health")
        assert conn.getresponse().read() == b"OK"
        idle = conn.sock
        half = raw_socket(s)
        half.sendall(b"GET /health HTTP/1.1\r\nHo")
        start = time.monotonic()
        assert idle.recv(1) == b"", "the idle keep-alive connection was not closed"
        assert half.recv(1024) == b""
        took = time.monotonic() - start
        assert 0.5 < took < 4, took
        conn.close()
        half.close()
        assert_kept(s, "idle", n)
    finally:
        s.kill()


def test_connection_cap(tmp_path):
    s = Server(tmp_path / "data", "--max-connections", "4", "--http-idle-timeout", "2s")
    try:
        n = ack(s, "cap f=1i 1\n")
        held = [raw_socket(s) for _ in range(4)]
        time.sleep(0.2)
        extra = raw_socket(s)
        extra.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        start = time.monotonic()
        try:
            got = extra.recv(1024)
        except ConnectionResetError:
            got = b""
        assert got == b"", "a connection over --max-connections was served"
        assert 0.5 < time.monotonic() - start < 3
        for h in held:
            h.close()
        time.sleep(0.3)
        assert s.health_seconds() < 1
        assert_kept(s, "cap", n)
    finally:
        s.kill()


# --- item 9: body limits on every endpoint --------------------------------------------------------

def send_huge(server, path, declared, sent_mib):
    """Announces `declared` bytes, sends up to `sent_mib` MiB, returns the status line and body."""
    s = raw_socket(server, timeout=20)
    try:
        s.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nContent-Type: application/json\r\n"
                  f"Content-Length: {declared}\r\n\r\n".encode())
        chunk = b"x" * (1 << 20)
        try:
            for _ in range(sent_mib):
                s.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        out = b""
        try:
            while b"\r\n\r\n" not in out or len(out.split(b"\r\n\r\n", 1)[1]) < 20:
                data = s.recv(65536)
                if not data:
                    break
                out += data
        except (ConnectionResetError, socket.timeout):
            pass
        return out.decode(errors="replace")
    finally:
        s.close()


@pytest.mark.parametrize("path", ["/api/v3/query_sql", "/api/v3/configure/database"])
def test_huge_body_to_non_write_endpoint(server, path):
    n = ack(server, "big f=1i 1\n")
    for declared, sent in [(1 << 30, 64), ("chunked", 64)]:
        if declared == "chunked":
            out = send_chunked(server, path, sent)
        else:
            out = send_huge(server, path, declared, sent)
        assert out.startswith("HTTP/1.1 413"), out[:300]
        assert "1048576 bytes" in out and "--max-other-request-size" in out
        assert rss_kb(server) < 200 * 1024, rss_kb(server)
    assert_kept(server, "big", n)


def send_chunked(server, path, mib):
    s = raw_socket(server, timeout=20)
    try:
        s.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
                  "Transfer-Encoding: chunked\r\n\r\n".encode())
        chunk = b"100000\r\n" + b"x" * (1 << 20) + b"\r\n"
        try:
            for _ in range(mib):
                s.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        out = b""
        try:
            while True:
                data = s.recv(65536)
                if not data:
                    break
                out += data
                if b"--max-other" in out:
                    break
        except (ConnectionResetError, socket.timeout):
            pass
        return out.decode(errors="replace")
    finally:
        s.close()


# --- item 13: BOM and chunked framing -------------------------------------------------------------

def test_bom_is_skipped(server):
    status, _, body = server.write("\ufeffbom f=1i 1\nbom f=2i 2\n".encode())
    assert status == 204, body
    status, _, body = server.write(gzip.compress("\ufeffbom f=3i 3\n".encode()),
                                   headers={"Content-Encoding": "gzip"})
    assert status == 204, body
    status, _, body = server.write("\ufeffbom f=\n".encode())
    assert status == 400 and '"line_number":1' in body.replace(" ", ""), body
    assert count(server, "bom") == 3
    status, body = server.query("SELECT table_name FROM information_schema.tables WHERE table_name LIKE '%bom'")
    assert status == 200 and [r["table_name"] for r in body] == ["bom"], body
    assert_kept(server, "bom", 3)


def test_bad_chunked_framing_is_400(server):
    n = ack(server, "chunk f=1i 1\n")
    for path in ["/api/v3/write_lp?db=hostile", "/api/v3/query_sql"]:
        req = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nTransfer-Encoding: chunked\r\n\r\n"
               "5\r\nchunk\r\nzz\r\nf=2i\r\n0\r\n\r\n").encode()
        out = raw_exchange(server, req).decode(errors="replace")
        assert out.startswith("HTTP/1.1 400"), out
        assert "cannot read the request body" in out, out
    assert_kept(server, "chunk", n)


# --- classes that already held --------------------------------------------------------------------

def test_path_traversal_on_ui_route(tmp_path):
    data = tmp_path / "data"
    ui = tmp_path / "ui"
    ui.mkdir()
    (ui / "index.html").write_text("<p>ui</p>")
    (tmp_path / "secret.txt").write_text("SECRET")
    s = Server(data, ui_dir=ui)
    try:
        n = ack(s, "ui f=1i 1\n")
        for path in ["/../secret.txt", "/../../etc/passwd", "/%2e%2e/secret.txt", "/%2e%2e%2fsecret.txt",
                     "/..%2f..%2fetc%2fpasswd", "/%252e%252e/secret.txt", "/..\\secret.txt",
                     "/static/../../secret.txt", "//etc/passwd"]:
            out = raw_exchange(s, f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{s.port}\r\n\r\n".encode())
            text = out.decode(errors="replace")
            assert "SECRET" not in text and "root:" not in text, (path, text)
            assert text.split(" ")[1] in ("400", "404"), (path, text[:200])
        assert s.request("GET", "/")[2] == "<p>ui</p>"
        assert_kept(s, "ui", n)
    finally:
        s.kill()


def test_auth_required_on_every_api_endpoint(tmp_path):
    s = Server(tmp_path / "data", "--admin-token", TOKEN)
    try:
        n = ack(s, "authz f=1i 1\n", headers=AUTH)
        q = json.dumps({"db": "hostile", "q": "SELECT 1"})
        endpoints = [
            ("POST", "/api/v3/write_lp?db=hostile", "authz f=2i 2"),
            ("POST", "/api/v2/write?bucket=hostile", "authz f=2i 2"),
            ("POST", "/write?db=hostile", "authz f=2i 2"),
            ("GET", "/api/v3/configure/database?format=json", None),
            ("POST", "/api/v3/configure/database", json.dumps({"db": "other"})),
            ("DELETE", "/api/v3/configure/database?db=hostile", None),
            ("GET", "/api/v3/query_sql?db=hostile&q=SELECT%201", None),
            ("POST", "/api/v3/query_sql", q),
            ("GET", "/metrics", None),
        ]
        for method, path, body in endpoints:
            for headers in [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Token s3cret-toke"}]:
                status, _, text = s.request(method, path, body, headers)
                assert status == 401, (method, path, headers, status, text)
                assert "the request was not authenticated" in text
        for method, path in [("GET", "/health"), ("GET", "/ping")]:
            assert s.request(method, path)[0] in (200, 204)
        status, _, _ = s.request("GET", "/metrics", headers=AUTH)
        assert status == 200
        assert_kept(s, "authz", n, AUTH)
    finally:
        s.kill()


def test_gzip_bomb_and_bad_gzip(tmp_path):
    s = Server(tmp_path / "data", "--max-request-size", "1000000")
    try:
        n = ack(s, "gz f=1i 1\n")
        bomb = gzip.compress(b"gz f=1i 1\n" * 2_000_000)
        assert len(bomb) < 100_000
        with HealthProbe(s) as probe:
            status, _, body = s.write(bomb, headers={"Content-Encoding": "gzip"})
        probe.check()
        assert (status, body) == (413, "max request size (1000000 bytes) exceeded")
        status, _, body = s.write(b"\x1f\x8b\x08\x00garbage", headers={"Content-Encoding": "gzip"})
        assert status == 400 and body.startswith("error decoding gzip stream"), body
        status, _, body = s.write(gzip.compress(b"gz f=2i 2\n")[:-6], headers={"Content-Encoding": "gzip"})
        assert status == 400 and "gzip" in body, body
        assert_kept(s, "gz", n)
    finally:
        s.kill()


def test_slow_and_stalled_bodies(tmp_path):
    """A body trickled slowly is taken and does not block /health; one that stops sending for
    --http-idle-timeout is answered 408 naming the flag."""
    s = Server(tmp_path / "data", "--http-idle-timeout", "1s")
    try:
        n = ack(s, "slow f=1i 1\n")
        lines = b"".join(b"slow f=%di %d\n" % (i, i + 10) for i in range(20))
        sock = raw_socket(s)
        sock.sendall(f"POST /api/v3/write_lp?db=hostile HTTP/1.1\r\nHost: 127.0.0.1:{s.port}\r\n"
                     f"Content-Length: {len(lines)}\r\n\r\n".encode())
        with HealthProbe(s) as probe:
            for i in range(0, len(lines), 20):
                sock.sendall(lines[i:i + 20])
                time.sleep(0.1)
            reply = sock.recv(4096).decode()
        probe.check()
        sock.close()
        assert reply.startswith("HTTP/1.1 204"), reply
        n += 20
        sock = raw_socket(s)
        sock.sendall(f"POST /api/v3/write_lp?db=hostile HTTP/1.1\r\nHost: 127.0.0.1:{s.port}\r\n"
                     "Content-Length: 100\r\n\r\nslow f=99i".encode())
        start = time.monotonic()
        reply = sock.recv(4096).decode()
        sock.close()
        assert reply.startswith("HTTP/1.1 408"), reply
        assert "request body stalled" in reply and "--http-idle-timeout" in reply
        assert 0.8 < time.monotonic() - start < 3
        out = send_stalled_query(s)
        assert out.startswith("HTTP/1.1 408"), out
        assert_kept(s, "slow", n)
    finally:
        s.kill()


def send_stalled_query(server):
    sock = raw_socket(server)
    try:
        sock.sendall(f"POST /api/v3/query_sql HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
                     "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"db\":".encode())
        return sock.recv(4096).decode()
    finally:
        sock.close()
