#!/usr/bin/env bash
# Installs PostgreSQL from Debian's packages when missing, starts its default cluster on loopback,
# and makes a role for the tests (it creates and drops one database per test). Prints the admin URL
# that the tests read from TWEEN_TEST_POSTGRES:
#   export TWEEN_TEST_POSTGRES="$(Scripts/test-postgres.sh)"
set -euo pipefail
if ! command -v pg_ctlcluster >/dev/null || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; } >&2
fi
version="$(ls /etc/postgresql | sort -n | tail -1)"
if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" && $4 == "online"' | grep -q .; then
    pg_ctlcluster "$version" main start >&2
fi
for _ in $(seq 1 30); do
    su postgres -c "psql -qAt -c 'SELECT 1'" >/dev/null 2>&1 && break
    sleep 0.5
done
su postgres -c "psql -qAt" >&2 <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tween_test') THEN
    CREATE ROLE tween_test LOGIN CREATEDB PASSWORD 'tween_test';
  END IF;
END $$;
SQL
echo "postgres://tween_test:tween_test@127.0.0.1:5432/postgres"
