"""Makes the benchmark's inputs, deterministically, under Benchmarks/data/.

- a data set: devices and their sensor history with an index (the schema is
  Benchmarks/dataset/migrations/1.0.0, applied by Ferry; the rows come from
  dataset/fill.sql, run by the sqlite3 shell, with no random numbers);
- the same data set in a PostgreSQL database of the run's own server
  (dataset/postgres: the schema applied by Ferry, the rows made by
  generate_series in psql), made once per run;
- folders of N trivial migrations for Ferry (one release folder 1.0.0), and
  the same migrations as Alembic revisions. The GRDB peer registers the same
  SQL in code (Benchmarks/Sources/GRDBPeer/TrivialMigration.swift).
"""

import os
import shutil
import subprocess

from paths import ALEMBIC, DATA, DATASET, FERRY


def data_set(devices, rows):
    """The path of the data set's database, made once per size."""
    folder = os.path.join(DATA, f"set-{devices}-devices-{rows}-rows")
    database = os.path.join(folder, "base.db")
    if os.path.exists(database):
        return database
    os.makedirs(folder, exist_ok=True)
    partial = database + ".partial"
    for leftover in (partial, partial + "-journal"):
        if os.path.exists(leftover):
            os.remove(leftover)
    print(f"Generating the data set: {devices:,} devices, {rows:,} history rows…", flush=True)
    subprocess.run(
        [FERRY, "upgrade", "--create", "--database", partial, "--migrations", os.path.join(DATASET, "migrations"),
         "--to", "1.0.0", "--no-backup"],
        check=True, stdout=subprocess.DEVNULL)
    script = f".parameter set @devices {devices}\n.parameter set @rows {rows}\n.read {DATASET}/fill.sql\n"
    subprocess.run(["sqlite3", "-bail", partial], input=script, text=True, check=True)
    os.remove(partial + ".ferry-lock") if os.path.exists(partial + ".ferry-lock") else None
    os.rename(partial, database)
    return database


def postgres_data_set(server, devices, rows):
    """The name of a database on `server` holding the data set (made now:
    the server lives for one run)."""
    database = "bench"
    print(f"Generating the PostgreSQL data set: {devices:,} devices, {rows:,} history rows…", flush=True)
    folder = os.path.join(DATASET, "postgres")
    subprocess.run(
        [FERRY, "upgrade", "--create", "--database", server.url(database), "--migrations", os.path.join(folder, "migrations"),
         "--no-backup"],
        check=True, stdout=subprocess.DEVNULL)
    server.psql(database, "-v", f"devices={devices}", "-v", f"rows={rows}", "-f", os.path.join(folder, "fill.sql"))
    return database


def trivial_sql(index):
    return f"CREATE TABLE t{index:05d} (id INTEGER PRIMARY KEY, name TEXT NOT NULL);"


def ferry_migrations(count):
    """A migrations folder with `count` trivial migrations in release 1.0.0."""
    folder = os.path.join(DATA, f"ferry-migrations-{count}")
    if not os.path.exists(folder):
        release = os.path.join(folder + ".partial", "1.0.0")
        shutil.rmtree(folder + ".partial", ignore_errors=True)
        os.makedirs(release)
        for index in range(1, count + 1):
            with open(os.path.join(release, f"{index:05d}_create_t{index:05d}.sql"), "w") as file:
                file.write(trivial_sql(index) + "\n")
        os.rename(folder + ".partial", folder)
    return folder


ALEMBIC_INI = """[alembic]
script_location = %(here)s

[loggers]
keys = root

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = WARNING
handlers = console

[handler_console]
class = StreamHandler
args = (sys.stderr,)
formatter = generic

[formatter_generic]
format = %(levelname)s %(message)s
"""

ALEMBIC_ENV = '''"""Runs the revisions against the SQLite file given with -x db=PATH."""
from alembic import context
from sqlalchemy import create_engine

database = context.get_x_argument(as_dictionary=True)["db"]
engine = create_engine(f"sqlite:///{database}")
with engine.connect() as connection:
    context.configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()
'''

ALEMBIC_REVISION = '''from alembic import op

revision = "{revision}"
down_revision = {down_revision}
branch_labels = None
depends_on = None


def upgrade():
    op.execute("{sql}")


def downgrade():
    op.execute("DROP TABLE t{index:05d}")
'''


def alembic_project(count):
    """An Alembic project whose `count` revisions run the same SQL as Ferry's folder."""
    folder = os.path.join(DATA, f"alembic-{count}")
    if not os.path.exists(folder):
        partial = folder + ".partial"
        shutil.rmtree(partial, ignore_errors=True)
        os.makedirs(os.path.join(partial, "versions"))
        with open(os.path.join(partial, "alembic.ini"), "w") as file:
            file.write(ALEMBIC_INI)
        with open(os.path.join(partial, "env.py"), "w") as file:
            file.write(ALEMBIC_ENV)
        for index in range(1, count + 1):
            down = f'"r{index - 1:05d}"' if index > 1 else "None"
            with open(os.path.join(partial, "versions", f"r{index:05d}_create_t{index:05d}.py"), "w") as file:
                file.write(ALEMBIC_REVISION.format(
                    revision=f"r{index:05d}", down_revision=down, sql=trivial_sql(index), index=index))
        os.rename(partial, folder)
    return folder


def alembic_command(project, database, *arguments):
    return [ALEMBIC, "-c", os.path.join(project, "alembic.ini"), "-x", f"db={database}", *arguments]
