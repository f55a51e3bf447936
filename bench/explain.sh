#!/usr/bin/env bash
# Prints the query plan of every list query at national scale, on SQLite and PostgreSQL,
# as the store builds them (the unit user is canbo.stc: Sở Tài chính of Đắk Lắk).
#   bench/explain.sh SQLITE_FILE POSTGRES_URL
set -euo pipefail
SQLITE=${1:-/var/tmp/khien-bench-national-sqlite/khien.db}
PG=${2:-postgres://postgres@127.0.0.1:55433/khien_bench_national}
P=$(sqlite3 "$SQLITE" "SELECT path FROM units WHERE code = 'STC'")
E="${P%/}0"
U="(SELECT id FROM units WHERE path >= '$P' AND path < '$E' AND path LIKE '$P%' ESCAPE '\\')"
SYS="s.id IN (SELECT id FROM systems WHERE owner_unit_id IN $U UNION SELECT id FROM systems WHERE operator_unit_id IN $U)"
J="FROM systems s JOIN units ou ON ou.id = s.owner_unit_id JOIN units opu ON opu.id = s.operator_unit_id LEFT JOIN systems hs ON hs.id = s.hosting_system_id"
CUR=$(sqlite3 "$SQLITE" "SELECT id || '|' || name_norm FROM systems ORDER BY name_norm, id LIMIT 1 OFFSET 5000")
CID=${CUR%%|*}; CNAME=${CUR#*|}
SEQ=$(sqlite3 "$SQLITE" "SELECT MAX(seq) - 10000 FROM audit_log")
declare -a Q=(
  "systems count, province|SELECT COUNT(*) AS n FROM (SELECT 1 FROM systems s WHERE 1=1 LIMIT 1001) capped"
  "systems page 1, province|SELECT s.id, ou.name, opu.name, hs.name $J WHERE 1=1 ORDER BY s.name_norm ASC, s.id ASC LIMIT 26"
  "systems deep page (keyset), province|SELECT s.id, ou.name $J WHERE 1=1 AND s.name_norm >= '$CNAME' AND (s.name_norm > '$CNAME' OR s.id > '$CID') ORDER BY s.name_norm ASC, s.id ASC LIMIT 26"
  "systems filter status, province|SELECT s.id, ou.name $J WHERE 1=1 AND s.status = 'building' ORDER BY s.name_norm ASC, s.id ASC LIMIT 26"
  "systems search, province|SELECT s.id, ou.name $J WHERE 1=1 AND (s.name_norm LIKE '%mot cua%' ESCAPE '\\' OR LOWER(COALESCE(s.code, '')) LIKE '%mot cua%' ESCAPE '\\') ORDER BY s.name_norm ASC, s.id ASC LIMIT 26"
  "systems count, unit|SELECT COUNT(*) AS n FROM (SELECT 1 FROM systems s WHERE 1=1 AND $SYS LIMIT 1001) capped"
  "systems page 1, unit|SELECT s.id, ou.name $J WHERE 1=1 AND $SYS ORDER BY s.name_norm ASC, s.id ASC LIMIT 26"
  "dashboard by type, unit|SELECT s.system_type AS k, COUNT(*) AS n FROM systems s WHERE 1=1 AND $SYS GROUP BY s.system_type ORDER BY n DESC"
  "audit page 1, province|SELECT seq FROM audit_log WHERE 1=1 ORDER BY seq DESC LIMIT 51"
  "audit deep page (keyset), province|SELECT seq FROM audit_log WHERE 1=1 AND seq < $SEQ ORDER BY seq DESC LIMIT 51"
  "audit count, unit|SELECT COUNT(*) AS n FROM (SELECT 1 FROM audit_log WHERE 1=1 AND audit_log.unit_id IN $U LIMIT 1001) capped"
  "audit page 1, unit|SELECT seq FROM audit_log WHERE 1=1 AND audit_log.unit_id IN $U ORDER BY seq DESC LIMIT 51"
  "hunts page 1, province|SELECT h.id FROM hunts h WHERE 1=1 ORDER BY h.created_at DESC, h.id DESC LIMIT 26"
  "hunts page 1, unit|SELECT h.id FROM hunts h WHERE 1=1 AND h.id IN (SELECT id FROM hunts WHERE unit_id IN $U UNION SELECT hs.hunt_id FROM hunt_systems hs JOIN systems s ON s.id = hs.system_id WHERE s.owner_unit_id IN $U) ORDER BY h.created_at DESC, h.id DESC LIMIT 26"
  "province view dossiers, unit|SELECT d.system_id, d.status FROM dossiers d WHERE d.superseded = 0 AND d.system_id IN (SELECT s.id FROM systems s WHERE 1=1 AND $SYS)"
  "unit drop-down, province|SELECT u.id FROM units u WHERE u.active = 1 AND (u.parent_id IS NULL OR u.parent_id IN (SELECT id FROM units WHERE parent_id IS NULL))"
)
for q in "${Q[@]}"; do
  name=${q%%|*}; sql=${q#*|}
  echo "### $name"
  echo '```'
  echo "-- SQLite"
  sqlite3 "$SQLITE" "EXPLAIN QUERY PLAN $sql" | sed 's/^/   /'
  echo "-- PostgreSQL"
  psql "$PG" -X -qAtc "EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON, COSTS OFF) $sql" | grep -v '^$' | sed 's/^/   /'
  echo '```'
done
