"""Wide lines (issue 12, case 7), a full disk under `no_sync` and synced writes (cases 2 and 13), and
line-protocol edge cases. The disk is a small tmpfs mounted for the test (the suite runs as root, as
CI does here); it is grown again with a remount, which gives the space back without touching a file."""
import concurrent.futures
import subprocess
import time

import pytest

from conftest import HealthProbe, Server

LIMIT = 500


def wide_line(fields):
    return "wide " + ",".join(f"f{i}=1" for i in range(fields))


def test_wide_lines_are_refused_at_once_and_leave_health_alone(server):
    body = wide_line(150_000)  # 1.4 MB, 300 times the column limit
    assert len(body) > 1_300_000
    with HealthProbe(server) as probe:
        start = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(lambda _: server.write(body), range(2)))
        took = time.monotonic() - start
    for status, _, text in answers:
        assert status == 422, text
        assert f"limit of {LIMIT} columns" in text
    assert took < 5, f"two wide lines took {took:.1f} s to refuse"
    probe.check()
    # At the limit a line is fine, and the refused ones left nothing behind.
    status, _, text = server.write(wide_line(LIMIT - 1))
    assert status == 204, text
    assert server.count("wide") == 1


def test_line_protocol_edge_cases(server):
    cases = [
        # (body, expected status, text the answer must contain)
        ("m f=1 1\nm f=\"s\" 2", 400, '"line_number":2'),  # a type conflict names its line
        ("m,t=a f=1,f=2 1", 400, "multiple instances of 'f' field found (first at column 7)"),
        ("\u00e9\u00e8 f=1 1", 204, ""),  # non-ASCII names are fine
        ("m f=9223372036854775808i 1", 400, "outside the signed 64-bit range"),
        ("m f=1 99999999999999999999", 400, "timestamp 99999999999999999999 does not fit"),
        ("# only a comment\n\n", 400, "incoming write was empty"),
        ("m f=\"an\nunterminated", 400, "column 5: expected '\\\"' to close the string value"),
    ]
    for body, expected, needle in cases:
        status, _, text = server.write(body, db="edge")
        assert status == expected, (body, status, text)
        assert needle in text, (body, text)
    assert server.alive()


@pytest.fixture
def small_disk(tmp_path):
    mnt = tmp_path / "disk"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mnt)], check=True)
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def grow(mnt):
    subprocess.run(["mount", "-o", "remount,size=256m", str(mnt)], check=True)


def batch(start, rows):
    return "\n".join(f"cpu,host=h{n % 50} usage={n}.5,n={n}i {start + n}" for n in range(rows))


def fill(server, params, rows_per_batch=2_000, limit=400):
    """Writes batches until the disk refuses one; returns (acknowledged rows, the refusal)."""
    acked = 0
    for i in range(limit):
        status, headers, text = server.write(batch(i * rows_per_batch, rows_per_batch), params=params)
        if status != 204:
            return acked, (status, headers, text)
        acked += rows_per_batch
    pytest.fail(f"the 6 MB disk took {acked} rows without refusing one")


def test_no_sync_writes_survive_a_full_disk(small_disk):
    data = small_disk / "data"
    server = Server(data, "--persist-interval", "1h")
    try:
        acked, refusal = fill(server, "&no_sync=true")
        assert acked > 0
        status, headers, text = refusal
        assert status == 503, text
        grow(small_disk)
        # The server recovers by itself once there is space; the acknowledged rows are all there.
        deadline = time.monotonic() + 20
        while server.write(batch(10**12, 10), params="&no_sync=true")[0] != 204:
            assert time.monotonic() < deadline, "writes still refused after the disk had room again"
            time.sleep(0.2)
        acked_total = acked + 10
        server.restart()
        assert server.count("cpu") == acked_total
        server.kill()
        server.start()
        assert server.count("cpu") == acked_total
    finally:
        server.kill()


def test_synced_writes_on_a_full_disk_get_retry_after_and_lose_nothing(small_disk):
    data = small_disk / "data"
    server = Server(data, "--persist-interval", "1h")
    try:
        acked, (status, headers, text) = fill(server, "")
        assert status == 503, text
        assert "no space" in text.lower() or "space" in text.lower(), text
        assert headers.get("retry-after", "").isdigit(), headers
        with HealthProbe(server) as probe:
            server.write(batch(10**13, 10))
        probe.check()
        grow(small_disk)
        deadline = time.monotonic() + 20
        while server.write(batch(10**12, 10))[0] != 204:
            assert time.monotonic() < deadline, "writes still refused after the disk had room again"
            time.sleep(0.2)
        server.kill()
        server.start()
        assert server.count("cpu") == acked + 10
    finally:
        server.kill()
