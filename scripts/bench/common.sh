# Sourced by the benchmarks: the one server under test at a time, and InfluxDB 1.6 (Debian
# `influxdb`) as the peer, on loopback only.
#
#   stop_server                      # stops the server in server_pid, if any, and waits for it
#   start_influxd DIR PORT [EXTRA]   # sets server_pid; EXTRA: more lines for the [data] section
# Writes DIR/influxdb.conf (data, WAL and meta under DIR, RPC on PORT+1, no logging), starts influxd,
# waits for /ping and creates database `bench`.
server_pid=
stop_server() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=
    fi
}

start_influxd() {
    local dir=$1 port=$2 extra=${3:-}
    rm -rf "$dir"
    mkdir -p "$dir"
    cat > "$dir/influxdb.conf" <<CONF
reporting-disabled = true
bind-address = "127.0.0.1:$((port + 1))"
[meta]
  dir = "$dir/meta"
[data]
  dir = "$dir/data"
  wal-dir = "$dir/wal"
  query-log-enabled = false
$extra
[http]
  bind-address = "127.0.0.1:$port"
  log-enabled = false
[logging]
  level = "error"
CONF
    influxd -config "$dir/influxdb.conf" >/dev/null 2>"$dir.log" &
    server_pid=$!
    local _
    for _ in $(seq 100); do
        curl -fs -o /dev/null "http://127.0.0.1:$port/ping" && break
        sleep 0.1
    done
    curl -fs -XPOST "http://127.0.0.1:$port/query" --data-urlencode "q=CREATE DATABASE bench" >/dev/null
}
