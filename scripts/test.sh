#!/bin/sh
# The whole suite: static checks, then every test on SQLite, then again on PostgreSQL.
# On a laptop without PostgreSQL the second half is skipped and said so plainly; with
# KESHENG_REQUIRE_POSTGRES=1 (CI) an unreachable PostgreSQL fails the run instead.
set -eu
VENV=${VENV:-.venv}
BIN="$VENV/bin"
POSTGRES_URL=${KESHENG_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/kesheng}
export KESHENG_ENV=development
unset DATABASE_URL || true
# Tests run tasks in-process (the Redis test brings its own broker via REDIS_TEST_URL) and never
# read a developer's .env, which may point at a real database.
unset REDIS_URL || true
export KESHENG_ENV_FILE=/nonexistent/kesheng-tests.env

echo "== static checks: ruff, import layers, types of the pure modules, migrations"
"$BIN/ruff" check .
"$BIN/ruff" format --check .
"$BIN/lint-imports" --no-cache
"$BIN/mypy"
"$BIN/kesheng" makemigrations --check --dry-run >/dev/null || {
    echo "models changed without a migration: run 'kesheng makemigrations'"; exit 1; }

echo "== tests on SQLite"
# -rs lists every skipped test with its reason (no Redis, no Chromium), so nothing passes silently.
"$BIN/pytest" -rs "$@"

echo "== tests on PostgreSQL ($POSTGRES_URL)"
if "$BIN/python" -c "
import sys, psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo
try:
    # The test database does not exist yet: ask the server's maintenance database instead.
    server = conninfo_to_dict('$POSTGRES_URL')
    server['dbname'] = 'postgres'
    psycopg.connect(make_conninfo(**server), connect_timeout=3).close()
except Exception as error:
    print(error, file=sys.stderr); sys.exit(1)
"; then
    DATABASE_URL="$POSTGRES_URL" "$BIN/pytest" -rs "$@"
elif [ "${KESHENG_REQUIRE_POSTGRES:-0}" = "1" ]; then
    echo "PostgreSQL is required here (KESHENG_REQUIRE_POSTGRES=1) but does not answer"; exit 1
else
    echo "*** PostgreSQL half SKIPPED: no server answers at $POSTGRES_URL."
    echo "*** Only the SQLite half ran. Start PostgreSQL or set KESHENG_TEST_POSTGRES_URL."
fi
