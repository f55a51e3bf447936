#!/usr/bin/env bash
# Side-by-side speed and detection comparison of `khien hunt` with Hayabusa
# and Chainsaw (issue 4, item 7). Results and method: docs/benchmarks.md.
#
# The peers are NOT part of this repository and this script does not build
# them: bring your own release binaries and rule/mapping files.
#
#   HAYABUSA_BIN=/path/to/hayabusa            (built from Yamato-Security/hayabusa)
#   HAYABUSA_RULES=/path/to/hayabusa-rules    (checkout of Yamato-Security/hayabusa-rules:
#                                              its sigma/ and config/ are used)
#   CHAINSAW_BIN=/path/to/chainsaw            (built from WithSecureLabs/chainsaw)
#   CHAINSAW_MAPPING=/path/to/chainsaw/mappings/sigma-event-logs-all.yml
#   bench/hunt.sh
#
# Optional:
#   KHIEN_BIN      `khien` binary (runs `khien hunt`) or the khien-hunt example
#                  binary; default: built here (cargo build --release -p khien).
#   EVTX_PARSE_BIN parse-only binary (example `evtx-parse` of crates/hunt);
#                  default: built here.
#   KHIEN_CORPUS   shared corpus (default ../shared/corpus): evtx/attack_samples
#                  and sigma/rules are used.
#   COPIES         copies of the EVTX files in the data set (default 100).
#   REPEAT         runs per tool, interleaved; medians are reported (default 3).
#   EXTRA          further runs of Khiên and parse-only alone, which take
#                  seconds where the peers take a minute (default 4).
#   THREADS        threads for every tool (default: number of CPUs).
#   KEEP=1         keep the work folder (outputs of every tool).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

die() { echo "bench/hunt.sh: $*" >&2; exit 2; }
need_exe() { # name value
  [ -n "$2" ] || die "$1 is not set (see the header of bench/hunt.sh)"
  [ -x "$2" ] || die "$1=$2: no executable there"
}
need_path() {
  [ -n "$2" ] || die "$1 is not set (see the header of bench/hunt.sh)"
  [ -e "$2" ] || die "$1=$2: not found"
}
need_exe HAYABUSA_BIN "${HAYABUSA_BIN:-}"
need_path HAYABUSA_RULES "${HAYABUSA_RULES:-}"
[ -d "$HAYABUSA_RULES/sigma" ] && [ -d "$HAYABUSA_RULES/config" ] ||
  die "HAYABUSA_RULES=$HAYABUSA_RULES: expected a hayabusa-rules checkout (sigma/ and config/)"
need_exe CHAINSAW_BIN "${CHAINSAW_BIN:-}"
need_path CHAINSAW_MAPPING "${CHAINSAW_MAPPING:-}"
[ -x /usr/bin/time ] || die "/usr/bin/time is missing (Debian package: time)"
command -v python3 >/dev/null || die "python3 is missing"
python3 -c 'import yaml' 2>/dev/null || die "python3 needs PyYAML (Debian package: python3-yaml)"

CORPUS=${KHIEN_CORPUS:-$ROOT/../shared/corpus}
SAMPLES=$CORPUS/evtx/attack_samples
RULES=$CORPUS/sigma/rules
[ -d "$SAMPLES" ] && [ -d "$RULES" ] || die "corpus not found at $CORPUS (set KHIEN_CORPUS)"
COPIES=${COPIES:-100}
REPEAT=${REPEAT:-3}
EXTRA=${EXTRA:-4}
THREADS=${THREADS:-$(nproc)}

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/tmp/target-bench}
if [ -z "${KHIEN_BIN:-}" ]; then
  cargo build --release -q -p khien
  KHIEN_BIN=$CARGO_TARGET_DIR/release/khien
fi
if [ -z "${EVTX_PARSE_BIN:-}" ]; then
  cargo build --release -q -p khien-hunt --example evtx-parse
  EVTX_PARSE_BIN=$CARGO_TARGET_DIR/release/examples/evtx-parse
fi
need_exe KHIEN_BIN "$KHIEN_BIN"
need_exe EVTX_PARSE_BIN "$EVTX_PARSE_BIN"
# `khien hunt ...`, or the stand-alone example that takes the same arguments.
KHIEN=("$KHIEN_BIN")
if "$KHIEN_BIN" hunt --help >/dev/null 2>&1; then KHIEN+=(hunt); fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/khien-bench.XXXXXX")
if [ "${KEEP:-}" = 1 ]; then echo "work folder: $WORK"; else trap 'rm -rf "$WORK"' EXIT; fi
DATA=$WORK/evtx
OUT=$WORK/out
mkdir -p "$DATA" "$OUT" "$WORK/empty"

