"""Write amplification (issue 12, case 12): lines each in an hour of their own made one Parquet file per
hour (20,000 lines: 20,000 files, 25 s to persist, 12.7 s for a full scan). Sparse blocks now share files
up to a row target, so the file count follows the rows; queries still find each row by its time."""
import time

from conftest import HealthProbe, Server

HOUR_NS = 3_600_000_000_000
BASE_NS = 1_700_000_000_000_000_000
LINES = 20_000


def buffered_rows(server, table):
    _, _, text = server.request("GET", "/metrics")
    key = f'linewise_buffer_rows{{db="hostile",table="{table}"}} '
    return next((int(l[len(key):]) for l in text.splitlines() if l.startswith(key)), 0)


def test_sparse_hours_make_few_files(tmp_path):
    server = Server(tmp_path / "data", "--persist-interval", "200ms")
    try:
        body = "\n".join(f"sparse,k=v{n % 7} i={n}i {BASE_NS + n * HOUR_NS + n}" for n in range(LINES))
        with HealthProbe(server) as probe:
            status, _, text = server.write(body)
            assert status == 204, text
            deadline = time.monotonic() + 30
            while buffered_rows(server, "sparse"):
                assert time.monotonic() < deadline, "the sparse rows were not persisted within 30 s"
                time.sleep(0.05)
        probe.check()

        files = list((tmp_path / "data" / "parquet").rglob("*.parquet"))
        assert 1 <= len(files) <= 4, f"{len(files)} Parquet files for {LINES} rows"

        start = time.monotonic()
        status, rows = server.query("SELECT count(*) AS n, sum(i) AS s FROM sparse")
        scan = time.monotonic() - start
        assert (status, rows) == (200, [{"n": LINES, "s": LINES * (LINES - 1) // 2}])
        assert scan < 2.0, f"full scan took {scan:.1f} s"

        # One hour out of the middle of a shared file: found by the file's time statistics.
        n = 12_345
        lo, hi = BASE_NS + n * HOUR_NS, BASE_NS + (n + 1) * HOUR_NS
        status, rows = server.query(
            f"SELECT i FROM sparse WHERE time >= to_timestamp_nanos({lo}) AND time < to_timestamp_nanos({hi})")
        assert (status, rows) == (200, [{"i": n}])

        server.restart()
        status, rows = server.query("SELECT count(*) AS n, count(DISTINCT i) AS d, sum(i) AS s FROM sparse")
        assert (status, rows) == (200, [{"n": LINES, "d": LINES, "s": LINES * (LINES - 1) // 2}])
    finally:
        server.kill()
