#!/usr/bin/env bash
# Installs (if missing) and starts PostgreSQL on 127.0.0.1:5432 with a role and database
# `envforge` (password `envforge`) that may create databases: test/support/postgres.ts makes a
# fresh database per test file from it. Idempotent and quick when the server already answers.
set -euo pipefail

ROLE=envforge
PASSWORD=envforge

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi

version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if ! pg_lsclusters -h | awk '{print $1, $2}' | grep -qx "$version main"; then
  pg_createcluster "$version" main
fi
if ! pg_ctlcluster "$version" main status >/dev/null 2>&1; then
  pg_ctlcluster "$version" main start
fi

for _ in $(seq 1 50); do
  pg_isready -q -h 127.0.0.1 -p 5432 && break
  sleep 0.2
done
pg_isready -h 127.0.0.1 -p 5432

as_postgres() { su postgres -c "psql -v ON_ERROR_STOP=1 -qtAc \"$1\""; }

if [ "$(as_postgres "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'")" != "1" ]; then
  as_postgres "CREATE ROLE $ROLE LOGIN CREATEDB PASSWORD '$PASSWORD'"
fi
if [ "$(as_postgres "SELECT 1 FROM pg_database WHERE datname = '$ROLE'")" != "1" ]; then
  as_postgres "CREATE DATABASE $ROLE OWNER $ROLE"
fi
# DROP DATABASE … WITH (FORCE), which the tests use to clean up, must be able to end every session
# on the database, autovacuum workers included; that takes pg_signal_backend for a role that is not
# a superuser. Granted on every run so machines set up before this line get it too.
as_postgres "GRANT pg_signal_backend TO $ROLE"
echo "postgresql $version ready on 127.0.0.1:5432 (role and database $ROLE)"
