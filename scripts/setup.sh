#!/usr/bin/env bash
# Installs every tool the project needs on a fresh machine, each only when the right version is missing,
# so a second run is a few seconds of checks. Called by `scripts/test.sh` and `scripts/run.sh`.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

TRUNK_VERSION=0.21.14
WASM_BINDGEN_VERSION=0.2.130

log() { printf '[setup] %s\n' "$*" >&2; }

apt_install() {
    local missing=()
    for pkg in "$@"; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "apt-get install ${missing[*]}"
    local tmp
    tmp=$(mktemp -d)
    apt-get update -q >/dev/null
    TMPDIR=$tmp apt-get install -y -q -o DPkg::Lock::Timeout=600 "${missing[@]}" >/dev/null \
        || { apt-get -f install -y -q -o DPkg::Lock::Timeout=600 >/dev/null;
             TMPDIR=$tmp apt-get install -y -q -o DPkg::Lock::Timeout=600 "${missing[@]}" >/dev/null; }
    rm -rf "$tmp"
}

# The tools orchestrate and rewrite files of a few megabytes: opt-level 1 without LTO or debug info
# runs them as fast as the build needs and compiles in well under half the time of their own
# fat-LTO release profiles. Both share one target directory, so common crates build once.
tool_profile() {
    CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
        CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_DEBUG=0 \
        CARGO_TARGET_DIR="$PWD/target/tools" "$@"
}

install_rust_tools() {
    rustup target list --installed | grep -q '^wasm32-unknown-unknown$' \
        || rustup target add wasm32-unknown-unknown
    if ! trunk --version 2>/dev/null | grep -q "^trunk ${TRUNK_VERSION}$"; then
        log "cargo install trunk ${TRUNK_VERSION} (several minutes)"
        # No TLS is needed: Trunk runs offline here.
        tool_profile cargo install --locked trunk --version "$TRUNK_VERSION" --no-default-features
    fi
    if ! wasm-bindgen --version 2>/dev/null | grep -q "^wasm-bindgen ${WASM_BINDGEN_VERSION}$"; then
        log "cargo install wasm-bindgen-cli ${WASM_BINDGEN_VERSION} (several minutes)"
        # Not --locked: its lock file names a webpki-roots release the registry does not serve.
        tool_profile cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
    fi
}

install_node_tools() {
    # playwright-core, binaryen (wasm-opt 132: Debian's 108 breaks the wasm) and the JS InfluxDB client.
    if [ ! -d tests/node_modules ] || [ tests/package-lock.json -nt tests/node_modules ]; then
        log "npm ci in tests/"
        (cd tests && npm ci --no-audit --no-fund --loglevel=error)
        touch tests/node_modules
    fi
}

install_python_tools() {
    if [ ! -x tests/.venv/bin/python ] || [ tests/requirements.txt -nt tests/.venv ]; then
        log "python venv with the InfluxDB client libraries"
        python3 -m venv tests/.venv
        tests/.venv/bin/pip install -q --disable-pip-version-check -r tests/requirements.txt
        touch tests/.venv
    fi
}

case "${1:-all}" in
    run) install_rust_tools; install_node_tools ;;
    all)
        apt_install chromium chromium-driver wrk
        install_rust_tools
        install_node_tools
        install_python_tools
        ;;
    *) echo "usage: scripts/setup.sh [run|all]" >&2; exit 2 ;;
esac
