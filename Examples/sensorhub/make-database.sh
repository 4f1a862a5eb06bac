#!/usr/bin/env bash
# Makes a sensorhub database at a given release, filled with that release's
# sample data:
#
#   ./make-database.sh RELEASE [PATH | postgres://USER@HOST:PORT/DATABASE]
#
#   RELEASE  a folder of migrations/, e.g. 0.3.0
#   PATH     the database file to create; default: data/sensorhub.db next to
#            this script. An existing file is never overwritten.
#   postgres://…  a PostgreSQL database instead, made from postgres/migrations
#            and postgres/fixtures with psql; it must not exist yet or be
#            empty (Ferry creates it if the role may).
#
# The schema is made by Ferry itself:
#   swift run --package-path REPO_ROOT ferry upgrade --create --to RELEASE \
#       --database PATH --migrations migrations
# where REPO_ROOT is two folders above this script. Set FERRY to run another
# ferry instead, e.g. FERRY=/path/to/.build/debug/ferry (a path to an
# executable, or a command and its arguments separated by blanks).
# Then fixtures/RELEASE.sql is loaded with the sqlite3 shell, in one
# transaction with foreign keys on.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
MIGRATIONS="$SCRIPT_DIR/migrations"
FIXTURES="$SCRIPT_DIR/fixtures"
PROG="$(basename "$0")"

die() {
    echo "$PROG: $*" >&2
    exit 1
}

usage() {
    echo "usage: $PROG RELEASE [PATH | postgres://USER@HOST:PORT/DATABASE]" >&2
    echo "  RELEASE: one of: $(find "$MIGRATIONS" -mindepth 1 -maxdepth 1 -type d -exec basename {} \; | sort -V | tr '\n' ' ')" >&2
    echo "  PATH:    database file to create (default: $SCRIPT_DIR/data/sensorhub.db)" >&2
    exit "${1:-1}"
}

case "${1:-}" in
    -h | --help) usage 0 ;;
esac
[[ $# -ge 1 && $# -le 2 ]] || usage

RELEASE="$1"
DB="${2:-$SCRIPT_DIR/data/sensorhub.db}"
IS_POSTGRES=0
case "$DB" in
    postgres://* | postgresql://*)
        IS_POSTGRES=1
        MIGRATIONS="$SCRIPT_DIR/postgres/migrations"
        FIXTURES="$SCRIPT_DIR/postgres/fixtures"
        ;;
esac
# The database as messages show it: never with its password.
SHOWN="$(printf '%s' "$DB" | sed -E 's#(://[^:@/]*):[^@]*@#\1:***@#')"

if [[ -z "$RELEASE" || "$RELEASE" == */* || ! -d "$MIGRATIONS/$RELEASE" ]]; then
    echo "$PROG: unknown release '$RELEASE'" >&2
    usage
fi
[[ -f "$FIXTURES/$RELEASE.sql" ]] || die "no sample data for release $RELEASE ($FIXTURES/$RELEASE.sql is missing)"

if [[ $IS_POSTGRES -eq 1 ]]; then
    command -v psql >/dev/null 2>&1 || die "psql is needed for a PostgreSQL database (apt-get install postgresql-client)."
    FERRY_CMD=(swift run --package-path "$REPO_ROOT" ferry)
    if [[ -n "${FERRY:-}" ]]; then read -r -a FERRY_CMD <<<"$FERRY"; fi
    tables="$(psql -X -At "$DB" -c "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()" 2>/dev/null || echo 0)"
    [[ "$tables" == "0" ]] || die "$SHOWN already has tables; not touching it. Drop it first or name another database."
    echo "$PROG: upgrading $SHOWN to $RELEASE with: ${FERRY_CMD[*]}"
    "${FERRY_CMD[@]}" upgrade --create --to "$RELEASE" --database "$DB" --migrations "$MIGRATIONS"
    echo "$PROG: loading postgres/fixtures/$RELEASE.sql"
    psql -X -q -v ON_ERROR_STOP=1 -1 -f "$FIXTURES/$RELEASE.sql" "$DB" >/dev/null
    echo "$PROG: made $SHOWN at release $RELEASE:"
    psql -X -At "$DB" -c "
        SELECT format('  %-24s %s rows', table_name,
                      (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I', table_name),
                                                             false, true, '')))[1])
          FROM information_schema.tables
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name"
    exit 0
fi

if [[ -e "$DB" || -L "$DB" ]]; then
    die "$DB already exists; not overwriting it. Delete it first or give another PATH."
fi

# The sqlite3 shell loads the sample data.
if ! command -v sqlite3 >/dev/null 2>&1; then
    if [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        echo "$PROG: sqlite3 is not installed; installing it with apt-get" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update
        apt-get install -y sqlite3
    else
        {
            echo "$PROG: the sqlite3 command-line shell is needed but not installed."
            echo "  Debian/Ubuntu: sudo apt-get install sqlite3"
            echo "  Fedora/RHEL:   sudo dnf install sqlite"
            echo "  macOS:         it ships with the system (/usr/bin/sqlite3), or: brew install sqlite"
        } >&2
        exit 1
    fi
fi

# Ferry gets an absolute path: `swift run` may run it from another folder.
mkdir -p "$(dirname "$DB")"
DB="$(cd "$(dirname "$DB")" && pwd)/$(basename "$DB")"

if [[ -n "${FERRY:-}" ]]; then
    if [[ -x "$FERRY" && ! -d "$FERRY" ]]; then
        FERRY_CMD=("$FERRY") # a path, possibly with blanks in it
    else
        read -r -a FERRY_CMD <<<"$FERRY"
    fi
else
    FERRY_CMD=(swift run --package-path "$REPO_ROOT" ferry)
fi

# From here on a failure removes the half-made database, so that running
# the script again does not stop at "already exists".
cleanup() {
    local status=$?
    if [[ $status -ne 0 ]]; then
        rm -f -- "$DB" "$DB-journal" "$DB-wal" "$DB-shm"
        echo "$PROG: failed; removed $DB" >&2
    fi
}
trap cleanup EXIT

echo "$PROG: upgrading $DB to $RELEASE with: ${FERRY_CMD[*]}"
"${FERRY_CMD[@]}" upgrade --create --to "$RELEASE" --database "$DB" --migrations "$MIGRATIONS"
[[ -f "$DB" ]] || die "ferry did not create $DB"

echo "$PROG: loading fixtures/$RELEASE.sql"
{
    printf '.bail on\nPRAGMA foreign_keys=ON;\nBEGIN;\n'
    cat "$FIXTURES/$RELEASE.sql"
    printf '\nCOMMIT;\n'
} | sqlite3 "$DB"

violations="$(sqlite3 "$DB" 'PRAGMA foreign_key_check;')"
[[ -z "$violations" ]] || die "foreign key violations after loading the sample data:"$'\n'"$violations"

echo "$PROG: made $DB at release $RELEASE:"
sqlite3 "$DB" "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name;" |
    while IFS= read -r table; do
        printf '  %-24s %s rows\n' "$table" "$(sqlite3 "$DB" "SELECT count(*) FROM \"${table//\"/\"\"}\";")"
    done
