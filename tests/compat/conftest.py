"""A real `linewise serve` (binary from LINEWISE_BIN) on a free loopback port for the client tests."""
import os
import subprocess
import tempfile
import urllib.request
from pathlib import Path

import pytest

TOKEN = "compat-token"
HOME = (Path(__file__).parent / "home.lp").read_text()


class Server:
    def __init__(self):
        self.dir = tempfile.TemporaryDirectory(prefix="linewise-compat-")
        self.proc = subprocess.Popen(
            [os.environ["LINEWISE_BIN"], "serve", "--http-bind", "127.0.0.1:0",
             "--data-dir", self.dir.name, "--ui-dir", os.path.join(self.dir.name, "no-ui"),
             # Hourly persisting keeps every row in the buffer, where `rows` counts them.
             "--admin-token", TOKEN, "--persist-interval", "1h"],
            stdout=subprocess.PIPE, text=True)
        first = self.proc.stdout.readline().strip()
        assert first.startswith("linewise listening on "), first
        self.base = first.removeprefix("linewise listening on ")
        self.port = int(self.base.rsplit(":", 1)[1])

    def rows(self, db, table):
        req = urllib.request.Request(f"{self.base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        text = urllib.request.urlopen(req).read().decode()
        key = f'linewise_buffer_rows{{db="{db}",table="{table}"}} '
        return next((int(l[len(key):]) for l in text.splitlines() if l.startswith(key)), 0)

    def stop(self):
        self.proc.kill()
        self.proc.wait()
        self.dir.cleanup()


@pytest.fixture(scope="module")
def server():
    s = Server()
    yield s
    s.stop()
