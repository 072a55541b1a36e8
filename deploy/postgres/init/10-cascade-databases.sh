#!/bin/sh
# Runs once, on the first start of an empty data volume (the postgres image's
# /docker-entrypoint-initdb.d). Creates one role per consumer, each owning only its databases:
#   temporal -> temporal (default store), temporal_visibility (visibility store)
#   cascade  -> cascade_ledger (the outcome ledger; its tables are created by the worker's
#               migrations at start, not here)
# Passwords come from deploy/secrets/postgres.env; they never appear in this file.
set -eu

: "${TEMPORAL_DB_PASSWORD:?set TEMPORAL_DB_PASSWORD in deploy/secrets/postgres.env}"
: "${CASCADE_DB_PASSWORD:?set CASCADE_DB_PASSWORD in deploy/secrets/postgres.env}"

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "${POSTGRES_DB:-$POSTGRES_USER}" \
  -v temporal_pw="$TEMPORAL_DB_PASSWORD" -v cascade_pw="$CASCADE_DB_PASSWORD" <<'SQL'
CREATE ROLE temporal LOGIN PASSWORD :'temporal_pw';
CREATE DATABASE temporal OWNER temporal;
CREATE DATABASE temporal_visibility OWNER temporal;

CREATE ROLE cascade LOGIN PASSWORD :'cascade_pw';
CREATE DATABASE cascade_ledger OWNER cascade;

-- Nobody else connects to them (PUBLIC has CONNECT by default).
REVOKE CONNECT ON DATABASE temporal, temporal_visibility, cascade_ledger FROM PUBLIC;
GRANT CONNECT ON DATABASE temporal, temporal_visibility TO temporal;
GRANT CONNECT ON DATABASE cascade_ledger TO cascade;
SQL
