# The npm package `linewise` (crates/core/js): lints and native unit tests of the wasm bindings
# (feature `wasm`, not covered by the workspace steps), then build the .wasm and its glue, pack the
# tarball, install it into a scratch project and run its node tests there (Node and Chromium).
set -euo pipefail
cargo clippy -p linewise-core --features wasm --all-targets -- -D warnings
cargo clippy -p linewise-core --features wasm --target wasm32-unknown-unknown -- -D warnings
cargo test -p linewise-core --features wasm --lib wasm::
cd crates/core/js
npm run build --silent
npm test --silent
