#!/usr/bin/env python3
"""Ferry beside its peers: the one command of the benchmark suite.

    Benchmarks/run.py            the large set: 1,000 devices, 5,000,000 history rows (about 270 MB)
    Benchmarks/run.py --quick    a small set (no 10,000 migrations, no smoke test): every ratio in under 5 minutes
    Benchmarks/run.py --only postgres    only the PostgreSQL workloads (pg-backup, pg-restore, pg-transfer)

It installs what is missing (Debian's sqlite3, time and PostgreSQL 15;
Alembic in Benchmarks/.venv), builds Ferry and the Swift programs of
Benchmarks/ in release mode, generates the data sets (once, deterministically,
in Benchmarks/data/; the PostgreSQL one in a throwaway server that the run
starts on a free port of 127.0.0.1 and stops at its end), runs every workload
for Ferry and its peers in turn, prints a table of medians, ratios and
Ferry's peak memory, and writes it to BENCHMARKS.md. Nothing here is part of
the test suite.
"""

import argparse
import datetime
import os
import contextlib
import shutil
import signal
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "driver"))

import datasets  # noqa: E402
import fleet  # noqa: E402
import history  # noqa: E402
import postgres  # noqa: E402
import report  # noqa: E402
import workloads  # noqa: E402
import export_workloads  # noqa: E402
from paths import ALEMBIC, BENCHMARKS, BUILD_PATH, FERRY, REPORT, ROOT, VENV, WORK  # noqa: E402

ALEMBIC_VERSION = "1.20.1"
PREAMBLE = "# Benchmarks\n\nWritten by `Benchmarks/run.py`; see README.md.\n"
SQLITE_WORKLOADS = ("backup", "dump", "load", "migrations", "scaling", "pending", "rebuild", "export", "import",
                    "health", "transfer", "fleet", "fleet-memory")
POSTGRES_WORKLOADS = ("pg-backup", "pg-restore", "move", "pg-export", "pg-transfer", "pg-fleet")


def install_missing_tools(with_sqlite, with_postgres):
    """Debian's sqlite3 shell, GNU time and PostgreSQL 15; Alembic from PyPI in a virtual
    environment when a SQLite workload runs."""
    missing = [package for package, program in (("sqlite3", "sqlite3"), ("time", "/usr/bin/time"), ("wrk", "wrk"))
               if shutil.which(program) is None]
    if with_postgres and postgres.binaries() is None:
        missing.append("postgresql-15")
    if with_postgres and shutil.which("pgloader") is None:
        missing.append("pgloader")
    if missing:
        if os.geteuid() != 0 or shutil.which("apt-get") is None:
            sys.exit(f"Please install {' '.join(missing)} (sudo apt-get install {' '.join(missing)}).")
        print(f"Installing {' '.join(missing)} with apt-get…", flush=True)
        environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=environment)
        subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True, env=environment)
    if with_sqlite and not os.path.exists(ALEMBIC):
        print(f"Installing Alembic {ALEMBIC_VERSION} in {VENV}…", flush=True)
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
        subprocess.run([os.path.join(VENV, "bin", "pip"), "install", "-q", f"alembic=={ALEMBIC_VERSION}"], check=True)


