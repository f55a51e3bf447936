#!/usr/bin/env bash
# The scanner-import benchmark (docs/benchmarks.md, "Importing 100,000 findings"):
# a generated Nessus v2 file of 100,000 findings over 2,000 hosts imported with
# `khien import` (release build) into one system, then a rescan with 10% changed,
# on SQLite and on PostgreSQL, each measured with /usr/bin/time -v.
#
#   bench/import.sh [postgres://user@host:port/db]   # the database is created fresh
#
# Needs: python3, a release build (`cargo build --release -p khien --bin khien`), and for
# PostgreSQL a server the URL's user may CREATE DATABASE on.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${KHIEN_BIN:-${CARGO_TARGET_DIR:-$here/../target}/release/khien}
pg=${1:-}
work=$(mktemp -d /tmp/khien-import-bench.XXXXXX)
python3 "$here/gen_nessus.py" "$work/scan1.nessus" --hosts 2000 --findings 100000
python3 "$here/gen_nessus.py" "$work/scan2.nessus" --hosts 2000 --findings 100000 --changed 10
ls -l "$work"/*.nessus

run() { # label url
  local label=$1 url=$2 data="$work/data-$1"
  mkdir -p "$data"
  # The demo province gives units and systems; the import goes into one of them.
  "$bin" --database-url "$url" --data-dir "$data" demo >/dev/null
  local sys
  case $url in
    sqlite://*) sys=$(sqlite3 "${url#sqlite://}" "SELECT id FROM systems ORDER BY id LIMIT 1") ;;
    *) sys=$(psql "$url" -tAc "SELECT id FROM systems ORDER BY id LIMIT 1") ;;
  esac
  for step in scan1 scan2; do
    echo "== $label $step"
    /usr/bin/time -v "$bin" import --database-url "$url" --data-dir "$data" --system "$sys" --full-scope "$work/$step.nessus" 2> "$work/$label-$step.time"
    grep -E "Elapsed \(wall|Maximum resident" "$work/$label-$step.time"
  done
}

run sqlite "sqlite://$work/khien.db"
if [ -n "$pg" ]; then
  db="khien_bench_$$"
  psql "$pg" -qc "CREATE DATABASE $db" >/dev/null
  run postgres "${pg%/*}/$db"
fi
echo "files and timings in $work"
