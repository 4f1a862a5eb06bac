# A throwaway PostgreSQL server for scripts/test.sh and scripts/release-smoke.sh,
# which source this file: `start_postgres` initializes a cluster in a temporary
# folder and starts it on a free port of 127.0.0.1 (as the user `postgres` when
# run as root), exporting FERRY_TEST_POSTGRES_URL; `stop_postgres` stops it by
# its pid and removes the folder.

# The folder of PostgreSQL's server programs, or nothing when none is installed.
postgres_bin() {
    local folder
    for folder in "$(pg_config --bindir 2>/dev/null || true)" /usr/lib/postgresql/15/bin; do
        if [[ -n "$folder" && -x "$folder/initdb" && -x "$folder/postgres" ]]; then
            echo "$folder"
            return 0
        fi
    done
    return 1
}

# A port of 127.0.0.1 that nothing listens on.
free_port() {
    if command -v python3 >/dev/null 2>&1; then
        python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
        return
    fi
    local candidate
    while true; do
        candidate=$((20000 + RANDOM % 40000))
        if ! (echo >"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then
            echo "$candidate"
            return
        fi
    done
}

# A throwaway PostgreSQL 15 on a free port of 127.0.0.1, owned by the user
# `postgres` when this runs as root (the server refuses to run as root).
start_postgres() {
    local bin port
    bin="$(postgres_bin)"
    pg_folder="$(mktemp -d "${TMPDIR:-/tmp}/ferry-postgres.XXXXXX")"
    local as_owner=()
    if [[ $(id -u) -eq 0 ]]; then
        chown postgres:postgres "$pg_folder"
        as_owner=(runuser -u postgres --)
    fi
    "${as_owner[@]}" "$bin/initdb" -D "$pg_folder/data" -U ferry -A trust -E UTF8 --no-locale \
        >"$pg_folder/initdb.log" 2>&1 || { cat "$pg_folder/initdb.log" >&2; return 1; }
    # The role `ferry` logs in without a password; every other role must give
    # one, so that the tests can check password handling.
    cat >"$pg_folder/data/pg_hba.conf" <<'EOF'
local all all              trust
host  all ferry 127.0.0.1/32 trust
host  all all   127.0.0.1/32 scram-sha-256
EOF
    port="$(free_port)"
    # Autovacuum is off: the tests' databases live for seconds, and a worker that the server
    # starts on a test's template keeps `CREATE DATABASE … TEMPLATE` from copying it (only a
    # worker against transaction-id wraparound still starts, which such databases never need).
    "${as_owner[@]}" "$bin/pg_ctl" -D "$pg_folder/data" -l "$pg_folder/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $pg_folder -c fsync=off -c full_page_writes=off -c synchronous_commit=off -c max_connections=1000 -c autovacuum=off" \
        start >/dev/null || { cat "$pg_folder/server.log" >&2; return 1; }
    pg_pid="$(head -1 "$pg_folder/data/postmaster.pid")"
    export FERRY_TEST_POSTGRES_URL="postgres://ferry@127.0.0.1:$port/postgres"
    echo "Started PostgreSQL $("$bin/postgres" --version | awk '{print $3}') (pid $pg_pid) for the tests: $FERRY_TEST_POSTGRES_URL"
}

stop_postgres() {
    if [[ -n "${pg_pid:-}" ]]; then
        kill -INT "$pg_pid" 2>/dev/null || true # fast shutdown
        for _ in $(seq 1 100); do
            kill -0 "$pg_pid" 2>/dev/null || break
            sleep 0.1
        done
        echo "Stopped PostgreSQL (pid $pg_pid)."
    fi
    if [[ -n "${pg_folder:-}" ]]; then rm -rf "$pg_folder"; fi
}

