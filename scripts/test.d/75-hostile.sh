# The hostile-input suite (tests/hostile) against the real binary: one test per class of attack or fault,
# each asserting the answer, /health latency during the attack, and that acknowledged rows survive.
set -euo pipefail
cargo build -q -p linewise-server --bin linewise
export LINEWISE_BIN="$PWD/target/debug/linewise"
(cd tests && timeout 600 .venv/bin/python -m pytest -q -p no:cacheprovider hostile)
