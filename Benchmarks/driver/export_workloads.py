"""The workloads of issue 13: `ferry export` and `ferry import`, on each
engine and from SQLite into PostgreSQL, beside the tools users reach for
today (`sqlite3 .dump` and its load, pgloader, `pg_dump -Fp` and `psql`
loading its plain dump).

Imports go into a new database with the data set's first release only (a
copy of its migrations without the later rebuild), so that they measure
the load, not an upgrade after it.
"""

import os
import shutil

from measure import Contender, output_of, run_alternately
from paths import DATASET, FERRY
from workloads import Row, insert_select_floor, removing, work


def first_release(migrations, name):
    """A copy of a migrations folder with its first release only."""
    folder = work(name)
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(os.path.join(migrations, "1.0.0"), os.path.join(folder, "1.0.0"))
    return folder


def export(database, repetitions):
    """`ferry export` of the SQLite data set beside `sqlite3 .dump`."""
    folder = work("export")
    ferry = Contender("ferry export", [FERRY, "export", folder, "--database", database],
                      prepare=removing(folder))
    peer = Contender("sqlite3 .dump", ["sqlite3", database, ".dump"], stdout=work("export-peer.sql"))
    run_alternately([ferry, peer], repetitions)
    return [Row("export (SQLite)", ferry.name, ferry.median, peer.name, peer.median, 0.3,
                peak_rss_mib=ferry.peak_rss_mib)]


def import_(database, repetitions):
    """`ferry import` of that export into a new SQLite file beside `sqlite3`
    loading its own dump."""
    folder = work("import-source")
    removing(folder)()
    output_of([FERRY, "export", folder, "--database", database])
    dump = work("import-peer.sql")
    with open(dump, "w") as file:
        file.write(output_of(["sqlite3", database, ".dump"]) + "\n")
    migrations = first_release(os.path.join(DATASET, "migrations"), "import-migrations")
    target = work("imported.db")
    ferry = Contender("ferry import (new SQLite file)",
                      [FERRY, "import", folder, "--yes", "--database", target, "--migrations", migrations],
                      prepare=removing(target))
    peer = Contender("sqlite3 new.db < dump.sql", ["sqlite3", work("import-peer.db")], stdin=dump,
                     prepare=removing(work("import-peer.db")))
    floor = insert_select_floor(database, "import-floor")
    # An import checks what it loaded before it commits (the quick check, the foreign keys).
    checked = insert_select_floor(database, "import-floor-checked", checks=("quick_check", "foreign_key_check"))
    run_alternately([ferry, peer, floor, checked], repetitions)
    # Issue 13's goal, ≤ 0.15× the peer, is below SQLite's own INSERT … SELECT from the source file
    # (0.20× on 2026-12-06): restated against that floor with the checks every import makes,
    # measured in the same run.
    return [Row("import into a new file (SQLite)", ferry.name, ferry.median, peer.name, peer.median, None,
                peak_rss_mib=ferry.peak_rss_mib),
            Row("import: SQLite's own floor", floor.name, floor.median, peer.name, peer.median, None,
                peak_rss_mib=floor.peak_rss_mib),
            Row("import: SQLite's own floor with an import's checks", checked.name, checked.median, peer.name,
                peer.median),
            Row("import beside SQLite's own floor with an import's checks", ferry.name, ferry.median,
                checked.name, checked.median, 1.1)]


