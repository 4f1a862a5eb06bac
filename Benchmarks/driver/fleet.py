"""The fleet workload of issue 17: many small SQLite tenants, each the example
application at its first release, upgraded through every release by one
`ferry upgrade --databases` run beside a shell loop of `ferry upgrade` over
them (the way it was done before). Each run starts from fresh copies of one
template tenant; the goal is a ratio of at most 0.2, and Ferry's peak memory
is reported."""

import os
import shutil
import subprocess

from measure import Contender, run_alternately
from paths import FERRY, ROOT, WORK

EXAMPLE = os.path.join(ROOT, "Examples", "sensorhub")
MIGRATIONS = os.path.join(EXAMPLE, "migrations")
FIRST_RELEASE = "0.1.0"


def template(ferry=FERRY):
    """One tenant at the first release with its sample data, made once."""
    path = os.path.join(WORK, f"fleet-template-{FIRST_RELEASE}.db")
    if not os.path.exists(path):
        os.makedirs(WORK, exist_ok=True)
        subprocess.run([ferry, "upgrade", "--create", "--to", FIRST_RELEASE, "--no-backup",
                        "--database", path, "--migrations", MIGRATIONS],
                       check=True, capture_output=True)
        with open(os.path.join(EXAMPLE, "fixtures", f"{FIRST_RELEASE}.sql"), "rb") as fixture:
            subprocess.run(["sqlite3", path], stdin=fixture, check=True)
    return path


def tenants(folder, count, source):
    """A `prepare` step: `count` fresh copies of the template in `folder`, nothing else."""
    def prepare():
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
        for index in range(count):
            shutil.copyfile(source, os.path.join(folder, f"tenant-{index:05}.db"))
    return prepare


def fleet_run(ferry, folder, count, source, label, report):
    """One `ferry upgrade --databases` over fresh copies of `source` in `folder`."""
    return Contender(
        f"ferry upgrade --databases ({label} tenants, parallel default)",
        [ferry, "upgrade", "--databases", os.path.join(folder, "*.db"), "--migrations", MIGRATIONS,
         "--report", os.path.join(WORK, report)],
        prepare=tenants(folder, count, source))


def fleet(repetitions, count, ferry=FERRY):
    """`ferry upgrade --databases` over `count` tenants beside a shell loop; returns rows."""
    from workloads import Row  # the report's row type; imported here to keep this module apart

    source = template(ferry)
    ours = os.path.join(WORK, "fleet-ferry")
    loops = os.path.join(WORK, "fleet-loop")
    ferry_run = fleet_run(ferry, ours, count, source, f"{count}", "fleet-report.json")
    loop = Contender(
        f"shell loop of ferry upgrade ({count} tenants)",
        ["sh", "-c", 'for f in "$1"/*.db; do "$2" upgrade --database "$f" --migrations "$3" '
         '>/dev/null || exit 1; done', "loop", loops, ferry, MIGRATIONS],
        prepare=tenants(loops, count, source))
    run_alternately([ferry_run, loop], repetitions)
    return [
        Row(f"{count:,} SQLite tenants, {FIRST_RELEASE} to the newest release", ferry_run.name,
            ferry_run.median, loop.name, loop.median, 0.2, peak_rss_mib=ferry_run.peak_rss_mib),
    ]


def fleet_memory(count, ferry=FERRY):
    """Ferry's peak memory over a fleet of `count` tenants (issue 17: bounded, ≤ 128 MB for 10,000),
    one run, no peer: the runner must not grow with the number of databases."""
    from workloads import Row  # the report's row type; imported here to keep this module apart

    source = template(ferry)
    ours = os.path.join(WORK, "fleet-memory")
    ferry_run = fleet_run(ferry, ours, count, source, f"{count:,}", "fleet-memory-report.json")
    run_alternately([ferry_run], 1)
    shutil.rmtree(ours, ignore_errors=True)
    return [
        Row(f"{count:,} SQLite tenants: Ferry's peak memory", ferry_run.name, ferry_run.peak_rss_mib,
            goal=128, unit="MiB", peak_rss_mib=ferry_run.peak_rss_mib),
    ]


