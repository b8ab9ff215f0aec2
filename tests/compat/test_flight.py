"""Reading back over Arrow Flight, on the HTTP port, the way the real clients do: influxdb3-python's
`query()` (a DoGet with its JSON ticket) as a pyarrow Table and as pandas, and ADBC Flight SQL
(`adbc_driver_flightsql.dbapi`, what DBeaver-style tools and Grafana's data source speak)."""
import re
import threading
import time

import adbc_driver_flightsql.dbapi as flightsql
import adbc_driver_manager
import pandas as pd
import pyarrow as pa
import pytest
from conftest import HOME, TOKEN

from influxdb_client_3 import InfluxDBClient3, WritePrecision

DB = "flight"
SQL = "SELECT * FROM home ORDER BY time, room"
LINE = re.compile(r"home,room=(.+) temp=(.+),hum=(.+),co=(\d+)i (\d+)")


def expected_rows():
    """The seed's 26 lines as (co, hum, room, temp, time in s), in the order of SQL."""
    rows = []
    for line in HOME.strip().splitlines():
        room, temp, hum, co, ts = LINE.fullmatch(line).groups()
        rows.append((int(co), float(hum), room.replace("\\ ", " "), float(temp), int(ts)))
    return sorted(rows, key=lambda r: (r[4], r[2]))


# Tags arrive as strings (dictionaries are sent as their values, as InfluxDB 3 does), columns in
# name order, time in nanoseconds without a zone.
SCHEMA = pa.schema([
    pa.field("co", pa.int64()),
    pa.field("hum", pa.float64()),
    pa.field("room", pa.string()),
    pa.field("temp", pa.float64()),
    pa.field("time", pa.timestamp("ns"), nullable=False),
])