def move_to_postgres(server, database, repetitions):
    """The SQLite data set moved into a new PostgreSQL database: `ferry export`
    then `ferry import` (the PostgreSQL twin's migrations make the tables),
    beside pgloader reading the SQLite file."""
    folder = work("move-source")
    migrations = first_release(os.path.join(DATASET, "postgres", "migrations"), "move-migrations")

    def fresh(name):
        def prepare():
            removing(folder)()
            server.drop(name)()
            server.psql("postgres", "-c", f'CREATE DATABASE "{name}"')
        return prepare

    ferry = Contender("ferry export + ferry import (SQLite → PostgreSQL)", [
        "sh", "-c", '"$0" export "$1" --database "$2" && "$0" import "$1" --yes --database "$3" --migrations "$4"',
        FERRY, folder, database, server.url("moved_ferry"), migrations], prepare=fresh("moved_ferry"))
    peer = Contender("pgloader", ["pgloader", "--quiet", f"sqlite://{database}", server.url("moved_peer")],
                     prepare=fresh("moved_peer"))
    run_alternately([ferry, peer], repetitions)
    return [Row("SQLite → PostgreSQL", ferry.name, ferry.median, peer.name, peer.median, 0.5,
                peak_rss_mib=ferry.peak_rss_mib),
            Row("SQLite → PostgreSQL, peak memory", ferry.name, ferry.peak_rss_mib,
                f"goal; pgloader: {peer.peak_rss_mib:.0f} MiB", None, 64, unit="MiB")]


def pg_export_import(server, database, repetitions):
    """`ferry export` of the PostgreSQL data set beside `pg_dump -Fp`, and its
    import into a new database beside `psql` loading the plain dump."""
    folder = work("pg-export")
    plain = work("pg-export-peer.sql")
    export_ferry = Contender("ferry export (PostgreSQL)", [FERRY, "export", folder, "--database",
                             server.url(database)], prepare=removing(folder))
    export_peer = Contender("pg_dump -Fp", [server.client("pg_dump"), "-Fp", "-f", plain, "-d", database],
                            env=server.environment, prepare=removing(plain))
    # The floor of any export: the server writing every table's rows, read by psql into /dev/null.
    tables = output_of([server.client("psql"), "-X", "-At", "-d", database, "-c",
                        "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"],
                       env={**os.environ, **server.environment}).split()
    copies = [argument for table in tables
              for argument in ("-c", f"COPY {table} TO STDOUT (FORMAT binary)")]
    export_floor = Contender("the server's COPY of every table to /dev/null (psql)",
                             [server.client("psql"), "-X", "-q", "-d", database, *copies],
                             env=server.environment)
    run_alternately([export_ferry, export_peer, export_floor], repetitions)

    source = work("pg-import-source")
    removing(source)()
    output_of([FERRY, "export", source, "--database", server.url(database)])
    output_of([server.client("pg_dump"), "-Fp", "-f", plain, "-d", database], env={**os.environ, **server.environment})
    migrations = first_release(os.path.join(DATASET, "postgres", "migrations"), "pg-import-migrations")

    def fresh(name):
        def prepare():
            server.drop(name)()
            server.psql("postgres", "-c", f'CREATE DATABASE "{name}"')
        return prepare

    import_ferry = Contender("ferry import (PostgreSQL, new database)", [
        FERRY, "import", source, "--yes", "--database", server.url("pg_imported_ferry"), "--migrations",
        migrations], prepare=fresh("pg_imported_ferry"))
    import_peer = Contender("psql -f plain dump", [server.client("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1",
                            "-d", "pg_imported_peer", "-f", plain], env=server.environment,
                            prepare=fresh("pg_imported_peer"))
    run_alternately([import_ferry, import_peer], repetitions)
    return [Row("export (PostgreSQL)", export_ferry.name, export_ferry.median, export_peer.name,
                export_peer.median, 1.0, peak_rss_mib=export_ferry.peak_rss_mib),
            Row("export (PostgreSQL): the server's own floor", export_floor.name, export_floor.median,
                export_peer.name, export_peer.median),
            Row("export (PostgreSQL) beside the server's own floor", export_ferry.name, export_ferry.median,
                export_floor.name, export_floor.median),
            Row("import into a new database (PostgreSQL)", import_ferry.name, import_ferry.median,
                import_peer.name, import_peer.median, 1.0, peak_rss_mib=import_ferry.peak_rss_mib)]
