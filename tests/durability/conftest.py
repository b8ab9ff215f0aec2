"""Starts the real `linewise serve` (binary from LINEWISE_BIN) on a free loopback port, on a data directory
that outlives the process, so tests can kill it and start it again on the same data."""
import http.client
import json
import os
import signal
import subprocess
from pathlib import Path

import pyarrow.parquet as pq


class Server:
    def __init__(self, data_dir, *extra, env=None):
        self.data_dir = Path(data_dir)
        self.log = open(self.data_dir.parent / f"{self.data_dir.name}.log", "a")
        self.proc = subprocess.Popen(
            [os.environ["LINEWISE_BIN"], "serve", "--http-bind", "127.0.0.1:0",
             "--data-dir", str(self.data_dir), "--ui-dir", str(self.data_dir / "no-ui"), *extra],
            stdout=subprocess.PIPE, stderr=self.log, text=True, env={**os.environ, **(env or {})})
        first = self.proc.stdout.readline().strip()
        assert first.startswith("linewise listening on "), f"server did not start: {first!r}, see {self.log.name}"
        self.port = int(first.rsplit(":", 1)[1])

    def post(self, body, db="durability", no_sync=False, conn=None):
        """Posts line protocol; returns (status, body). Raises OSError when the server dies mid-request."""
        own = conn is None
        conn = conn or http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            q = f"/api/v3/write_lp?db={db}" + ("&no_sync=true" if no_sync else "")
            conn.request("POST", q, body=body.encode())
            r = conn.getresponse()
            return r.status, r.read().decode()
        finally:
            if own:
                conn.close()

    def query(self, sql, db="durability"):
        """Runs SQL through /api/v3/query_sql; returns (status, JSON rows or the error text)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("POST", "/api/v3/query_sql", body=json.dumps({"db": db, "q": sql}),
                         headers={"Content-Type": "application/json"})
            r = conn.getresponse()
            body = r.read().decode()
            return r.status, json.loads(body) if r.status == 200 else body
        finally:
            conn.close()

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.log.close()

    def terminate(self, timeout=30):
        """SIGTERM: the server persists what it buffers and exits; returns the exit code."""
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=timeout)
        self.log.close()
        return code


def table_prefix(data_dir, db, table):
    """`parquet/<db_id>/<table_id>`: where the files of one table are kept, from the catalog ids in
    DATA/catalog.json (paths use ids, never names); None when the catalog has no such table."""
    catalog = json.loads((Path(data_dir) / "catalog.json").read_text())
    database = catalog["databases"].get(db)
    if database is None or table not in database["tables"]:
        return None
    return f"parquet/{database['id']}/{database['tables'][table]['id']}"


def parquet_tables(data_dir, db, table):
    """Every Parquet file of one table under the local object store root, read with pyarrow."""
    prefix = table_prefix(data_dir, db, table)
    if prefix is None:
        return []
    root = Path(data_dir) / prefix
    return [(p, pq.read_table(p)) for p in sorted(root.rglob("*.parquet"))]
