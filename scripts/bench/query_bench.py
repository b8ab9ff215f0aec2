#!/usr/bin/env python3
"""Filtered aggregates over the `cpu` table of a running linewise server, timed over HTTP, compared
with pyarrow (Acero) computing the same answers from the same Parquet files on disk.

Usage: query_bench.py --url http://127.0.0.1:8181 --db bench --data-dir DATA [--runs 5]
Prints one line per query and engine: median and best wall time, and checks both engines agree.
"""

import argparse
import glob
import json
import os
import statistics
import time
import urllib.request

import pyarrow.compute as pc
import pyarrow.dataset as ds

START_NS = 1451606400 * 10**9  # gen_lp.py --schema cpu default start
HOUR_NS = 3600 * 10**9

QUERIES = [
    (
        "full scan: rows with usage_idle > 50, per region",
        "SELECT region, count(*) AS n, avg(usage_user) AS avg_user, max(usage_system) AS max_system "
        "FROM cpu WHERE usage_idle > 50 GROUP BY region ORDER BY region",
    ),
    (
        "12 h window of one host, max per hour (TSBS single-groupby-1-1-12)",
        "SELECT date_bin(INTERVAL '1 hour', time) AS hour, max(usage_user) AS max_user FROM cpu "
        "WHERE hostname = 'host_7' AND time >= '2016-01-05T00:00:00Z' AND time < '2016-01-05T12:00:00Z' "
        "GROUP BY hour ORDER BY hour",
    ),
]


def linewise(url, db, sql):
    body = json.dumps({"db": db, "q": sql, "format": "json"}).encode()
    req = urllib.request.Request(url + "/api/v3/query_sql", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=600) as resp:
        return json.loads(resp.read())


def pyarrow_answer(dataset, index):
    if index == 0:
        table = dataset.to_table(
            columns=["region", "usage_user", "usage_system", "usage_idle"], filter=pc.field("usage_idle") > 50
        )
        grouped = table.group_by("region").aggregate(
            [("usage_user", "count"), ("usage_user", "mean"), ("usage_system", "max")]
        )
        rows = sorted(grouped.to_pylist(), key=lambda r: r["region"])
        return [(r["region"], r["usage_user_count"], round(r["usage_user_mean"], 6), r["usage_system_max"]) for r in rows]
    lo = START_NS + 4 * 24 * HOUR_NS
    hi = lo + 12 * HOUR_NS
    time_ns = pc.field("time").cast("int64")
    table = dataset.to_table(
        columns=["time", "usage_user"],
        filter=(pc.field("hostname") == "host_7") & (time_ns >= lo) & (time_ns < hi),
    )
    hours = pc.divide(pc.cast(table["time"], "int64"), HOUR_NS)
    table = table.append_column("hour", hours)
    grouped = table.group_by("hour").aggregate([("usage_user", "max")])
    return sorted((r["hour"], r["usage_user_max"]) for r in grouped.to_pylist())


def linewise_answer(rows, index):
    if index == 0:
        return [(r["region"], r["n"], round(r["avg_user"], 6), r["max_system"]) for r in rows]
    def hour(text):
        # "2016-01-05T03:00:00" -> hours since the epoch
        import datetime
        dt = datetime.datetime.fromisoformat(text).replace(tzinfo=datetime.timezone.utc)
        return int(dt.timestamp()) // 3600
    return [(hour(r["hour"]), r["max_user"]) for r in rows]


def timed(fn, runs):
    times = []
    result = None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return result, statistics.median(times), min(times)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--db", required=True)
    p.add_argument("--data-dir", required=True)
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args()

    files = sorted(glob.glob(os.path.join(args.data_dir, "**", "*.parquet"), recursive=True))
    cpu_files = [f for f in files if os.sep + "cpu" + os.sep in f]
    count = linewise(args.url, args.db, "SELECT count(*) AS n FROM cpu")[0]["n"]
    print(f"rows in cpu: {count}; Parquet files of cpu: {len(cpu_files)}")
    dataset = ds.dataset(cpu_files, format="parquet") if cpu_files else None
    parquet_rows = dataset.count_rows() if dataset else 0
    print(f"rows in those files: {parquet_rows} (the rest is in the server's buffer)")

    for index, (name, sql) in enumerate(QUERIES):
        rows, med, best = timed(lambda: linewise(args.url, args.db, sql), args.runs)
        print(f"[{name}] linewise (HTTP, json): median {med * 1000:.0f} ms, best {best * 1000:.0f} ms, {len(rows)} result rows")
        if dataset is not None and parquet_rows == count:
            peer, pmed, pbest = timed(lambda: pyarrow_answer(dataset, index), args.runs)
            print(f"[{name}] pyarrow (Acero, in-process): median {pmed * 1000:.0f} ms, best {pbest * 1000:.0f} ms")
            mine = linewise_answer(rows, index)
            assert mine == peer, f"answers differ:\nlinewise {mine[:5]}\npyarrow  {peer[:5]}"
            print(f"[{name}] answers agree")


if __name__ == "__main__":
    main()
