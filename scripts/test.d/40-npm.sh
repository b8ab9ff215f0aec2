# The npm package `linewise` (crates/core/js): the binding's native unit tests, then build the .wasm and
# its glue, pack the tarball, install it into a scratch project and run its node tests there.
set -euo pipefail
cargo test -p linewise-core --features wasm --lib wasm::
cd crates/core/js
npm run build --silent
npm test --silent
