#!/bin/sh
# One-shot (docker-compose.yml service temporal-schema, image temporalio/admin-tools): create or
# upgrade Temporal's schemas in PostgreSQL before the server starts. Both steps are idempotent:
# setup-schema -v 0.0 only adds the version tables when missing, update-schema applies the
# versioned migrations the database does not have yet. So the same service, on an image of a
# newer Temporal release, is also the upgrade step (docs/deploy.md, "Upgrading").
# The databases and the role are created by deploy/postgres/init/10-cascade-databases.sh.
# src/tools/cluster/ (`npm run stack:real`) runs this same script on a development machine, with the
# schema files of the Go module it built the server from (SCHEMA_DIR) and its own
# temporal-sql-tool on PATH.
set -eu

: "${POSTGRES_SEEDS:?}" "${POSTGRES_USER:?}" "${POSTGRES_PWD:?set POSTGRES_PWD in deploy/secrets/temporal.env}"
export SQL_PASSWORD="$POSTGRES_PWD"
SCHEMA_DIR=${SCHEMA_DIR:-/etc/temporal/schema/postgresql/v12}

sql() {
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "${DB_PORT:-5432}" -u "$POSTGRES_USER" "$@"
}

for db in "${DBNAME:-temporal}:temporal" "${VISIBILITY_DBNAME:-temporal_visibility}:visibility"; do
  name=${db%%:*}
  dir=${db#*:}
  echo "schema of $name ($dir)"
  sql --db "$name" setup-schema -v 0.0
  sql --db "$name" update-schema -d "$SCHEMA_DIR/$dir/versioned"
done
echo "Temporal schemas are up to date"
