#!/usr/bin/env bash
# Speed and detection-count comparison of `khien hunt` with Hayabusa and Chainsaw.
#
# Peers are NOT part of this repository: bring your own binaries.
#   HAYABUSA_BIN=/path/to/hayabusa  CHAINSAW_BIN=/path/to/chainsaw \
#   CHAINSAW_MAPPING=/path/to/chainsaw/mappings/sigma-event-logs-all.yml \
#   crates/hunt/bench/hunt.sh [EVTX_DIR] [RULES_DIR]
# Defaults: the shared corpus' evtx/ and sigma/rules. KHIEN_BIN defaults to the
# release build of the khien-hunt example (built here if missing).
# Each tool runs REPEAT times (default 3); the best wall time is reported.
set -euo pipefail
cd "$(dirname "$0")/../../.."
CORPUS=${KHIEN_CORPUS:-$PWD/../shared/corpus}
EVTX=${1:-$CORPUS/evtx}
RULES=${2:-$CORPUS/sigma/rules}
REPEAT=${REPEAT:-3}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

if [ -z "${KHIEN_BIN:-}" ]; then
  export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/tmp/target-hunt}
  cargo build --release -q -p khien-hunt --example khien-hunt
  KHIEN_BIN=$CARGO_TARGET_DIR/release/examples/khien-hunt
fi

best() { # best wall-clock seconds of REPEAT runs of "$@"
  local b=""
  for _ in $(seq "$REPEAT"); do
    local s e t
    s=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s.%N)
    t=$(echo "$e - $s" | bc)
    if [ -z "$b" ] || [ "$(echo "$t < $b" | bc)" = 1 ]; then b=$t; fi
  done
  echo "$b"
}

printf '%-10s %10s %12s %10s\n' tool seconds detections peak_MB
run_khien() { "$KHIEN_BIN" --sigma "$RULES" --format jsonl --output "$OUT/khien.jsonl" "$EVTX"; }
t=$(best run_khien)
rss=$( { /usr/bin/time -f '%M' "$KHIEN_BIN" --sigma "$RULES" --format jsonl --output /dev/null "$EVTX" 2>&1 >/dev/null; } | tail -1)
printf '%-10s %10.2f %12s %10s\n' khien "$t" "$(wc -l < "$OUT/khien.jsonl")" "$((rss / 1024))"

if [ -n "${HAYABUSA_BIN:-}" ]; then
  run_hayabusa() { "$HAYABUSA_BIN" csv-timeline -d "$EVTX" -r "$RULES" -o "$OUT/hayabusa.csv" -w -q -C --no-color -U >/dev/null; rm -f "$OUT/hayabusa.csv.tmp"; }
  t=$(best run_hayabusa)
  printf '%-10s %10.2f %12s %10s\n' hayabusa "$t" "$(($(wc -l < "$OUT/hayabusa.csv") - 1))" -
else
  echo "hayabusa: set HAYABUSA_BIN to compare" >&2
fi

if [ -n "${CHAINSAW_BIN:-}" ]; then
  : "${CHAINSAW_MAPPING:?set CHAINSAW_MAPPING to the chainsaw mappings file/sigma-event-logs-all.yml}"
  run_chainsaw() { "$CHAINSAW_BIN" hunt "$EVTX" -s "$RULES" --mapping "$CHAINSAW_MAPPING" --jsonl -o "$OUT/chainsaw.jsonl" -q; }
  t=$(best run_chainsaw)
  printf '%-10s %10.2f %12s %10s\n' chainsaw "$t" "$(wc -l < "$OUT/chainsaw.jsonl")" -
else
  echo "chainsaw: set CHAINSAW_BIN (and CHAINSAW_MAPPING) to compare" >&2
fi
