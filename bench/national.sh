#!/usr/bin/env bash
# Loads the main pages with 64 concurrent clients (wrk), as a province administrator and
# as a unit user, on a generated database, and prints p50/p99/throughput/errors per page.
#
#   bench/national.sh                      # national scale, SQLite
#   DB=postgres bench/national.sh          # national scale, PostgreSQL
#   SCALE=province bench/national.sh       # the demo province (about 150 systems)
#
# Options (environment):
#   DB          sqlite (default) | postgres
#   SCALE       national (default) | province
#   KHIEN_BIN   the binary (default: target/release/khien; build it with
#               `cargo build --release --bin khien`)
#   PG_URL      server for DB=postgres (default postgres://postgres@127.0.0.1:55433);
#               the script creates (and with DROP=1 drops) database khien_bench_$SCALE
#   WORK        where the SQLite file and the data directory live
#               (default /var/tmp/khien-bench-$SCALE-$DB); reused when it already holds data,
#               so the generation runs once (FRESH=1 regenerates)
#   DURATION    seconds per URL (default 10), CONNECTIONS (64), THREADS (2), PORT (18080)
#   ONLY        a regular expression: run only the pages whose name matches
#   OUT         also append the table rows (markdown) to this file
set -euo pipefail

DB=${DB:-sqlite}
SCALE=${SCALE:-national}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
PORT=${PORT:-18080}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:55433}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
KHIEN_BIN=${KHIEN_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/khien}
WORK=${WORK:-/var/tmp/khien-bench-$SCALE-$DB}
ONLY=${ONLY:-.}
BASE="http://127.0.0.1:$PORT"

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 2; }
[ -x "$KHIEN_BIN" ] || { echo "no khien binary at $KHIEN_BIN: cargo build --release --bin khien" >&2; exit 2; }

mkdir -p "$WORK"
case "$DB" in
  sqlite) URL="sqlite://$WORK/khien.db" ;;
  postgres)
    DBNAME="khien_bench_$SCALE"
    if [ "${FRESH:-0}" = 1 ]; then psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS $DBNAME"; fi
    psql "$PG_URL/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname = '$DBNAME'" | grep -q 1 \
      || psql "$PG_URL/postgres" -qc "CREATE DATABASE $DBNAME"
    URL="$PG_URL/$DBNAME" ;;
  *) echo "DB must be sqlite or postgres" >&2; exit 2 ;;
esac
if [ "${FRESH:-0}" = 1 ] && [ "$DB" = sqlite ]; then rm -f "$WORK"/khien.db*; fi
export KHIEN_DATABASE_URL="$URL" KHIEN_DATA_DIR="$WORK/data"

# Generate once (the generator refuses a database that already holds data).
gen_log="$WORK/generate-$DB.log"
if ! grep -q "created in\|already holds data" "$gen_log" 2>/dev/null; then
  /usr/bin/time -v "$KHIEN_BIN" demo --scale "$SCALE" >"$gen_log" 2>"$WORK/generate-$DB.time" || { cat "$gen_log" "$WORK/generate-$DB.time" >&2; exit 1; }
fi
echo "generation: $(grep 'created in' "$gen_log")"
echo "generation wall/peak RSS: $(grep -E 'Elapsed|Maximum resident' "$WORK/generate-$DB.time" | sed 's/^\s*//' | tr '\n' ' ')"
if [ "$DB" = sqlite ]; then
  echo "database size: $(du -sh "$WORK"/khien.db | cut -f1)"
else
  echo "database size: $(psql "$URL" -tAc "SELECT pg_size_pretty(pg_database_size(current_database()))")"
fi

"$KHIEN_BIN" serve --listen "127.0.0.1:$PORT" --no-worker >"$WORK/serve-$DB.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -fs "$BASE/healthz" >/dev/null 2>&1 && break; sleep 0.2; done

# Signs in through the login form and prints the Cookie header value.
sign_in() {
  local user=$1 jar csrf
  jar=$(mktemp)
  csrf=$(curl -s -c "$jar" -b "$jar" "$BASE/login" | sed -n 's/.*name="_csrf" value="\([^"]*\)".*/\1/p' | head -1)
  curl -s -o /dev/null -c "$jar" -b "$jar" --data-urlencode "_csrf=$csrf" --data-urlencode "username=$user" \
    --data-urlencode "password=Khien@2026!" "$BASE/login"
  awk '{ sub(/^#HttpOnly_/, "") } !/^#/ && NF >= 7 && $6 != "khien_pre" { printf "%s%s=%s", sep, $6, $7; sep="; " }' "$jar"
  rm -f "$jar"
}
token_for() {
  "$KHIEN_BIN" token create --user "$1" --name "bench-$(date +%s%N)" --scope read --days 1 | grep -Eo '[A-Za-z0-9_-]{32,}' | tail -1
}