PG_MIGRATIONS = os.path.join(EXAMPLE, "postgres", "migrations")
PG_DATABASE = "fleet_schemas"


def schemas(server, count, ferry=FERRY):
    """A `prepare` step: the database `fleet_schemas` made again with `count` schemas
    `tenant_NNNNN`, each the example at its first release with its history inside it: one
    made by `ferry upgrade --database …?schema=`, the others its `pg_dump --schema` with the
    name changed, loaded by one psql."""
    def prepare():
        server.psql("postgres", "-c", f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
        server.psql("postgres", "-c", f'CREATE DATABASE "{PG_DATABASE}"')
        first = "tenant_00000"
        subprocess.run([ferry, "upgrade", "--create", "--to", FIRST_RELEASE, "--no-backup", "--database",
                        server.url(PG_DATABASE) + f"?schema={first}", "--migrations", PG_MIGRATIONS],
                       check=True, capture_output=True)
        dump = subprocess.run([server.client("pg_dump"), "--schema", first, "-d", PG_DATABASE],
                              env={**os.environ, **server.environment}, check=True, capture_output=True,
                              text=True).stdout
        script = os.path.join(WORK, "fleet-schemas.sql")
        with open(script, "w") as out:
            for index in range(1, count):
                out.write(dump.replace(first, f"tenant_{index:05}"))
        server.psql(PG_DATABASE, "-1", "-f", script)
        os.remove(script)
    return prepare


def pg_fleet(server, repetitions, count, ferry=FERRY):
    """`ferry upgrade --databases '…?schemas=tenant_*'` over `count` schemas of one
    PostgreSQL database beside a shell loop of `ferry upgrade --database …?schema=` (each
    with its pre-upgrade backup, pg_dump of its schema); returns rows."""
    from workloads import Row

    url = server.url(PG_DATABASE)
    ours = os.path.join(WORK, "pg-fleet-backups")
    loops = os.path.join(WORK, "pg-fleet-loop-backups")

    def fresh(backups):
        make = schemas(server, count, ferry)

        def prepare():
            shutil.rmtree(backups, ignore_errors=True)
            make()
        return prepare

    ferry_run = Contender(
        f"ferry upgrade --databases ?schemas= ({count} schemas, parallel default)",
        [ferry, "upgrade", "--databases", url + "?schemas=tenant_*", "--migrations", PG_MIGRATIONS,
         "--backups", ours, "--report", os.path.join(WORK, "pg-fleet-report.json")],
        prepare=fresh(ours))
    names = " ".join(f"tenant_{index:05}" for index in range(count))
    loop = Contender(
        f"shell loop of ferry upgrade ?schema= ({count} schemas)",
        ["sh", "-c", 'for s in $4; do "$2" upgrade --database "$1?schema=$s" --migrations "$3" '
         '--backups "$5/$s" >/dev/null || exit 1; done', "loop", url, ferry, PG_MIGRATIONS, names, loops],
        prepare=fresh(loops))
    run_alternately([ferry_run, loop], repetitions)
    return [
        Row(f"{count:,} PostgreSQL schemas, {FIRST_RELEASE} to the newest release", ferry_run.name,
            ferry_run.median, loop.name, loop.median, 0.3, peak_rss_mib=ferry_run.peak_rss_mib),
    ]


if __name__ == "__main__":
    # A run of its own: `driver/fleet.py [TENANTS] [FERRY]` (default 100, the release build).
    import sys

    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    binary = sys.argv[2] if len(sys.argv) > 2 else FERRY
    for row in fleet(1, count, binary):
        print(f"{row.workload}: {row.ferry} {row.ferry_value:.2f} s, {row.peer} {row.peer_value:.2f} s, "
              f"ratio {row.ratio:.3f} (goal ≤ {row.goal}), Ferry's peak RSS {row.peak_rss_mib:.1f} MiB")
