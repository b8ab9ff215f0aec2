#!/usr/bin/env bash
# Query benchmark (not in CI): filtered aggregates over LINES (default 10M) `cpu` rows written through
# the HTTP API, timed while the rows are in the in-memory buffer and again once they are all in
# Parquet, with pyarrow (Acero) computing the same answers from the same Parquet files as the peer.
#
#   scripts/bench/query.sh            # needs tests/.venv (scripts/setup.sh all) for pyarrow
#   LINES=1000000 WORK=/tmp/qb scripts/bench/query.sh
#
# The generated line protocol (3.4 GB for 10M lines) is kept in $WORK and reused by later runs.
set -euo pipefail
cd "$(dirname "$0")/../.."

LINES=${LINES:-10000000}
WORK=${WORK:-$(mktemp -d)}
PORT=${PORT:-18190}
PYTHON=${PYTHON:-tests/.venv/bin/python}
RUNS=${RUNS:-5}
URL="http://127.0.0.1:$PORT"
BIN=target/release/linewise
mkdir -p "$WORK"
LP="$WORK/cpu-$LINES.lp"

cargo build --release -p linewise-server
[ -s "$LP" ] || python3 scripts/bench/gen_lp.py --schema cpu --hosts 100 --lines "$LINES" --seed 1 -o "$LP"

pid=""
start() {
    "$BIN" serve --data-dir "$WORK/data" --http-bind "127.0.0.1:$PORT" --max-buffer-size 8589934592 \
        --wal-segment-size 17179869184 --persist-interval "$1" --shutdown-timeout 600s >"$WORK/serve.log" 2>&1 &
    pid=$!
    for _ in $(seq 200); do curl -sf "$URL/health" >/dev/null && return; sleep 0.1; done
    echo "server did not start" >&2; exit 1
}
stop() { [ -n "$pid" ] && kill -TERM "$pid" && wait "$pid" || true; pid=""; }
trap stop EXIT

rm -rf "$WORK/data"
start 1h
echo "== writing $LINES lines"
t0=$(date +%s.%N)
"$BIN" write --db bench --host "$URL" --precision ns --batch-size 20000 "$LP" >/dev/null
t1=$(date +%s.%N)
echo "written in $(echo "$t1 - $t0" | bc) s"

echo "== all rows in the buffer"
"$PYTHON" scripts/bench/query_bench.py --url "$URL" --db bench --data-dir "$WORK/data" --runs "$RUNS"

echo "== persisting (graceful stop), restart: all rows in Parquet"
stop
start 1h
"$PYTHON" scripts/bench/query_bench.py --url "$URL" --db bench --data-dir "$WORK/data" --runs "$RUNS"
du -sh "$WORK/data/parquet"
