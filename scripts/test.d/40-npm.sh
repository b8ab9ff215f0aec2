# The npm package `linewise` (crates/wasm/js): lints and native unit tests of the wasm bindings
# (crate linewise-wasm, whose wasm32 build the workspace steps do not cover), then build the .wasm and
# its glue, pack the tarball, install it into a scratch project and run its node tests there (Node
# and Chromium).
set -euo pipefail
cargo clippy -p linewise-wasm --target wasm32-unknown-unknown -- -D warnings
cargo test -p linewise-wasm
cd crates/wasm/js
npm run build --silent
npm test --silent
