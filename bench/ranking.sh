#!/usr/bin/env bash
# The compliance ranking and the daily obligation sweep at national scale (issue 12:
# "the obligation sweep and the ranking at national scale (50k systems) in ≤ 3 s").
#
#   bench/ranking.sh            # SQLite, the national data set of bench/national.sh
#
# Generates the data set once (as bench/national.sh does, same WORK directory), then:
#   - GET /ranking and /ranking.docx as the province administrator, timed by hyperfine
#     (whole requests through curl, the server warm);
#   - `khien worker --once` running the day's sweep (every unit's obligations, its
#     reminders and e-mails queued, the quarter's compliance scores), timed by
#     /usr/bin/time -v: the first sweep of a day creates the reminders, a repeat of the
#     same day (its schedule row deleted first) finds them all made.
# Needs wrk's friends: curl, hyperfine, sqlite3; a release build.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
KHIEN_BIN=${KHIEN_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/khien}
WORK=${WORK:-/var/tmp/khien-bench-national-sqlite}
PORT=${PORT:-18081}
RUNS=${RUNS:-5}
BASE="http://127.0.0.1:$PORT"
for t in curl hyperfine sqlite3; do command -v $t >/dev/null || { echo "$t is missing" >&2; exit 2; }; done
mkdir -p "$WORK"
export KHIEN_DATABASE_URL="sqlite://$WORK/khien.db" KHIEN_DATA_DIR="$WORK/data"
if ! grep -q "created in\|already holds data" "$WORK/generate-sqlite.log" 2>/dev/null; then
  /usr/bin/time -v "$KHIEN_BIN" demo --scale national >"$WORK/generate-sqlite.log" 2>"$WORK/generate-sqlite.time"
fi
echo "data: $(grep 'created in' "$WORK/generate-sqlite.log")"
echo "systems: $(sqlite3 "$WORK/khien.db" 'SELECT COUNT(*) FROM systems'), units: $(sqlite3 "$WORK/khien.db" 'SELECT COUNT(*) FROM units')"

echo "== sweep (khien worker --once)"
sweep() {
  sqlite3 "$WORK/khien.db" "DELETE FROM job_schedule WHERE key LIKE 'reminder_sweep:%'"
  /usr/bin/time -v "$KHIEN_BIN" worker --once 2>"$WORK/sweep.time" >/dev/null
  echo "$1: $(grep -E 'Elapsed \(wall|Maximum resident' "$WORK/sweep.time" | sed 's/^\s*//' | tr '\n' ' ')"
  sqlite3 "$WORK/khien.db" "SELECT 'job ' || state || ' ' || COALESCE(result_json, error, '') FROM jobs WHERE kind = 'reminder_sweep' ORDER BY created_at DESC LIMIT 1"
}
sweep "first sweep of the day"
sweep "same day again"
sweep "same day again"

"$KHIEN_BIN" serve --listen "127.0.0.1:$PORT" --no-worker >"$WORK/serve-ranking.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -fs "$BASE/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
jar=$(mktemp)
csrf=$(curl -s -c "$jar" -b "$jar" "$BASE/login" | sed -n 's/.*name="_csrf" value="\([^"]*\)".*/\1/p' | head -1)
curl -s -o /dev/null -c "$jar" -b "$jar" --data-urlencode "_csrf=$csrf" --data-urlencode "username=admin" --data-urlencode "password=Khien@2026!" "$BASE/login"
echo "== requests (province administrator, every unit in scope)"
curl -s -b "$jar" "$BASE/ranking" | grep -o 'id="ranking-intro">[^<]*' | sed 's/.*>//'
hyperfine --warmup 1 --runs "$RUNS" --export-markdown "$WORK/ranking.md" \
  -n "GET /ranking" "curl -sf -o /dev/null -b $jar $BASE/ranking" \
  -n "GET /ranking.docx" "curl -sf -o /dev/null -b $jar $BASE/ranking.docx" \
  -n "GET /obligations (first page)" "curl -sf -o /dev/null -b $jar $BASE/obligations"
cat "$WORK/ranking.md"
rm -f "$jar"
