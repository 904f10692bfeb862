#!/usr/bin/env bash
# Prepare a PostgreSQL database with the benchmark data set.
#   bench/prepare.sh [scale]        scale 1.0 = full size (the default); 0.01 = one hundredth
# Uses BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/sourcewise_bench); the
# database is dropped and created again.
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE="${1:-1.0}"
URL="${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/sourcewise_bench}"
NAME="${URL##*/}"
ADMIN_URL="${URL%/*}/postgres"
PY=.venv/bin/python
[ -x "$PY" ] || make install-dev >/dev/null

psql "$ADMIN_URL" -qc "DROP DATABASE IF EXISTS \"$NAME\" WITH (FORCE)"
psql "$ADMIN_URL" -qc "CREATE DATABASE \"$NAME\""
start=$(date +%s)
DATABASE_URL="$URL" $PY manage.py migrate --no-input -v0
DATABASE_URL="$URL" $PY manage.py load_demo_data --scale "$SCALE"
psql "$URL" -qc "VACUUM ANALYZE"
echo "Prepared $NAME at scale $SCALE in $(( $(date +%s) - start )) s"
psql "$URL" -Atc "SELECT relname, n_live_tup FROM pg_stat_user_tables WHERE n_live_tup > 10000 ORDER BY n_live_tup DESC"
