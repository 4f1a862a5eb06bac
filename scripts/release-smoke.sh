#!/usr/bin/env bash
# Runs the release build of `ferry` (what users run) through every command
# on a copy of the bundled example, on SQLite and then on PostgreSQL (a
# throwaway server, as scripts/test.sh starts, or FERRY_TEST_POSTGRES_URL's),
# three ways: plain, with --json, and on a pseudo-terminal (where the
# progress bar draws). The test suite runs debug
# builds; this catches what only the optimizer breaks (in Swift 6.3 an
# optimized build crashed in every command that reports progress, while
# every test passed).
#
#   scripts/release-smoke.sh [--skip-build] [--scratch-path DIR] [--debug]
#
# --scratch-path builds in (or, with --skip-build, takes the build from) DIR
# instead of .build: Benchmarks/run.py passes the folder of its release build.
# --debug runs the debug build instead: CI does, after the test suite built
# it, because a cold release build (12 minutes on 2 cores) does not fit in
# CI's 30 minutes beside the debug build; every benchmark run builds release
# and runs this script on it first.
#
# Each command must exit with its expected code and never crash; with
# --json its last JSON line must say "ok": true. The work folder is removed at
# the end.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

skip_build=0
scratch=.build
configuration=release
while (($#)); do
    case "$1" in
    --skip-build) skip_build=1; shift ;;
    --scratch-path) scratch="$2"; shift 2 ;;
    --debug) configuration=debug; shift ;;
    *) echo "release-smoke.sh: unknown argument $1 (see the comment at its top)." >&2; exit 2 ;;
    esac
done
if ((!skip_build)); then
    # The release build as it ships (README): Swift's runtime linked into the binary, and none of
    # the program's own symbols exported.
    static=()
    [[ "$configuration" == release ]] && static=(--static-swift-stdlib -Xlinker --no-export-dynamic)
    swift build -c "$configuration" --product ferry "${static[@]}" --scratch-path "$scratch"