# The href of the pager's "next" link after `$1` pages of `$2` (the deep-page cursor).
deep_link() {
  local cookie=$1 path=$2 pages=$3 url
  url="$path"
  for _ in $(seq 1 "$pages"); do
    next=$(curl -s -H "Cookie: $cookie" "$BASE$url" | grep -o 'href="[^"]*"[^>]*id="next-page"' | head -1 | sed 's/href="\([^"]*\)".*/\1/; s/&amp;/\&/g; s/&#38;/\&/g')
    [ -n "$next" ] || break
    case "$next" in \?*) url="$path$next" ;; *) url="$next" ;; esac
  done
  echo "$url"
}

printf '| %-6s | %-8s | %-9s | %-34s | %8s | %8s | %8s | %6s | %8s |\n' scale db user page p50_ms p99_ms req_s errors KB
printf '|---|---|---|---|---|---|---|---|---|\n'

run() {
  local user=$1 name=$2 path=$3 header=$4
  [[ "$name" =~ $ONLY ]] || return 0
  local size out p50 p99 rps errs non2xx sock
  size=$(curl -s -o /dev/null -w '%{size_download}' -H "$header" "$BASE$path")
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "$header" "$BASE$path" 2>&1)
  to_ms() { awk '{ v=$1; if (v ~ /us$/) { sub(/us$/,"",v); v/=1000 } else if (v ~ /ms$/) { sub(/ms$/,"",v) } else if (v ~ /s$/) { sub(/s$/,"",v); v*=1000 } printf "%.1f", v }'; }
  p50=$(echo "$out" | awk '$1=="50%"{print $2}' | to_ms)
  p99=$(echo "$out" | awk '$1=="99%"{print $2}' | to_ms)
  rps=$(echo "$out" | awk '/Requests\/sec/{printf "%.0f", $2}')
  non2xx=$(echo "$out" | awk '/Non-2xx/{print $NF}')
  sock=$(echo "$out" | awk '/Socket errors/{ s=0; for (i=1;i<=NF;i++) if ($i ~ /^[0-9]+,?$/) s+=$i; print s }')
  errs=$(( ${non2xx:-0} + ${sock:-0} ))
  local row
  row=$(printf '| %-6s | %-8s | %-9s | %-34s | %8s | %8s | %8s | %6s | %8s |' "$SCALE" "$DB" "$user" "$name" "$p50" "$p99" "$rps" "$errs" "$((size / 1024))")
  echo "$row"
  [ -n "${OUT:-}" ] && echo "$row" >>"$OUT"
  return 0
}

for user in admin canbo.stc; do
  cookie=$(sign_in "$user")
  [ -n "$cookie" ] || { echo "sign-in failed for $user" >&2; exit 1; }
  token=$(token_for "$user")
  label=$([ "$user" = admin ] && echo province || echo unit)
  C="Cookie: $cookie"
  # Fixtures: a dossier in scope, deep pages of the systems list and the audit trail.
  sys_json=$(curl -s -H "Authorization: Bearer $token" "$BASE/api/v1/systems?q=mot+cua")
  sys_id=$(echo "$sys_json" | grep -o '"id":"[^"]*"' | head -1 | cut -d'"' -f4)
  dossier=$(curl -s -H "Authorization: Bearer $token" "$BASE/api/v1/systems/$sys_id/dossiers" | grep -o '"id":"[^"]*"' | head -1 | cut -d'"' -f4)
  if [ "$user" = admin ]; then deep=200; else deep=1; fi
  deep_systems=$(deep_link "$cookie" /systems "$deep")
  deep_audit=$(deep_link "$cookie" /audit "$([ "$user" = admin ] && echo 200 || echo 5)")
  run "$label" dashboard / "$C"
  run "$label" "systems p1" /systems "$C"
  run "$label" "systems deep" "$deep_systems" "$C"
  run "$label" "systems filter status" "/systems?status=building" "$C"
  run "$label" "systems search 'mot cua'" "/systems?q=mot+cua" "$C"
  run "$label" "levels (province view)" /levels "$C"
  run "$label" "dossier" "/dossiers/$dossier" "$C"
  run "$label" "audit p1" /audit "$C"
  run "$label" "audit deep" "$deep_audit" "$C"
  run "$label" "hunts" /hunts "$C"
  run "$label" "api systems" /api/v1/systems "Authorization: Bearer $token"
  run "$label" "api audit" /api/v1/audit "Authorization: Bearer $token"
  run "$label" "api hunts" /api/v1/hunts "Authorization: Bearer $token"
  run "$label" "api units" /api/v1/units "Authorization: Bearer $token"
done
echo "deep pages: $deep_systems $deep_audit (last user)"
