"""Storage contract checks against the real binary: Parquet files read back with pyarrow give the written rows
and types; S3-compatible storage (moto_server on loopback) works, and while it is down writes are refused
with 503 once the memory bound is reached (after --write-wait-timeout), then everything acknowledged arrives when it is back;
damage in the middle of the WAL stops the start with file and offset unless --wal-skip-corrupt."""
import io
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import Server, parquet_tables, table_prefix

LINES = """\
home,room=Kitchen temp=21.5,co=0i,n=7u,state="ok",on=true 1641024000000000000
home,room=Living\\ Room temp=22.1,co=3i,n=1u,state="warm",on=false 1641024000000000001
home,room=Kitchen temp=23.0,co=1i,n=2u,state="ok",on=true 1641020400000000000
"""


def test_parquet_files_hold_the_rows_with_their_types(tmp_path):
    s = Server(tmp_path / "data")
    assert s.post(LINES)[0] == 204
    assert s.terminate() == 0
    files = parquet_tables(tmp_path / "data", "durability", "home")
    # Two time blocks (hours 07:00 and 08:00 UTC) of few rows share one file, named after the first.
    assert [p.parent.name for p, _ in files] == ["2022-01-01T07-00"]
    table = pa.concat_tables([t for _, t in files])
    schema = table.schema
    assert schema.field("room").type == pa.string()
    assert schema.field("temp").type == pa.float64()
    assert schema.field("co").type == pa.int64()
    assert schema.field("n").type == pa.uint64()
    assert schema.field("state").type == pa.string()
    assert schema.field("on").type == pa.bool_()
    assert schema.field("time").type == pa.timestamp("ns", tz="UTC")
    rows = table.drop_columns(["time"]).to_pylist()
    assert [(r["room"], r["temp"], r["co"], r["n"], r["state"], r["on"]) for r in rows] == [
        ("Kitchen", 23.0, 1, 2, "ok", True),
        ("Kitchen", 21.5, 0, 7, "ok", True),
        ("Living Room", 22.1, 3, 1, "warm", False),
    ]
    assert table.column("time").cast(pa.int64()).to_pylist() == [
        1641020400000000000, 1641024000000000000, 1641024000000000001]
    meta = pq.ParquetFile(files[0][0]).metadata
    stats = meta.row_group(0).column(meta.schema.names.index("temp")).statistics
    assert (stats.min, stats.max) == (21.5, 23.0)
    # Queries skip files by these statistics, not by the directory name.
    times = meta.row_group(0).column(meta.schema.names.index("time")).statistics
    assert (times.min_raw, times.max_raw) == (1641020400000000000, 1641024000000000001)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Moto:
    """An S3-compatible server from PyPI (moto), on loopback."""

    def __init__(self, port):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        bin_dir = Path(sys.executable).parent
        self.proc = subprocess.Popen([str(bin_dir / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.s3 = boto3.client("s3", endpoint_url=self.url, aws_access_key_id="test",
                               aws_secret_access_key="test", region_name="us-east-1")
        deadline = time.monotonic() + 20
        while True:
            try:
                self.s3.create_bucket(Bucket="linewise")
                break
            except Exception:
                assert time.monotonic() < deadline, "moto_server did not start"
                time.sleep(0.1)

    def objects(self):
        resp = self.s3.list_objects_v2(Bucket="linewise")
        return [o["Key"] for o in resp.get("Contents", [])]

    def read(self, key):
        return pq.read_table(io.BytesIO(self.s3.get_object(Bucket="linewise", Key=key)["Body"].read()))

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def s3_flags(moto):
    return ["--object-store", "s3", "--bucket", "linewise", "--aws-endpoint", moto.url, "--aws-allow-http",
            "--aws-access-key-id", "test", "--aws-secret-access-key", "test", "--aws-default-region", "us-east-1"]


def test_the_bucket_alone_is_enough_for_a_new_server(tmp_path):
    """The catalog goes into the bucket with the Parquet files: a server started on an empty data directory
    against the same bucket knows every column type and reads every persisted row."""
    moto = Moto(free_port())
    try:
        first = Server(tmp_path / "first", *s3_flags(moto))
        assert first.post(LINES)[0] == 204
        assert first.terminate() == 0
        assert "catalog.json" in moto.objects()
        assert not (tmp_path / "first" / "parquet").exists(), "Parquet went to the bucket, not the disk"

        second = Server(tmp_path / "second", *s3_flags(moto))
        try:
            assert second.query("SELECT room, temp FROM home ORDER BY time") == (200, [
                {"room": "Kitchen", "temp": 23.0},
                {"room": "Kitchen", "temp": 21.5},
                {"room": "Living Room", "temp": 22.1},
            ])
            status, body = second.post('home,room=Kitchen temp="hot" 1641024000000000002')
            assert status == 400, body
            assert "invalid column type for column 'temp'" in body, body
        finally:
            assert second.terminate() == 0
    finally:
        moto.stop()


def test_s3_store_and_outage(tmp_path):
    port = free_port()
    moto = Moto(port)
    try:
        s = Server(tmp_path / "data", *s3_flags(moto), "--persist-interval", "100ms",
                   "--write-wait-timeout", "300ms", env={"LINEWISE_MAX_BUFFER_SIZE": "20000"})
        assert s.post(LINES)[0] == 204
        deadline = time.monotonic() + 15
        while not [k for k in moto.objects() if k.endswith(".parquet")]:
            assert time.monotonic() < deadline, "nothing persisted to S3"
            time.sleep(0.1)

        # The store goes away: writes are accepted until the unpersisted bytes pass the bound, then refused.
        moto.stop()
        acked, refused = 0, None
        for i in range(200):
            status, body = s.post(f"outage,k=v i={i}i {1641024000000000000 + i}")
            if status == 204:
                acked += 1
            else:
                refused = (status, body)
                break
        assert refused is not None, "writes never refused while the object store was down"
        assert refused[0] == 503, refused
        # Whichever bound trips first (the buffer's Arrow bytes or the WAL's unpersisted bytes) says so.
        assert "full" in refused[1] or "object store failing" in refused[1], refused[1]
        assert acked > 0

        # It comes back (empty: moto keeps objects in memory): persistence catches up, writes flow again.
        moto = Moto(port)
        deadline = time.monotonic() + 30
        while s.post(f"outage,k=v i={acked}i {1641024000000000000 + acked}")[0] != 204:
            assert time.monotonic() < deadline, "writes still refused after the store recovered"
            time.sleep(0.2)
        acked += 1
        assert s.terminate() == 0
        prefix = table_prefix(tmp_path / "data", "durability", "outage") + "/"
        keys = [k for k in moto.objects() if k.startswith(prefix)]
        got = sorted(i for k in keys for i in moto.read(k).column("i").to_pylist())
        assert got == list(range(acked)), "acknowledged writes missing after the outage"
    finally:
        moto.stop()


def test_damaged_wal_stops_the_start_unless_skipping(tmp_path):
    data = tmp_path / "data"
    s = Server(data, "--persist-interval", "1h")
    for i in range(3):
        assert s.post(f"m v={i}i {i + 1}")[0] == 204
    s.kill()
    segments = sorted((data / "wal").glob("*.wal"))
    seg = max(segments, key=lambda p: p.stat().st_size)
    raw = bytearray(seg.read_bytes())
    first_record_len = 16 + int.from_bytes(raw[16:20], "little")
    damaged_at = 16 + first_record_len
    raw[damaged_at + 20] ^= 0x40  # inside the second of three records
    seg.write_bytes(bytes(raw))

    out = subprocess.run([os.environ["LINEWISE_BIN"], "serve", "--http-bind", "127.0.0.1:0",
                          "--data-dir", str(data)], capture_output=True, text=True, timeout=30)
    assert out.returncode == 2
    assert str(seg) in out.stderr and f"offset {damaged_at}" in out.stderr, out.stderr
    assert "--wal-skip-corrupt" in out.stderr

    s = Server(data, "--wal-skip-corrupt")
    assert s.terminate() == 0
    values = sorted(v for _, t in parquet_tables(data, "durability", "m") for v in t.column("v").to_pylist())
    assert values == [0, 2]
