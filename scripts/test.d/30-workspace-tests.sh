# Every Rust test in the workspace (unit tests beside the code, end-to-end tests in tests/).
set -euo pipefail
cargo test --workspace