fi
[[ "$scratch" == /* ]] || scratch="$PWD/$scratch"
ferry="$scratch/$configuration/ferry"
[[ -x "$ferry" ]] || { echo "No $configuration build at $ferry: run without --skip-build." >&2; exit 1; }
# What ships is one file: no library of Swift's toolchain is looked up when it starts.
if [[ "$configuration" == release ]] && ldd "$ferry" | grep -E 'libswift|libFoundation|libdispatch'; then
    echo "$ferry needs the libraries above from Swift's toolchain: build it with --static-swift-stdlib." >&2
    exit 1
fi
# Nor does it export its own symbols: the loader would search them all at every start.
if [[ "$configuration" == release ]] && (($(readelf --dyn-syms -W "$ferry" | wc -l) > 5000)); then
    echo "$ferry exports its symbols: build it with -Xlinker --no-export-dynamic (README)." >&2
    exit 1
fi
command -v sqlite3 >/dev/null || { echo "The sqlite3 shell is needed (apt-get install sqlite3)." >&2; exit 1; }
command -v script >/dev/null || { echo "script(1) is needed (apt-get install bsdutils)." >&2; exit 1; }
source scripts/postgres-server.sh
if [[ -z "${FERRY_TEST_POSTGRES_URL:-}" ]] && ! postgres_bin >/dev/null; then
    echo "PostgreSQL 15 is needed for the PostgreSQL pass (scripts/test.sh installs it)." >&2
    exit 1
fi
command -v psql >/dev/null || { echo "psql is needed (apt-get install postgresql-client-15)." >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
example="$PWD/Examples/sensorhub"
failures=0

# run MODE EXPECTED-CODE ARGUMENTS…: runs one command in the work folder and checks it.
run() {
    local mode="$1" expected="$2"
    shift 2
    local output="$work/output" code=0
    case "$mode" in
        plain) (cd "$work/app" && "$ferry" "$@") >"$output" 2>&1 || code=$? ;;
        json) (cd "$work/app" && "$ferry" "$@" --json) >"$output" 2>&1 || code=$? ;;
        tty)
            local line
            line="$(printf '%q ' "$ferry" "$@")"
            # script(1) gives the command a terminal and passes its exit code on (-e).
            (cd "$work/app" && script -qec "$line" /dev/null) >"$output" 2>&1 </dev/null || code=$?
            ;;
    esac
    local problem=""
    if grep -q "Program crashed" "$output"; then
        problem="crashed"
    elif [[ "$code" != "$expected" ]]; then
        problem="exited $code, not $expected"
    elif [[ "$mode" == json && "$expected" == 0 ]] && ! grep '^{' "$output" | tail -n 1 | grep -q '"ok":true'; then
        problem="its last JSON line does not say \"ok\": true"
    fi
    if [[ -n "$problem" ]]; then
        echo "FAILED ($mode): ferry $* — $problem:" >&2
        tail -n 20 "$output" >&2
        failures=$((failures + 1))
    else
        echo "ok ($mode): ferry $*"
    fi
}

# every_command MODE IMPORTED [SENSOR SENSOR]: every command, in the work folder's copy of the
# example; IMPORTED is the new database the import writes, the sensors those the transfer joins.
every_command() {
    local mode="$1" imported="$2"
    shift 2
    run "$mode" 0 status
    run "$mode" 0 plan
    run "$mode" 0 check
    run "$mode" 0 upgrade
    run "$mode" 0 validate
    run "$mode" 0 history
    run "$mode" 0 verify
    run "$mode" 0 backup
    run "$mode" 0 backups
    run "$mode" 0 export "$work/app/export"
    run "$mode" 0 import "$work/app/export" --database "$imported" --yes
    if (($# == 2)); then
        run "$mode" 0 transfer "sensor history" --from "$1" --to "$2" --yes
    else
        echo "FAILED ($mode): the example has fewer than two sensors to transfer between." >&2
        failures=$((failures + 1))
    fi
    run "$mode" 0 restore --latest --yes
    run "$mode" 0 downgrade --to 0.4.0 --yes
    run "$mode" 0 test-paths
    # A refusal exits non-zero (3, refused) without crashing: an export into a folder that holds one.
    run "$mode" 3 export "$work/app/export"
}

# SQLite: the example as it ships.
for mode in plain json tty; do
    rm -rf "$work/app"
    mkdir -p "$work/app"
    cp -R "$example/migrations" "$example/fixtures" "$example/ferry.toml" "$work/app/"
    mkdir -p "$work/app/data"
    FERRY="$ferry" "$example/make-database.sh" 0.2.0 "$work/app/data/sensorhub.db" >/dev/null
    mapfile -t sensors < <(sqlite3 "$work/app/data/sensorhub.db" "SELECT id FROM sensors ORDER BY id LIMIT 2")
    every_command "$mode" "$work/app/imported.db" "${sensors[@]}"
done

# PostgreSQL: the example's twin (postgres/), on a throwaway server (or the one
# FERRY_TEST_POSTGRES_URL names), a new database for each mode, dropped at the end (also when
# the script stops early).
server=""
smoke="smoke_$$"
drop_smoke_databases() {
    [[ -n "$server" ]] || return 0
    local mode
    for mode in plain json tty; do
        for name in "${smoke}_$mode" "${smoke}_${mode}_imported"; do
            psql -X -q -d "$server/postgres" -c "DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)" \
                >/dev/null 2>&1 || echo "Could not drop the database $name on $server." >&2
        done
    done
}
if [[ -z "${FERRY_TEST_POSTGRES_URL:-}" ]]; then
    trap 'stop_postgres; rm -rf "$work"' EXIT
    start_postgres
fi
server="${FERRY_TEST_POSTGRES_URL%/*}"
trap 'drop_smoke_databases; stop_postgres; rm -rf "$work"' EXIT
for mode in plain json tty; do
    rm -rf "$work/app" "$work/data"
    mkdir -p "$work/app"
    cp -R "$example/postgres/migrations" "$example/postgres/fixtures" "$example/postgres/ferry.toml" "$work/app/"
    database="$server/${smoke}_$mode"
    FERRY="$ferry" "$example/make-database.sh" 0.2.0 "$database" >/dev/null
    sensors_text="$(psql -X -At -d "$database" -c "SELECT id FROM sensors ORDER BY id LIMIT 2")"
    mapfile -t sensors <<<"$sensors_text"
    export FERRY_DATABASE="$database"
    every_command "$mode" "$server/${smoke}_${mode}_imported" "${sensors[@]}"
    unset FERRY_DATABASE
done

if ((failures)); then
    echo "$failures command(s) of the $configuration build failed." >&2
    exit 1
fi
echo "The $configuration build ran every command in every mode."
