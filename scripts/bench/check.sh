#!/usr/bin/env bash
# `linewise check FILE` as a whole process (start, read, parse, validate, report, exit) beside the
# `influxdb-line-protocol` 2.0.0 crate parsing the same file in-process (its parse only, file read
# not counted), in the same run, alternating. Prints each round and the ratio of the medians and
# of the best times. Needs the release binary (`cargo build --release -p linewise-server`).
#
#   scripts/bench/check.sh [ROUNDS] FILE...
#   python3 scripts/bench/gen_lp.py --schema cpu --hosts 100 --lines 1000000 --seed 1 -o /tmp/cpu-1m.lp
#   python3 scripts/bench/gen_lp.py --schema mixed --lines 500000 --seed 1 -o /tmp/mixed-500k.lp
#   scripts/bench/check.sh 5 /tmp/cpu-1m.lp /tmp/mixed-500k.lp
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=5
if [[ ${1:-} =~ ^[0-9]+$ ]]; then rounds=$1; shift; fi
[ $# -gt 0 ] || { echo "usage: $0 [ROUNDS] FILE..." >&2; exit 2; }
target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
linewise="$target/release/linewise"
[ -x "$linewise" ] || { echo "$linewise is missing: cargo build --release -p linewise-server" >&2; exit 2; }
cargo build --quiet --release -p linewise-core --example reference_parse
peer="$target/release/examples/reference_parse"
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
for file in "$@"; do
    ours=() theirs=()
    for ((i = 1; i <= rounds; i++)); do
        start=$(date +%s.%N)
        "$linewise" check "$file" > /dev/null 2>&1 || true
        end=$(date +%s.%N)
        ours+=("$(echo "$end - $start" | bc)")
        theirs+=("$("$peer" "$file" | cut -d' ' -f1)")
        printf '%s round %d: linewise check %.3f s, influxdb-line-protocol parse %.3f s\n' \
            "$(basename "$file")" "$i" "${ours[-1]}" "${theirs[-1]}"
    done
    om=$(printf '%s\n' "${ours[@]}" | median)
    tm=$(printf '%s\n' "${theirs[@]}" | median)
    ob=$(printf '%s\n' "${ours[@]}" | sort -n | head -1)
    tb=$(printf '%s\n' "${theirs[@]}" | sort -n | head -1)
    printf '%s: median %.3f s against %.3f s: %.1fx; best %.3f s against %.3f s: %.1fx\n' \
        "$(basename "$file")" "$om" "$tm" "$(echo "$tm / $om" | bc -l)" "$ob" "$tb" "$(echo "$tb / $ob" | bc -l)"
done
