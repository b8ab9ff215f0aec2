"""Crash test: concurrent writers record every acknowledged batch while the real server is SIGKILLed at
random moments. After each kill the server is started again (replaying its WAL) and stopped with SIGTERM
(persisting everything); the Parquet files, read with pyarrow, must then hold every acknowledged line
exactly once, and every batch either whole or not at all."""
import collections
import http.client
import os
import random
import threading
import time

from conftest import Server, parquet_tables

WRITERS = 8
LINES_PER_BATCH = 20
CYCLES = int(os.environ.get("CRASH_CYCLES", "10"))
# Small segments and a short persist interval so kills also land in the middle of sealing and persisting.
FLAGS = ["--persist-interval", "200ms", "--wal-segment-size", "32768"]


def batch_lines(writer, batch):
    """One batch: LINES_PER_BATCH lines, each with a unique (writer, id); the id encodes the batch."""
    lines = []
    for k in range(LINES_PER_BATCH):
        line_id = batch * LINES_PER_BATCH + k
        ts = 1_700_000_000_000_000_000 + writer * 10**12 + line_id
        lines.append(f"crash,writer=w{writer} id={line_id}i,batch={batch}i,payload=\"{'x' * (k % 7)}\" {ts}")
    return "\n".join(lines)


def run_writers(server, next_batch, acked, attempted, unexpected, stop):
    """Starts the writers. An answer other than 204 or 5xx goes to `unexpected`: an assert in a thread
    would only end that thread."""
    def worker(w):
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        while not stop.is_set():
            b = next_batch[w]
            next_batch[w] += 1
            attempted[w].add(b)
            try:
                status, body = server.post(batch_lines(w, b), conn=conn)
            except (OSError, http.client.HTTPException):
                return  # the server died: this batch's outcome is unknown
            if status == 204:
                acked[w].add(b)
            elif status < 500:
                unexpected.append(f"writer {w} batch {b}: {status} {body}")
                return

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(WRITERS)]
    for t in threads:
        t.start()
    return threads


def check(data_dir, acked, attempted):
    seen = collections.Counter()
    by_batch = collections.defaultdict(set)
    for path, table in parquet_tables(data_dir, "durability", "crash"):
        assert table.schema.field("time").type.tz == "UTC", path
        for w, line_id, batch in zip(table.column("writer").to_pylist(), table.column("id").to_pylist(),
                                     table.column("batch").to_pylist()):
            seen[(w, line_id)] += 1
            by_batch[(w, batch)].add(line_id)
    dupes = [k for k, n in seen.items() if n > 1]
    assert not dupes, f"{len(dupes)} lines stored more than once, e.g. {dupes[:3]}"
    for w in range(WRITERS):
        for b in acked[w]:
            assert len(by_batch[(f"w{w}", b)]) == LINES_PER_BATCH, f"acked batch {b} of writer {w} lost lines"
    for (w, b), ids in by_batch.items():
        assert len(ids) == LINES_PER_BATCH, f"batch {b} of {w} is half visible: {len(ids)} lines"
        assert b in attempted[int(w[1:])], f"batch {b} of {w} was never sent"
    return sum(len(a) for a in acked.values())


def test_kill_at_random_moments_loses_no_acknowledged_write(tmp_path):
    rng = random.Random(int(os.environ.get("CRASH_SEED", "42")))
    data = tmp_path / "data"
    data.mkdir()
    next_batch = [0] * WRITERS
    acked = {w: set() for w in range(WRITERS)}
    attempted = {w: set() for w in range(WRITERS)}
    unexpected = []
    for cycle in range(CYCLES):
        server = Server(data, *FLAGS)
        stop = threading.Event()
        threads = run_writers(server, next_batch, acked, attempted, unexpected, stop)
        time.sleep(rng.uniform(0.2, 1.2))
        server.kill()
        stop.set()
        for t in threads:
            t.join()
        assert not unexpected, unexpected[:3]
        # Restart on the same data: the WAL is replayed; SIGTERM persists it all, then exits 0.
        server = Server(data, *FLAGS)
        assert server.terminate() == 0
        total = check(data, acked, attempted)
        print(f"cycle {cycle}: {total} acknowledged batches present exactly once")
    assert sum(len(a) for a in acked.values()) > CYCLES * WRITERS, "too few writes acknowledged to mean anything"
