# Durability against the real binary: SIGKILL crash cycles under concurrent writers, Parquet read back with
# pyarrow, S3 through moto_server on loopback (including an outage), damaged-WAL start-up (tests/durability).
set -euo pipefail
cargo build -q -p linewise-server --bin linewise
export LINEWISE_BIN="$PWD/target/debug/linewise"
(cd tests && timeout 300 .venv/bin/python -m pytest -q -p no:cacheprovider durability)
