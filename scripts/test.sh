#!/usr/bin/env bash
# Runs every test: installs what is missing (scripts/setup.sh), then each step in scripts/test.d/ in
# name order. A step is a bash script that exits non-zero on failure. Stops at the first failing step.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh all
export PATH="$PWD/tests/node_modules/.bin:$HOME/.cargo/bin:$PATH"
failed=0
passed=0
for step in scripts/test.d/*.sh; do
    name=$(basename "$step" .sh)
    printf '\n==== %s ====\n' "$name"
    start=$SECONDS
    if bash "$step"; then
        passed=$((passed + 1))
        printf '==== %s ok (%ss) ====\n' "$name" $((SECONDS - start))
    else
        failed=$((failed + 1))
        printf '==== %s FAILED (%ss) ====\n' "$name" $((SECONDS - start))
        break
    fi
done
printf '\nsteps: %d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