# --- data set: the corpus EVTX files, COPIES times -------------------------
mapfile -d '' SRC < <(find "$SAMPLES" -type f -name '*.evtx' -print0 | sort -z)
for i in $(seq -w 1 "$COPIES"); do
  mkdir -p "$DATA/c$i"
  for f in "${SRC[@]}"; do
    rel=${f#"$SAMPLES"/}
    cp "$f" "$DATA/c$i/${rel//\//_}"
  done
done
BYTES=$(du -sb "$DATA" | cut -f1)
NFILES=$(find "$DATA" -type f | wc -l)
NRULES=$(find "$RULES" -name '*.yml' | wc -l)

# --- Hayabusa gets its own conversions of the same rules -------------------
HB_RULES=$WORK/hayabusa-rules
python3 "$ROOT/bench/select_hayabusa_rules.py" "$RULES" "$HAYABUSA_RULES" "$HB_RULES"

# --- runs --------------------------------------------------------------------
# timed NAME CMD...: one run under /usr/bin/time -v; appends "wall rss_kb"
# to $OUT/NAME.times. A failing tool stops the benchmark.
timed() {
  local name=$1; shift
  if ! /usr/bin/time -v -o "$OUT/$name.tv" "$@" >"$OUT/$name.stdout" 2>"$OUT/$name.stderr"; then
    echo "bench/hunt.sh: $name failed:" >&2
    tail -n 20 "$OUT/$name.stderr" >&2
    exit 1
  fi
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,t,":"); s=0; for(i=1;i<=n;i++) s=s*60+t[i]; print s}' "$OUT/$name.tv")
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$OUT/$name.tv")
  echo "$wall $rss" >>"$OUT/$name.times"
}

run_parse() { timed parse "$EVTX_PARSE_BIN" --threads "$THREADS" "$DATA"; }
run_khien() {
  timed khien "${KHIEN[@]}" --threads "$THREADS" --sigma "$RULES" --format jsonl \
    --output "$OUT/khien.jsonl" "$DATA"
}
run_load() {
  timed load "${KHIEN[@]}" --threads "$THREADS" --sigma "$RULES" --format jsonl \
    --output /dev/null "$WORK/empty"
}
# Chainsaw: no -q (with -q its JSON lines output came out truncated).
run_chainsaw() {
  timed chainsaw "$CHAINSAW_BIN" hunt "$DATA" -s "$RULES" --mapping "$CHAINSAW_MAPPING" \
    --jsonl -o "$OUT/chainsaw.jsonl"
}
# Hayabusa: every rule status and noisy rules enabled, so that all the
# converted rules load; UTC, no wizard, no summary.
run_hayabusa() {
  timed hayabusa "$HAYABUSA_BIN" csv-timeline -d "$DATA" -r "$HB_RULES" \
    -c "$HAYABUSA_RULES/config" -o "$OUT/hayabusa.csv" -t "$THREADS" \
    -w -C -q -Q -K -N -D -n -u -U
}

echo "data set: $NFILES files, $BYTES bytes; rules: $NRULES; threads: $THREADS; runs: $REPEAT" >&2
timed warmup "$EVTX_PARSE_BIN" --threads "$THREADS" "$DATA" # page cache
for r in $(seq "$REPEAT"); do
  echo "round $r/$REPEAT" >&2
  run_parse; run_khien; run_chainsaw; run_hayabusa; run_load
done
for r in $(seq "$EXTRA"); do
  echo "extra round $r/$EXTRA (Khiên, parse-only, rule load)" >&2
  run_parse; run_khien; run_load
done
EVENTS=$(sed -n 's/.* files, \([0-9]*\) events.*/\1/p' "$OUT/parse.stdout")

# --- report ------------------------------------------------------------------
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
col() { awk -v c="$2" '{print $c}' "$OUT/$1.times" | median; }
P=$(col parse 1)
K=$(col khien 1)
echo
echo "machine: $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"
echo "data: $NFILES EVTX files, $(awk -v b="$BYTES" 'BEGIN {printf "%.1f MB", b/1e6}'), $EVENTS events; $NRULES Sigma rules"
echo "medians of $REPEAT runs (peers) and $((REPEAT + EXTRA)) runs (Khiên, parse-only, rule load)"
echo
echo "| tool | wall s | events/s | MB/s | peak RSS MB | Khiên speed-up |"
echo "|---|---|---|---|---|---|"
for t in khien chainsaw hayabusa parse; do
  W=$(col $t 1)
  M=$(col $t 2)
  case $t in
    khien) label="Khiên (\`khien hunt\`)" ;;
    chainsaw) label="Chainsaw" ;;
    hayabusa) label="Hayabusa" ;;
    parse) label="Khiên parse only (no rules)" ;;
  esac
  awk -v l="$label" -v w="$W" -v m="$M" -v e="$EVENTS" -v b="$BYTES" -v k="$K" -v t="$t" 'BEGIN {
    s = (t == "khien" || t == "parse") ? "-" : sprintf("%.1f×", w / k);
    printf "| %s | %.2f | %.0f | %.1f | %.0f | %s |\n", l, w, e / w, b / 1e6 / w, m / 1024, s }'
done
awk -v k="$K" -v p="$P" 'BEGIN {printf "\nKhiên total / parse-only: %.2f× (target ≤ 1.5×)\n", k / p}'
echo "rule load (khien hunt on an empty folder, whole process): $(col load 1) s (target < 1 s)"
echo
echo "## detections per rule"
python3 "$ROOT/bench/compare_detections.py" "$RULES" "$OUT/khien.jsonl" \
  "$OUT/chainsaw.jsonl" "$OUT/hayabusa.csv" "$HB_RULES/map.tsv"
