# Line protocol is the core's alone: no face (server, CLI, web page, npm bindings) re-implements
# record splitting, the parse → validate loop, the conflict message or the blank/comment-line rule.
# Each pattern below is one of the copies that once lived outside crates/core; finding it again
# fails this step.
set -euo pipefail
cd "$(dirname "$0")/../.."
patterns=(
    'BatchValidator'                     # the validator is driven by the core's Checker only
    'contains\("unterminated"\)'         # guessing from an error kind's name whether a record goes on
    'open_string|string_open_at_end'     # carrying open strings across chunks (the core's Splitter)
    'memchr\(b.".'                       # looking for quotes to find record ends
    "invalid column type for column '\{" # rewording the core's conflict message
    'fn (all_known|columns_of|type_conflict)\b' # re-checking what the validator checked
    "starts_with\('#'\)"                 # the parser's blank and comment lines
)
found=0
for p in "${patterns[@]}"; do
    if git grep --untracked -n -E -e "$p" -- 'crates/*/src/**.rs' ':!crates/core/**'; then
        echo "^ outside crates/core: /$p/ (call the core's pipeline instead)" >&2
        found=1
    fi
done
exit "$found"
