#!/usr/bin/env bash
# Sustained-ingest benchmark (not part of CI): wrk posts 5,000-line `cpu` batches (gen_lp.py lines,
# 100 hosts) whose timestamps keep advancing, so no point is ever sent twice (sustained.lua), for
# WINDOWS back-to-back 10-second windows per run, at 4 and 16 connections, to `linewise serve`
# (durable and no_sync, default settings), VictoriaMetrics (Debian `victoria-metrics`, its Influx
# /write) and InfluxDB 1.6 (Debian `influxdb`), one fresh server per run, same data, same windows.
# Before that, the generator alone is measured against a sink (sink.py) to show it is not the limit.
# Per window: accepted lines/s, refused requests, server RSS (at the window's end and peak so far),
# server CPU, rows persisted so far; per run: worst/median/best window and lines per CPU-second.
#
#   GEN_LP=path/to/gen_lp.py scripts/bench/sustained.sh     # WINDOWS=30 (5 min) CONNS="4 16"
#   SERVERS="linewise-durable linewise-no_sync victoria-metrics influxdb-1.6"
#   LINEWISE_FLAGS="--max-buffer-size 268435456"   # extra flags for linewise serve (default: none)
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=common.sh
source scripts/bench/common.sh

GEN_LP=${GEN_LP:?set GEN_LP to the path of the data generator gen_lp.py}
WINDOWS=${WINDOWS:-30}
CONNS=${CONNS:-4 16}
SERVERS=${SERVERS:-linewise-durable linewise-no_sync victoria-metrics influxdb-1.6}
WINDOW_S=10
PORT=${PORT:-18181}

for tool in wrk influxd victoria-metrics; do
    command -v "$tool" >/dev/null || { echo "$tool is missing (apt-get install wrk influxdb victoria-metrics)" >&2; exit 2; }
done

work=$(mktemp -d)
trap 'stop_server; rm -rf "$work"' EXIT

cargo build --release -q -p linewise-server
python3 "$GEN_LP" --schema cpu --hosts 100 --lines 5000 --precision ms | sed 's/ [0-9]*$//' > "$work/tpl.lp"
# A day back: VictoriaMetrics drops points outside its retention and far in the future.
base_ms=$(( ($(date +%s) - 86400) * 1000 ))

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
rss_mb() { awk -v k="$2:" '$1 == k { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }

wait_http() {
    for _ in $(seq 100); do
        curl -fs -o /dev/null "$1" && return 0
        sleep 0.1
    done
    echo "server at $1 did not come up" >&2
    exit 1
}

start_server() { # $1: server name; sets server_pid, url, persisted_cmd
    rm -rf "$work/data"
    mkdir -p "$work/data"
    case $1 in
    linewise-*)
        target/release/linewise serve --http-bind "127.0.0.1:$PORT" --data-dir "$work/data" \
            --ui-dir "$work/none" ${LINEWISE_FLAGS:-} >/dev/null 2>"$work/server.log" &
        server_pid=$!
        wait_http "http://127.0.0.1:$PORT/health"
        if [ "$1" = linewise-no_sync ]; then
            url="http://127.0.0.1:$PORT/api/v3/write_lp?db=bench&precision=millisecond&no_sync=true"
        else
            url="http://127.0.0.1:$PORT/write?db=bench&precision=ms"
        fi
        persisted_cmd=linewise_persisted ;;
    victoria-metrics)
        victoria-metrics -httpListenAddr "127.0.0.1:$PORT" -storageDataPath "$work/data" \
            -retentionPeriod 100y -loggerLevel ERROR >/dev/null 2>"$work/server.log" &
        server_pid=$!
        wait_http "http://127.0.0.1:$PORT/health"
        url="http://127.0.0.1:$PORT/write?db=bench&precision=ms"
        persisted_cmd=vm_persisted ;;
    influxdb-1.6)
        start_influxd "$work/data" "$PORT"
        url="http://127.0.0.1:$PORT/write?db=bench&precision=ms"
        persisted_cmd=none_persisted ;;
    esac
}

# Rows in Parquet: lines accepted minus lines still buffered.
linewise_persisted() {
    curl -fs "http://127.0.0.1:$PORT/metrics" | awk '
        /^linewise_lines_accepted_total / { a = $2 }
        /^linewise_buffer_rows\{/ { b += $2 }
        END { printf "%d", a - b }'
}
vm_persisted() {
    curl -fs "http://127.0.0.1:$PORT/metrics" | awk '/^vm_rows_added_to_storage_total / { printf "%d", $2 }'
}
none_persisted() { printf -- '-'; }

window() { # $1: url, $2: connections, $3: window index; prints the RESULT fields
    local threads=$(( $2 < 2 ? $2 : 2 ))
    wrk -t "$threads" -c "$2" -d "${WINDOW_S}s" --timeout 30s -s scripts/bench/sustained.lua "$1" \
        -- "$work/tpl.lp" "$base_ms" "$3" "$threads" | grep '^RESULT' | sed 's/^RESULT //'
}

# The generator alone, against a sink that reads every body and answers 204.
python3 scripts/bench/sink.py "$PORT" &
server_pid=$!
sleep 1
eval "$(window "http://127.0.0.1:$PORT/write" 4 0)"
printf 'generator against a sink, 4 connections: %.0f lines/s\n\n' "$(echo "$requests * 5000 / $duration_s" | bc -l)"
stop_server

hz=$(getconf CLK_TCK)
printf '%-18s %5s %6s %12s %14s %7s %8s %6s %12s\n' \
    server conns window lines/s refused rss_mb peak_mb cpu% persisted
summary=()
for conns in $CONNS; do
    for server in $SERVERS; do
        start_server "$server"
        rates=()
        refused_total=0
        requests_total=0
        lines_total=0
        ticks0=$(cpu_ticks "$server_pid")
        for w in $(seq 0 $((WINDOWS - 1))); do
            t0=$(cpu_ticks "$server_pid")
            eval "$(window "$url" "$conns" "$w")"
            t1=$(cpu_ticks "$server_pid")
            ok=$((requests - non2xx))
            rate=$(echo "$ok * 5000 / $duration_s" | bc -l)
            rates+=("$(printf '%.0f' "$rate")")
            refused_total=$((refused_total + non2xx + sockerr))
            requests_total=$((requests_total + requests))
            lines_total=$((lines_total + ok * 5000))
            printf '%-18s %5d %6d %12.0f %14s %7s %8s %6.0f %12s\n' "$server" "$conns" "$((w + 1))" "$rate" \
                "$((non2xx + sockerr))/$requests" "$(rss_mb "$server_pid" VmRSS)" "$(rss_mb "$server_pid" VmHWM)" \
                "$(echo "($t1 - $t0) * 100 / $hz / $duration_s" | bc -l)" "$($persisted_cmd)"
        done
        cpu_s=$(echo "($(cpu_ticks "$server_pid") - $ticks0) / $hz" | bc -l)
        peak=$(rss_mb "$server_pid" VmHWM)
        stop_server
        sorted=($(printf '%s\n' "${rates[@]}" | sort -n))
        summary+=("$(printf '%-18s %5d %10s %10s %10s %14s %8s %12.0f' "$server" "$conns" "${sorted[0]}" \
            "${sorted[$((WINDOWS / 2))]}" "${sorted[$((WINDOWS - 1))]}" "$refused_total/$requests_total" "$peak" \
            "$(echo "$lines_total / $cpu_s" | bc -l)")")
    done
done
printf '\n%-18s %5s %10s %10s %10s %14s %8s %12s\n' server conns worst median best refused peak_mb lines/cpu_s
printf '%s\n' "${summary[@]}"
