# The web page: Trunk release build (the wasm size is printed), then browser tests in headless
# Chromium against a real `linewise serve` serving that build (paste-to-marks timings are printed).
set -euo pipefail
cargo fetch -q
scripts/page.sh
cargo build -q -p linewise-server
wasm=$(ls dist/*.wasm)
echo "[web] $(basename "$wasm"): $(stat -c %s "$wasm") bytes raw, $(gzip -9c "$wasm" | wc -c) bytes gzip -9"
export LINEWISE_BIN="$PWD/target/debug/linewise" LINEWISE_UI_DIR="$PWD/dist"
(cd tests && timeout 600 node --test --test-reporter=spec browser/)
