#!/usr/bin/env bash
# Load benchmark (not part of CI): wrk posts 5,000-line batches of gen_lp.py `cpu` data to
# `linewise serve` and, in the same run on the same data, to InfluxDB 1.6 (Debian's `influxdb`),
# both through the v1 `/write?db=` endpoint on loopback, with 1, 4 and 16 connections.
# Prints lines/s, server CPU seconds and p50/p99 latency per run.
#
#   GEN_LP=path/to/gen_lp.py scripts/bench/load.sh            # DURATION=10s CONNS="1 4 16"
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=common.sh
source scripts/bench/common.sh

GEN_LP=${GEN_LP:?set GEN_LP to the path of the data generator gen_lp.py}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-1 4 16}
BATCH=5000
BATCHES=20
LW_PORT=${LW_PORT:-18181}
INFLUX_PORT=${INFLUX_PORT:-18086}

command -v wrk >/dev/null || { echo "wrk is missing (apt-get install wrk)" >&2; exit 2; }
command -v influxd >/dev/null || { echo "influxd is missing (apt-get install influxdb)" >&2; exit 2; }

work=$(mktemp -d)
trap 'stop_server; rm -rf "$work"' EXIT

cargo build --release -q -p linewise-server
python3 "$GEN_LP" --schema cpu --hosts 100 --lines $((BATCH * BATCHES)) > "$work/cpu.lp"
split -l "$BATCH" -d -a 2 "$work/cpu.lp" "$work/batch-"

cpu_seconds() { # utime + stime of a process, in seconds
    awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"
}

wait_http() {
    for _ in $(seq 100); do
        curl -fs -o /dev/null "$1" && return 0
        sleep 0.1
    done
    echo "server at $1 did not come up" >&2
    exit 1
}

start_linewise() {
    rm -rf "$work/lw"
    LINEWISE_MAX_BUFFER_SIZE=$((16 << 30)) target/release/linewise serve \
        --http-bind "127.0.0.1:$LW_PORT" --data-dir "$work/lw" --ui-dir "$work/none" \
        >/dev/null 2>"$work/lw.log" &
    server_pid=$!
    wait_http "http://127.0.0.1:$LW_PORT/ping"
}

printf '%-16s %5s %12s %8s %9s %9s %8s\n' server conns lines/s cpu_s p50_ms p99_ms errors
for conns in $CONNS; do
    for server in influxdb-1.6 linewise; do
        if [ "$server" = linewise ]; then start_linewise; port=$LW_PORT; else start_influxd "$work/influx" "$INFLUX_PORT"; port=$INFLUX_PORT; fi
        threads=$(( conns < 2 ? conns : 2 ))
        cpu0=$(cpu_seconds "$server_pid")
        out=$(wrk -t "$threads" -c "$conns" -d "$DURATION" --timeout 30s -s scripts/bench/post-batches.lua \
            "http://127.0.0.1:$port/write?db=bench&precision=ns" -- "$work" "$BATCHES" | grep '^RESULT')
        cpu1=$(cpu_seconds "$server_pid")
        stop_server
        eval "${out#RESULT }"
        ok=$((requests - non2xx))
        printf '%-16s %5d %12.0f %8.2f %9s %9s %8d\n' "$server" "$conns" \
            "$(echo "$ok * $BATCH / $duration_s" | bc -l)" "$(echo "$cpu1 - $cpu0" | bc -l)" \
            "$p50_ms" "$p99_ms" "$((non2xx + sockerr))"
    done
done
