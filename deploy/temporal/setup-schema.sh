#!/bin/sh
# Creates the Temporal server's two PostgreSQL databases and brings their schemas to the version
# of the server (v1.29.1: main 1.18, visibility 1.9), with the server's own SQL tool and the
# schema files of its module. Safe to run again: what exists is kept, later versions are added.
#
#   TEMPORAL_SQL_TOOL    the SQL tool (go install go.temporal.io/server/cmd/tools/sql@v1.29.1,
#                        or temporal-sql-tool in the temporalio/admin-tools image; the default)
#   TEMPORAL_SCHEMA_DIR  schema/postgresql/v12 of the server module, e.g.
#                        $(go env GOMODCACHE)/go.temporal.io/server@v1.29.1/schema/postgresql/v12
#                        (default: where the admin-tools image keeps it)
#   TEMPORAL_DB_HOST, TEMPORAL_DB_PORT, TEMPORAL_DB_USER, TEMPORAL_DB_PASSWORD, TEMPORAL_DB,
#   TEMPORAL_VISIBILITY_DB   as in config/base.yaml
#
# The user needs CREATEDB (or create the two databases beforehand, owned by it).
# Used by docker-compose.yml and by the cluster tests.
set -eu
tool=${TEMPORAL_SQL_TOOL:-temporal-sql-tool}
schema=${TEMPORAL_SCHEMA_DIR:-/etc/temporal/schema/postgresql/v12}
export SQL_PLUGIN=postgres12
export SQL_HOST="${TEMPORAL_DB_HOST:-127.0.0.1}" SQL_PORT="${TEMPORAL_DB_PORT:-5432}"
export SQL_USER="${TEMPORAL_DB_USER:-temporal}" SQL_PASSWORD="${TEMPORAL_DB_PASSWORD:-temporal}"

for dir in "$schema/temporal/versioned" "$schema/visibility/versioned"; do
  [ -d "$dir" ] || { echo "setup-schema: no schema files in $dir (set TEMPORAL_SCHEMA_DIR)" >&2; exit 2; }
done

setup() { # database, schema kind
  log=$(mktemp)
  if ! { "$tool" --db "$1" create-database &&
    "$tool" --db "$1" setup-schema -v 0.0 &&
    "$tool" --db "$1" update-schema -d "$schema/$2/versioned"; } >"$log" 2>&1; then
    echo "setup-schema: database $1 on $SQL_HOST:$SQL_PORT failed:" >&2
    grep -v DEBUG "$log" | tail -n 15 >&2
    rm -f "$log"
    exit 1
  fi
  rm -f "$log"
  echo "database $1: schema $2 up to date"
}

setup "${TEMPORAL_DB:-temporal}" temporal
setup "${TEMPORAL_VISIBILITY_DB:-temporal_visibility}" visibility