def build(with_benchmark_programs, smoke):
    """Ferry, and the programs of Benchmarks/Package.swift when a SQLite workload needs them.

    With `smoke`, the release `ferry` then goes through every command on the example
    (scripts/release-smoke.sh), since CI runs that on the debug build only: an optimizer fault
    once crashed every command that reports progress while every test passed.
    """
    print("Building Ferry and the benchmark programs in release mode…", flush=True)
    # As it ships (README, "The command on an operator's machine"): Swift's runtime linked in, and
    # none of the program's own symbols exported.
    subprocess.run(["swift", "build", "-c", "release", "--product", "ferry", "--static-swift-stdlib",
                    "-Xlinker", "--no-export-dynamic", "--scratch-path", BUILD_PATH], cwd=ROOT, check=True)
    if smoke:
        print("Running the release build through every command (scripts/release-smoke.sh)…", flush=True)
        subprocess.run([os.path.join(ROOT, "scripts", "release-smoke.sh"), "--skip-build", "--scratch-path",
                        BUILD_PATH], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    if with_benchmark_programs:
        # SwiftPM keeps the build plan of a path dependency (Ferry, `..`) and does not see a source
        # file added to it since: without the plan, the build plans again (seconds, no recompiling).
        plan = os.path.join(BENCHMARKS, ".build", "release.yaml")
        if os.path.exists(plan):
            os.remove(plan)
        subprocess.run(["swift", "build", "-c", "release"], cwd=BENCHMARKS, check=True)


def versions(server):
    alembic = report.version_of([ALEMBIC, "--version"])
    swift = report.version_of(["swift", "--version"])
    sqlite = report.version_of(["sqlite3", "--version"]).split()[0]
    commit = report.version_of(["git", "-C", ROOT, "describe", "--always", "--dirty"])
    pg = f"; PostgreSQL {server.version()} (server, pg_dump, pg_restore)" if server else ""
    return (f"ferry {report.version_of([FERRY, '--version'])} (commit {commit}, release build); sqlite3 {sqlite} "
            f"(the shell, and the library GRDB links); GRDB 7.10.0; {alembic}{pg}; {swift}")


def stop_on_sigterm():
    """SIGTERM ends the run as Ctrl-C does, so that the PostgreSQL server is stopped."""
    def handler(number, _):
        raise SystemExit(128 + number)
    signal.signal(signal.SIGTERM, handler)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="the small data set, no 10,000 migrations and no smoke test: every ratio in under 5 minutes")
    parser.add_argument("--devices", type=int, help="devices in the data set (default 1,000; quick: 100)")
    parser.add_argument("--tenants", type=int, help="SQLite tenants of the fleet workload (default 1,000; quick: 100)")
    parser.add_argument("--schemas", type=int,
                        help="PostgreSQL schemas of the pg-fleet workload (default 200; quick: 10)")
    parser.add_argument("--rows", type=int, help="history rows (default 5,000,000; quick: 200,000)")
    parser.add_argument("--repeat", type=int, help="runs of each program (default 3)")
    parser.add_argument("--only", help="run only these workloads, comma-separated: "
                        f"{','.join(SQLITE_WORKLOADS + POSTGRES_WORKLOADS)} "
                        "('postgres' means every PostgreSQL one)")
    parser.add_argument("--no-smoke", action="store_true",
                        help="skip running the release build through every command first (scripts/release-smoke.sh; "
                        "--quick skips it too)")
    parser.add_argument("--no-write", action="store_true", help="print the table without writing BENCHMARKS.md")
    options = parser.parse_args()
    devices = options.devices or (100 if options.quick else 1000)
    rows = options.rows or (200_000 if options.quick else 5_000_000)
    repetitions = options.repeat or 3
    name = "quick" if options.quick else "large"
    wanted = None
    if options.only:
        wanted = set(options.only.split(","))
        if "postgres" in wanted:
            wanted = (wanted - {"postgres"}) | set(POSTGRES_WORKLOADS)
        unknown = wanted - set(SQLITE_WORKLOADS) - set(POSTGRES_WORKLOADS)
        if unknown:
            parser.error(f"unknown workloads: {', '.join(sorted(unknown))}")
    # Moving the SQLite data set into PostgreSQL needs both.
    with_sqlite = not wanted or bool(wanted & (set(SQLITE_WORKLOADS) | {"move"}))
    with_postgres = not wanted or bool(wanted & set(POSTGRES_WORKLOADS))

    stop_on_sigterm()
    install_missing_tools(with_sqlite, with_postgres)
    # The smoke test is a check, not a measurement: CI runs it on every change, and a quick run leaves it out.
    build(with_sqlite, smoke=not options.no_smoke and not options.quick)
    os.makedirs(WORK, exist_ok=True)
    database = datasets.data_set(devices, rows) if with_sqlite else None
    sizes = [f"{os.path.getsize(database) / 1024 / 1024:.0f} MiB in SQLite"] if database else []
    with (postgres.Server() if with_postgres else contextlib.nullcontext()) as server:
        pg_database = datasets.postgres_data_set(server, devices, rows) if server else None
        if server:
            size = subprocess.run(
                [server.client("psql"), "-X", "-A", "-t", "-d", pg_database, "-c",
                 "SELECT pg_database_size(current_database())"],
                env={**os.environ, **server.environment}, check=True, capture_output=True, text=True).stdout
            sizes.append(f"{int(size) / 1024 / 1024:.0f} MiB in PostgreSQL")
        load_before = report.load_average()
        started = datetime.datetime.now(datetime.timezone.utc)
        results = []
        for key, label, workload in (
            ("backup", "backup", lambda: workloads.backup(database, repetitions)),
            ("dump", "SQL dump", lambda: workloads.sql_dump(database, repetitions)),
            ("load", "loading the dump", lambda: workloads.load_dump(database, repetitions)),
            ("migrations", "1,000 migrations", lambda: workloads.migrations(repetitions)),
            ("scaling", "3,000 and 10,000 migrations", lambda: workloads.scaling(repetitions, options.quick)),
            ("pending", "is anything pending?", lambda: workloads.pending(repetitions)),
            ("rebuild", "rebuilding the history table", lambda: workloads.rebuild(database, repetitions)),
            ("health", "the admin server under wrk", lambda: workloads.health_server(repetitions, options.quick)),
            ("fleet", "many SQLite tenants", lambda: fleet.fleet(repetitions, options.tenants or (100 if options.quick else 1000))),
            ("fleet-memory", "10,000 SQLite tenants' peak memory",
             lambda: fleet.fleet_memory(1000 if options.quick else 10000)),
            ("pg-backup", "PostgreSQL backup", lambda: workloads.pg_backup(server, pg_database, repetitions)),
            ("pg-restore", "PostgreSQL restore", lambda: workloads.pg_restore(server, pg_database, repetitions)),
            ("export", "export", lambda: export_workloads.export(database, repetitions)),
            ("import", "import", lambda: export_workloads.import_(database, repetitions)),
            ("move", "SQLite → PostgreSQL", lambda: export_workloads.move_to_postgres(server, database, repetitions)),
            ("pg-export", "PostgreSQL export and import",
             lambda: export_workloads.pg_export_import(server, pg_database, repetitions)),
            ("transfer", "moving one device's history", lambda: workloads.transfer(database, repetitions, rows)),
            ("pg-transfer", "PostgreSQL: moving one device's history",
             lambda: workloads.pg_transfer(server, pg_database, repetitions, rows)),
            ("pg-fleet", "many PostgreSQL schemas",
             lambda: fleet.pg_fleet(server, repetitions, options.schemas or (10 if options.quick else 200))),
        ):
            if wanted and key not in wanted:
                continue
            print(f"Running: {label}…", flush=True)
            results += workload()
        finished = datetime.datetime.now(datetime.timezone.utc)
        version_text = versions(server)
    shutil.rmtree(WORK, ignore_errors=True)

    description = (f"{'Quick' if options.quick else 'Large'} set: {devices:,} devices, {rows:,} history rows "
                   f"with an index ({', '.join(sizes)})")
    text = report.section(
        name, description, results, started.strftime("%Y-%m-%d %H:%M"), finished.strftime("%H:%M"), version_text,
        repetitions, load_before, report.load_average())
    print("\n" + text)
    if not options.no_write and not wanted:
        # The commit measured, asked before BENCHMARKS.md is written (which would make it "-dirty").
        commit = report.version_of(["git", "-C", ROOT, "describe", "--always", "--dirty"])
        report.write(REPORT, name, text, PREAMBLE)
        runs = history.record(name, results, report.version_of([FERRY, "--version"]), commit,
                              started.strftime("%Y-%m-%d"))
        report.write(REPORT, f"history-{name}", history.section(name, runs), PREAMBLE)
        print(f"\nWritten to {REPORT}, and the run added to {history.HISTORY}.")


if __name__ == "__main__":
    main()