def assert_home_table(table):
    assert table.schema.equals(SCHEMA), table.schema
    got = list(zip(*(table.column(n).to_pylist() for n in ("co", "hum", "room", "temp"))))
    times = [ns // 1_000_000_000 for ns in table.column("time").cast(pa.int64()).to_pylist()]
    assert [g + (t,) for g, t in zip(got, times)] == expected_rows()


@pytest.fixture(scope="module")
def home(server):
    with InfluxDBClient3(host=server.base, token=TOKEN, database=DB) as client:
        client.write(record=HOME, write_precision=WritePrecision.S)
    assert server.rows(DB, "home") == 26
    return server


def v3_client(server, token=TOKEN, database=DB):
    return InfluxDBClient3(host=server.base, token=token, database=database)


def test_influxdb3_python_query_as_arrow_table(home):
    with v3_client(home) as client:
        table = client.query(SQL)
    assert isinstance(table, pa.Table)
    assert_home_table(table)


def test_influxdb3_python_query_as_pandas(home):
    with v3_client(home) as client:
        df = client.query(SQL, mode="pandas")
    assert list(df.columns) == ["co", "hum", "room", "temp", "time"]
    assert df["co"].dtype == "int64"
    assert df["hum"].dtype == "float64" and df["temp"].dtype == "float64"
    assert pd.api.types.is_string_dtype(df["room"])
    assert df["time"].dtype == "datetime64[ns]"
    rows = [(int(r.co), float(r.hum), r.room, float(r.temp), r.time.value // 1_000_000_000)
            for r in df.itertuples()]
    assert rows == expected_rows()
    assert df["time"].iloc[0] == pd.Timestamp("2022-01-01T08:00:00")


def test_influxdb3_python_query_parameters(home):
    with v3_client(home) as client:
        table = client.query("SELECT co FROM home WHERE room = $room AND temp > $temp ORDER BY time",
                             query_parameters={"room": "Kitchen", "temp": 23.0})
    assert table.column("co").to_pylist() == [18, 22]


def test_influxdb3_python_bad_sql_is_explained(home):
    with v3_client(home) as client:
        with pytest.raises(Exception) as err:
            client.query("SELECT nope FROM home")
    message = str(err.value)
    assert "InvalidArgument" in message or "invalid argument" in message.lower(), message
    assert "nope" in message, message


def test_influxdb3_python_unknown_database(home):
    with v3_client(home, database="nosuch") as client:
        with pytest.raises(Exception) as err:
            client.query("SELECT 1")
    assert "database not found: nosuch" in str(err.value)


def test_influxdb3_python_bad_token(home):
    with v3_client(home, token="wrong") as client:
        with pytest.raises(Exception) as err:
            client.query(SQL)
    message = str(err.value)
    assert "Unauthenticated" in message or "unauthenticated" in message.lower(), message
    assert "not authenticated" in message, message


def test_influxdb3_python_influxql_is_refused_clearly(home):
    with v3_client(home) as client:
        with pytest.raises(Exception) as err:
            client.query("SHOW MEASUREMENTS", language="influxql")
    assert "InfluxQL is not supported" in str(err.value)


def adbc_connect(server, token=TOKEN, database=DB):
    # The server has no transactions: autocommit, or the driver warns it cannot turn it off.
    return flightsql.connect(f"grpc://127.0.0.1:{server.port}", db_kwargs={
        "adbc.flight.sql.authorization_header": f"Bearer {token}",
        "adbc.flight.sql.rpc.call_header.database": database,
    }, autocommit=True)


def test_adbc_flight_sql_cursor(home):
    with adbc_connect(home) as conn, conn.cursor() as cur:
        cur.execute(SQL)
        table = cur.fetch_arrow_table()
        assert_home_table(table)
        cur.execute("SELECT room, max(co) AS co FROM home GROUP BY room ORDER BY room")
        assert cur.fetchall() == [("Kitchen", 26), ("Living Room", 17)]


def test_adbc_flight_sql_metadata(home):
    with adbc_connect(home) as conn:
        info = {k: v for k, v in conn.adbc_get_info().items()}
        assert info["vendor_name"] == "linewise"
        assert set(conn.adbc_get_table_types()) == {"BASE TABLE", "VIEW"}
        schema = conn.adbc_get_table_schema("home", db_schema_filter="iox")
        assert schema.equals(SCHEMA), schema
        objects = conn.adbc_get_objects(depth="all", catalog_filter="public").read_all().to_pylist()
        [catalog] = objects
        assert catalog["catalog_name"] == "public"
        schemas = {s["db_schema_name"]: s for s in catalog["catalog_db_schemas"]}
        assert set(schemas) == {"iox", "information_schema"}
        [table] = schemas["iox"]["db_schema_tables"]
        assert table["table_name"] == "home" and table["table_type"] == "BASE TABLE"
        assert [c["column_name"] for c in table["table_columns"]] == ["co", "hum", "room", "temp", "time"]


def test_adbc_flight_sql_errors(home):
    with adbc_connect(home) as conn, conn.cursor() as cur:
        with pytest.raises(adbc_driver_manager.Error) as err:
            cur.execute("SELECT nope FROM home")
        assert "nope" in str(err.value)
    with adbc_connect(home, database="nosuch") as conn, conn.cursor() as cur:
        with pytest.raises(adbc_driver_manager.Error) as err:
            cur.execute("SELECT 1")
        assert "database not found: nosuch" in str(err.value)
    with pytest.raises(adbc_driver_manager.Error) as err:
        with adbc_connect(home, token="wrong") as conn, conn.cursor() as cur:
            cur.execute(SQL)
    assert "not authenticated" in str(err.value)


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


ROWS = 1_000_000
# About 250 bytes a row: the answer is ~250 MB, far above what streaming it may add to the server.


def large_sql(rows):
    """`rows` rows (up to 26 × 38462) made by the engine itself, so no write is needed for them."""
    return ("SELECT value, repeat(room, 24) AS pad, temp FROM generate_series(1, 38462) AS g(value) "
            f"CROSS JOIN home LIMIT {rows}")

RSS_BOUND_MIB = 100


def test_large_result_streams(home):
    """1M rows through influxdb3-python's batch reader; the server's RSS is sampled while it streams.
    A small query first warms the engine up (its first query grows RSS by ~60 MiB, whatever its size)."""
    pid = home.proc.pid
    with v3_client(home) as client:
        assert client.query(large_sql(1000)).num_rows == 1000
    before = rss_kib(pid)
    peak = [before]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss_kib(pid))
            time.sleep(0.01)

    sampler = threading.Thread(target=sample)
    sampler.start()
    rows = 0
    answer_bytes = 0
    start = time.monotonic()
    try:
        with v3_client(home) as client:
            reader = client.query(large_sql(ROWS), mode="reader")
            for batch in reader:
                rows += batch.num_rows
                answer_bytes += batch.nbytes
    finally:
        done.set()
        sampler.join()
    elapsed = time.monotonic() - start
    growth_mib = (peak[0] - before) / 1024
    print(f"\nflight 1M rows: {rows} rows, {answer_bytes / 2**20:.0f} MiB of Arrow data in {elapsed:.1f} s; "
          f"server RSS {before / 1024:.0f} MiB before, {peak[0] / 1024:.0f} MiB peak (+{growth_mib:.0f} MiB)")
    assert rows == ROWS
    assert answer_bytes > 2 * RSS_BOUND_MIB * 2**20
    assert growth_mib < RSS_BOUND_MIB
