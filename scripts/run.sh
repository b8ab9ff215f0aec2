#!/usr/bin/env bash
# Builds the server and the web page, then runs `linewise serve` on embedded defaults
# (data under ./data, http://127.0.0.1:8181, UI at /). Extra arguments go to `linewise serve`.
#
# The server's release build needs no tool, so it starts at once and runs beside the tool installs
# and the page build: on a 2-core machine that keeps both cores busy through each build's serial
# stretches. The server starts as soon as it is built; a page still building then appears at `/`
# when it is done (the placeholder page reloads itself). Build output goes to
# target/run/{server,page}.log and a progress line is printed every 20 seconds instead, so two
# builds never scramble the terminal.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/tests/node_modules/.bin:$HOME/.cargo/bin:$PATH"
t0=$SECONDS
say() { printf '[run %4ss] %s\n' $((SECONDS - t0)) "$*" >&2; }

mkdir -p target/run
cargo fetch -q
trap 'kill $(jobs -p) 2>/dev/null' EXIT

say "building the server and the page (the first time takes a while; logs in target/run/)"
cargo build --release -p linewise-server >target/run/server.log 2>&1 &
server=$!
# The API answers once the server is built, so its build comes first: the tools and the page run
# at a lower priority and take the cores the server build leaves idle (its serial stretches).
(nice -n 15 scripts/setup.sh run && nice -n 15 scripts/page.sh) >target/run/page.log 2>&1 &
page=$!

crates=$(cargo tree -q -p linewise-server -e normal,build --prefix none | sort -u | wc -l)
progress() {
    local built last
    built=$(grep -c '^ *Compiling ' target/run/server.log || true)
    last=$(grep -v '^ *$' target/run/page.log | tail -n 1 | cut -c1-70 || true)
    say "server: ${built} of ~${crates} crates compiled | page: ${last:-starting}"
}
ticks=0
while kill -0 "$server" 2>/dev/null; do
    sleep 1
    ticks=$((ticks + 1))
    [ $((ticks % 20)) -eq 0 ] && progress
done
if ! wait "$server"; then
    say "the server build failed; the end of target/run/server.log:"
    tail -n 30 target/run/server.log >&2
    exit 1
fi

trap - EXIT
# When nothing changed the page step is only a few seconds of checks: let it finish first.
for _ in 1 2 3 4 5; do kill -0 "$page" 2>/dev/null && sleep 1; done
if kill -0 "$page" 2>/dev/null; then
    say "server built; the page is still building (target/run/page.log) and appears at / when done"
elif ! wait "$page"; then
    say "the page build failed (the API works without it); the end of target/run/page.log:"
    tail -n 30 target/run/page.log >&2
fi
say "starting linewise serve"
exec target/release/linewise serve "$@"
