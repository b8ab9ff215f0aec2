"""Each PyPI client overloads a server whose buffer bound is tiny and whose persisting is paced, through
its own API from several threads: writes wait for room instead of being refused, so every line arrives,
exactly once."""
import json
import os
import subprocess
import tempfile
import threading
import urllib.request

import pytest
from conftest import TOKEN

from influxdb import InfluxDBClient as V1Client
from influxdb_client import InfluxDBClient as V2Client, WritePrecision as V2Precision
from influxdb_client.client.write_api import SYNCHRONOUS as V2_SYNCHRONOUS
from influxdb_client_3 import InfluxDBClient3, WritePrecision

LINES = 20_000
BATCH = 500
THREADS = 4
# Far below one second of these writes: the bound is hit many times over.
MAX_BUFFER = 100_000


class OverloadServer:
    def __init__(self):
        self.dir = tempfile.TemporaryDirectory(prefix="linewise-overload-")
        env = dict(os.environ, LINEWISE_MAX_BUFFER_SIZE=str(MAX_BUFFER))
        self.proc = subprocess.Popen(
            [os.environ["LINEWISE_BIN"], "serve", "--http-bind", "127.0.0.1:0",
             "--data-dir", self.dir.name, "--ui-dir", os.path.join(self.dir.name, "no-ui"),
             "--admin-token", TOKEN, "--persist-interval", "100ms", "--write-wait-timeout", "10s"],
            stdout=subprocess.PIPE, text=True, env=env)
        first = self.proc.stdout.readline().strip()
        assert first.startswith("linewise listening on "), first
        self.base = first.removeprefix("linewise listening on ")
        self.port = int(self.base.rsplit(":", 1)[1])

    def _get(self, path, data=None):
        req = urllib.request.Request(f"{self.base}{path}", data=data,
                                     headers={"Authorization": f"Bearer {TOKEN}",
                                              "Content-Type": "application/json"})
        return urllib.request.urlopen(req).read().decode()

    def metric(self, name):
        line = next(l for l in self._get("/metrics").splitlines() if l.startswith(name + " "))
        return int(line.split()[1])

    def census(self, db):
        """(rows, distinct `i`, min `i`, max `i`) of table `m`, buffered and persisted alike."""
        q = json.dumps({"db": db, "q": "SELECT count(*) AS n, count(DISTINCT i) AS d, "
                                       "min(i) AS lo, max(i) AS hi FROM m"}).encode()
        [row] = json.loads(self._get("/api/v3/query_sql", q))
        return row["n"], row["d"], row["lo"], row["hi"]

    def stop(self):
        self.proc.kill()
        self.proc.wait()
        self.dir.cleanup()


@pytest.fixture
def overload():
    s = OverloadServer()
    yield s
    s.stop()


def batches():
    """Every line once: `i` numbers it, its time is its own, 100 hosts."""
    lines = [f"m,host=h{n % 100} i={n}i,v={n * 0.5} {1_700_000_000_000_000_000 + n * 1_000_000}"
             for n in range(LINES)]
    return [lines[k:k + BATCH] for k in range(0, LINES, BATCH)]


def run_threads(write):
    """Writes every batch through `write(thread, batch)` from THREADS threads; re-raises their errors."""
    todo = batches()
    errors = []

    def worker(t):
        try:
            for b in todo[t::THREADS]:
                write(t, b)
        except Exception as e:  # handed to the test below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors


def assert_every_line_once(server, db):
    assert server.census(db) == (LINES, LINES, 0, LINES - 1)
    assert server.metric("linewise_writes_waited_total") > 0, "the bound was never hit"


def test_influxdb3_python_overload(overload):
    clients = [InfluxDBClient3(host=overload.base, token=TOKEN, database="ov_py3")
               for _ in range(THREADS)]
    run_threads(lambda t, b: clients[t].write(record=b, write_precision=WritePrecision.NS))
    for c in clients:
        c.close()
    assert_every_line_once(overload, "ov_py3")


def test_influxdb_client_v2_overload(overload):
    clients = [V2Client(url=overload.base, token=TOKEN, org="my-org") for _ in range(THREADS)]
    apis = [c.write_api(write_options=V2_SYNCHRONOUS) for c in clients]
    run_threads(lambda t, b: apis[t].write(bucket="ov_v2", record=b, write_precision=V2Precision.NS))
    for c in clients:
        c.close()
    assert_every_line_once(overload, "ov_v2")


def test_influxdb_python_v1_overload(overload):
    clients = [V1Client(host="127.0.0.1", port=overload.port, username="root", password=TOKEN,
                        database="ov_v1") for _ in range(THREADS)]
    run_threads(lambda t, b: clients[t].write_points(b, protocol="line", time_precision="n"))
    for c in clients:
        c.close()
    assert_every_line_once(overload, "ov_v1")
