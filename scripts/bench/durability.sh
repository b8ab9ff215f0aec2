#!/usr/bin/env bash
# Acknowledged-write latency and throughput (not part of CI): wrk posts gen_lp.py `cpu` batches to
# `linewise serve` with no_sync=false (answer after fdatasync, group commit) and no_sync=true (answer
# after buffering), and in the same run to InfluxDB 1.6 (Debian's `influxdb`, whose WAL also fsyncs
# before answering), on the same disk and loopback.
# Shapes (CONNSxLINES): 1-line writes on 1 connection (latency of one durable write), and 100- and
# 1,000-line batches on 16 connections (concurrent writers: throughput and ack latency).
# Prints lines/s, p50/p99 per run.
#
#   GEN_LP=path/to/gen_lp.py scripts/bench/durability.sh        # DURATION=10s
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=common.sh
source scripts/bench/common.sh

GEN_LP=${GEN_LP:?set GEN_LP to the path of the data generator gen_lp.py}
DURATION=${DURATION:-10s}
BATCHES=20
LW_PORT=${LW_PORT:-18391}
INFLUX_PORT=${INFLUX_PORT:-18396}

command -v wrk >/dev/null || { echo "wrk is missing (apt-get install wrk)" >&2; exit 2; }

work=$(mktemp -d -p "${BENCH_DIR:-$PWD/target}")
trap 'stop_server; rm -rf "$work"' EXIT

cargo build --release -q -p linewise-server --bin linewise
python3 "$GEN_LP" --schema cpu --hosts 100 --lines $((1000 * BATCHES)) > "$work/cpu.lp"
mkdir -p "$work/b1" "$work/b100" "$work/b1000"
split -l 1000 -d -a 2 "$work/cpu.lp" "$work/b1000/batch-"
head -n $((100 * BATCHES)) "$work/cpu.lp" | split -l 100 -d -a 2 - "$work/b100/batch-"
head -n "$BATCHES" "$work/cpu.lp" | split -l 1 -d -a 2 - "$work/b1/batch-"

wait_http() { # url: until it answers, and fail if our server died (port taken by another process)
    for _ in $(seq 100); do
        kill -0 "$server_pid" 2>/dev/null || { echo "server exited, see $work/*.log" >&2; exit 1; }
        curl -fs -o /dev/null "$1" && return 0
        sleep 0.1
    done
    echo "server at $1 did not come up" >&2
    exit 1
}

start_linewise() {
    rm -rf "$work/lw"
    target/release/linewise serve --http-bind "127.0.0.1:$LW_PORT" --data-dir "$work/lw" \
        --ui-dir "$work/none" >/dev/null 2>"$work/lw.log" &
    server_pid=$!
    wait_http "http://127.0.0.1:$LW_PORT/ping"
}

start_influxdb() {
    start_influxd "$work/influx" "$INFLUX_PORT" '  wal-fsync-delay = "0s"'
}

run() { # name conns lines-per-batch
    local name=$1 conns=$2 lines=$3 url
    case $name in
        influxdb-1.6) start_influxdb; url="http://127.0.0.1:$INFLUX_PORT/write?db=bench&precision=ns" ;;
        linewise-sync) start_linewise; url="http://127.0.0.1:$LW_PORT/api/v3/write_lp?db=bench" ;;
        linewise-no_sync) start_linewise; url="http://127.0.0.1:$LW_PORT/api/v3/write_lp?db=bench&no_sync=true" ;;
    esac
    local threads=$(( conns < 2 ? conns : 2 ))
    out=$(wrk -t "$threads" -c "$conns" -d "$DURATION" --timeout 30s -s scripts/bench/post-batches.lua \
        "$url" -- "$work/b$lines" "$BATCHES" | grep '^RESULT')
    [ "$name" = influxdb-1.6 ] || curl -s -XPOST "$url" --data-binary @"$work/b$lines/batch-00" >&2
    stop_server
    eval "${out#RESULT }"
    printf '%-17s %5d %6d %12.0f %9s %9s %7d\n' "$name" "$conns" "$lines" \
        "$(echo "($requests - $non2xx) * $lines / $duration_s" | bc -l)" "$p50_ms" "$p99_ms" "$((non2xx + sockerr))"
}

printf '%-17s %5s %6s %12s %9s %9s %7s\n' server conns lines lines/s p50_ms p99_ms errors
for shape in ${SHAPES:-1x1 16x100 16x1000}; do
    set -- ${shape/x/ }
    for server in linewise-sync linewise-no_sync influxdb-1.6; do
        if [ "$server" = influxdb-1.6 ] && ! command -v influxd >/dev/null; then continue; fi
        run "$server" "$1" "$2"
    done
done
