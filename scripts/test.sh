#!/usr/bin/env bash
# Runs Ferry's whole test suite on a fresh machine: installs what is missing
# (the SQLite headers GRDB links against, the sqlite3 shell the example and
# the tests use), builds, and runs every test with `swift test`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

missing=()
dpkg -s libsqlite3-dev >/dev/null 2>&1 || missing+=(libsqlite3-dev)
command -v sqlite3 >/dev/null 2>&1 || missing+=(sqlite3)
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

swift build --build-tests
swift test --skip-build "$@"
