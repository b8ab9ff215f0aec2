"""The real `linewise serve` (binary from LINEWISE_BIN) on a free loopback port, for the hostile-input suite.

Every test attacks one server and then checks three things: the answer (status and message), that
`/health` kept answering quickly while the attack ran (`HealthProbe`), and that every row the server
acknowledged is still there afterwards, also after a restart on the same data directory."""
import http.client
import json
import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

# The bound the issue sets for /health during an attack. Loopback, the attacker on the same two cores.
HEALTH_LIMIT_S = 0.1


class Server:
    def __init__(self, data_dir, *extra, env=None, ui_dir=None):
        self.data_dir = Path(data_dir)
        # No UI unless a test serves one: the API is what is under attack.
        self.ui_dir = Path(ui_dir) if ui_dir else self.data_dir / "no-ui"
        self.extra = extra
        self.env = env
        self.start()

    def start(self):
        self.log = open(self.data_dir.parent / f"{self.data_dir.name}.log", "a")
        self.proc = subprocess.Popen(
            [os.environ["LINEWISE_BIN"], "serve", "--http-bind", "127.0.0.1:0",
             "--data-dir", str(self.data_dir), "--ui-dir", str(self.ui_dir), *self.extra],
            stdout=subprocess.PIPE, stderr=self.log, text=True, env={**os.environ, **(self.env or {})})
        first = self.proc.stdout.readline().strip()
        assert first.startswith("linewise listening on "), f"server did not start: {first!r}, see {self.log.name}"
        self.port = int(first.rsplit(":", 1)[1])

    def request(self, method, path, body=None, headers=None, timeout=30):
        """One request on a new connection; returns (status, headers dict (lower-case names), body text)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read().decode(errors="replace")
        finally:
            conn.close()

    def write(self, body, db="hostile", params="", headers=None):
        data = body.encode() if isinstance(body, str) else body
        return self.request("POST", f"/api/v3/write_lp?db={db}{params}", data, headers)

    def query(self, sql, db="hostile"):
        """Runs SQL; returns (status, JSON rows or the error text)."""
        status, _, body = self.request("POST", "/api/v3/query_sql", json.dumps({"db": db, "q": sql}),
                                       {"Content-Type": "application/json"})
        return status, json.loads(body) if status == 200 else body

    def count(self, table, db="hostile"):
        status, rows = self.query(f"SELECT count(*) AS n FROM \"{table}\"", db)
        assert status == 200, rows
        return rows[0]["n"]

    def health_seconds(self):
        start = time.monotonic()
        status, _, _ = self.request("GET", "/health", timeout=10)
        assert status == 200
        return time.monotonic() - start

    def terminate(self, timeout=40):
        """SIGTERM: persists what it buffers and exits; returns the exit code."""
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=timeout)
        self.log.close()
        return code

    def restart(self):
        assert self.terminate() == 0
        self.start()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self.log.close()

    def alive(self):
        return self.proc.poll() is None


class HealthProbe:
    """Polls /health every 20 ms on fresh connections while the `with` block runs; `worst` is the slowest
    answer (a failed or timed-out probe counts as 10 s)."""

    def __init__(self, server):
        self.server = server
        self.samples = []
        self._stop = threading.Event()

    def __enter__(self):
        def run():
            while not self._stop.is_set():
                try:
                    self.samples.append(self.server.health_seconds())
                except Exception:
                    self.samples.append(10.0)
                self._stop.wait(0.02)
        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    @property
    def worst(self):
        return max(self.samples, default=0.0)

    def check(self, limit=HEALTH_LIMIT_S):
        assert self.samples, "the probe took no sample"
        assert self.worst <= limit, f"/health took {self.worst * 1000:.0f} ms during the attack (limit {limit * 1000:.0f} ms)"


def raw_socket(server, timeout=10):
    s = socket.create_connection(("127.0.0.1", server.port), timeout=timeout)
    return s


@pytest.fixture
def server(tmp_path):
    s = Server(tmp_path / "data")
    yield s
    s.kill()
