# The core builds without std and for wasm32 (nothing std-only creeps in), and its tests pass.
set -euo pipefail
cargo build -p linewise-core --no-default-features
cargo build -p linewise-core --no-default-features --target wasm32-unknown-unknown
