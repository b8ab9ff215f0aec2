#!/usr/bin/env bash
# Builds the web page (crates/web) with Trunk into dist/, unless dist/ is already newer than every
# input. Shared by scripts/run.sh and the browser tests, so the page is built once for both. The page
# has its own cargo target directory (target/web): cargo locks a target directory while it builds,
# and this one lets the page build beside the server's release build.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=target/web/page.stamp
if [ -f "$stamp" ] && [ -f dist/index.html ] \
    && [ -z "$(find index.html Trunk.toml Cargo.toml Cargo.lock crates -path crates/server -prune \
        -o -newer "$stamp" -print -quit)" ]; then
    echo "[page] dist/ is up to date"
    exit 0
fi
mkdir -p target/web
touch "$stamp.new"
CARGO_TARGET_DIR="$PWD/target/web" trunk build --release
mv "$stamp.new" "$stamp"
