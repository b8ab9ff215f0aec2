#!/usr/bin/env bash
# Builds the web UI and the server, then runs `linewise serve` on embedded defaults
# (data under ./data, http://127.0.0.1:8181, UI at /). Extra arguments go to `linewise serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh run
export PATH="$PWD/tests/node_modules/.bin:$HOME/.cargo/bin:$PATH"
cargo fetch
trunk build --release
cargo build --release -p linewise-server
exec target/release/linewise serve "$@"
