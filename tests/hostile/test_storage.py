"""Storage keyed by catalog ids: deleting and recreating a database, deleted data staying deleted, and names
no file system could hold. Each test checks the answers, that persistence goes on (files appear, no failure
in /metrics), and that every acknowledged row is there after a restart."""
import json
import time
from pathlib import Path

import pytest

from conftest import HealthProbe, Server

# Sealed (and persisted) often, so the tests see Parquet files within a second.
FAST_PERSIST = ("--persist-interval", "200ms")


def catalog(server):
    return json.loads((server.data_dir / "catalog.json").read_text())


def table_dir(server, db, table):
    """DATA/parquet/<db_id>/<table_id>, from the ids in catalog.json; None when there is no such table."""
    database = catalog(server)["databases"].get(db)
    if database is None or table not in database["tables"]:
        return None
    return server.data_dir / "parquet" / str(database["id"]) / str(database["tables"][table]["id"])


def wait_for(what, check, timeout=15):
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def wait_persisted(server, db, table):
    def persisted():
        d = table_dir(server, db, table)
        return d is not None and any(d.rglob("*.parquet"))
    wait_for(f"Parquet files of {db}.{table}", persisted)


def metrics(server):
    status, _, body = server.request("GET", "/metrics")
    assert status == 200, body
    return body


def assert_persisting_fine(server):
    text = metrics(server)
    assert "linewise_persist_errors_total 0" in text, text
    assert "linewise_persist_failing{" not in text, text


def rows(server, sql, db):
    status, body = server.query(sql, db)
    assert status == 200, body
    return body


@pytest.fixture
def fast(tmp_path):
    s = Server(tmp_path / "data", *FAST_PERSIST)
    yield s
    s.kill()


def test_delete_and_recreate_with_a_type_change_survives_a_crash_and_a_restart(tmp_path):
    # Persisting only at shutdown: both writes stay in the WAL, and the crash makes the start replay them.
    s = Server(tmp_path / "data", "--persist-interval", "1h")
    try:
        with HealthProbe(s) as probe:
            assert s.write("t f=1i 1", db="x")[0] == 204
            old_id = str(catalog(s)["databases"]["x"]["id"])
            status, _, body = s.request("DELETE", "/api/v3/configure/database?db=x")
            assert status == 200, body
            status, _, body = s.write('t f="s" 2', db="x")
            assert status == 204, body
        probe.check()
        assert str(catalog(s)["databases"]["x"]["id"]) != old_id

        # The old database's record (f integer) is skipped by id on replay: the start works.
        s.kill()
        s.start()
        assert rows(s, "SELECT f FROM t", "x") == [{"f": "s"}]

        # Shutdown persists it under the new ids without an error; after the restart the row is read back
        # from Parquet.
        assert s.terminate(timeout=10) == 0
        s.start()
        assert list(table_dir(s, "x", "t").rglob("*.parquet")), "persisted under the new ids"
        assert not (s.data_dir / "parquet" / old_id).exists()
        assert rows(s, "SELECT f FROM t", "x") == [{"f": "s"}]
        assert_persisting_fine(s)
    finally:
        s.kill()


def test_deleted_data_does_not_come_back_and_its_files_are_removed(fast):
    s = fast
    assert s.write("t f=1i 1\nt f=2i 2\nt f=3i 3", db="x")[0] == 204
    wait_persisted(s, "x", "t")
    old_db_dir = table_dir(s, "x", "t").parent
    old_id = old_db_dir.name

    status, _, body = s.request("DELETE", "/api/v3/configure/database?db=x")
    assert status == 200, body
    wait_for("the deleted database's files to be removed", lambda: not old_db_dir.exists())
    wait_for("the tombstone to be dropped", lambda: catalog(s)["deleted"] == {})

    status, _, body = s.write('t f="new" 10', db="x")
    assert status == 204, body
    assert rows(s, "SELECT f FROM t", "x") == [{"f": "new"}]
    wait_persisted(s, "x", "t")
    assert table_dir(s, "x", "t").parent.name != old_id

    s.restart()
    assert rows(s, "SELECT f FROM t", "x") == [{"f": "new"}]
    assert not old_db_dir.exists()
    assert_persisting_fine(s)


def test_a_deletion_interrupted_by_a_crash_is_finished_on_the_next_start(tmp_path):
    s = Server(tmp_path / "data", *FAST_PERSIST)
    try:
        assert s.write("t f=1i 1", db="x")[0] == 204
        wait_persisted(s, "x", "t")
        db_dir = table_dir(s, "x", "t").parent
        s.kill()
        # What a crash right after the tombstone was written leaves: the tombstone and the files.
        c = catalog(s)
        x = c["databases"].pop("x")
        c["deleted"] = {str(x["id"]): "x"}
        (s.data_dir / "catalog.json").write_text(json.dumps(c))
        s.start()
        wait_for("the files of the tombstoned database to be removed", lambda: not db_dir.exists())
        wait_for("the tombstone to be dropped", lambda: catalog(s)["deleted"] == {})
        assert s.query("SELECT * FROM t", "x")[0] == 404
    finally:
        s.kill()


LONG_NAMES = {
    "300 x L": "L" * 300,
    "90 x { (270 bytes percent-encoded)": "{" * 90,
    "10,000 characters": "M" * 10_000,
}


@pytest.mark.parametrize("name", LONG_NAMES.values(), ids=LONG_NAMES.keys())
def test_a_long_measurement_name_is_stored_and_persisted_like_any_other(fast, name):
    s = fast
    with HealthProbe(s) as probe:
        status, _, body = s.write(f"{name},k=v f=1i 1\n{name},k=w f=2i 2")
        assert status == 204, body
        assert s.write("other f=1i 1", db="other")[0] == 204
        wait_persisted(s, "other", "other")
        wait_persisted(s, "hostile", name)
    probe.check()
    assert_persisting_fine(s)

    status, tables = s.query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'iox'")
    assert status == 200, tables
    assert tables == [{"table_name": name}]
    status, columns = s.query(
        f"SELECT column_name FROM information_schema.columns WHERE table_name = '{name}' ORDER BY column_name")
    assert status == 200, columns
    assert [c["column_name"] for c in columns] == ["f", "k", "time"]

    # SIGTERM: everything is persisted, promptly.
    start = time.monotonic()
    assert s.terminate(timeout=10) == 0
    assert time.monotonic() - start < 5
    s.start()
    assert rows(s, f'SELECT k, f FROM "{name}" ORDER BY f', "hostile") == [{"k": "v", "f": 1}, {"k": "w", "f": 2}]
    assert rows(s, "SELECT f FROM other", "other") == [{"f": 1}]
    assert_persisting_fine(s)
