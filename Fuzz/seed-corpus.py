#!/usr/bin/env python3
"""Seeds Fuzz/Corpus/<target>/ with real inputs: the example application's
migrations, settings and SQL, the layouts of other tools as the tests write
them, and the backups and exports a real `ferry` writes of the example.

    Fuzz/seed-corpus.py [FERRY]   # FERRY: the tool to run, default .build/debug/ferry

Seeds are named seed-*; libFuzzer adds the inputs it finds under their SHA-1s.
"""
import hashlib, json, os, pathlib, subprocess, sys, tempfile

root = pathlib.Path(__file__).resolve().parent.parent
corpus = root / "Fuzz" / "Corpus"
example = root / "Examples" / "sensorhub"
ferry = sys.argv[1] if len(sys.argv) > 1 else str(root / ".build" / "debug" / "ferry")


def seed(target, data):
    if isinstance(data, str):
        data = data.encode()
    folder = corpus / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ("seed-" + hashlib.sha1(data).hexdigest())).write_bytes(data)


def archive(files):
    """The folder targets' input: PATH\\0CONTENTS\\0 for each file."""
    out = b""
    for path, contents in files:
        out += path.encode() + b"\0" + (contents if isinstance(contents, bytes) else contents.encode()) + b"\0"
    return out


def folder_files(folder):
    return [(str(p.relative_to(folder)), p.read_bytes()) for p in sorted(folder.rglob("*")) if p.is_file()]


# The PostgreSQL script splitter: every SQL file of the example, and the shapes it must know.
for sql in sorted(example.rglob("*.sql")):
    seed("script-splitter", sql.read_bytes())
for text in [
    "CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql;\nSELECT 2;",
    "SELECT 'it''s; here'; SELECT E'\\'; x'; SELECT \"a;b\" FROM t;",
    "/* a /* nested; */ comment */ SELECT 1; -- end; \n",
    "COPY t FROM stdin;\n1\t2\n\\.\nSELECT 1;",
    "BEGIN ATOMIC SELECT 1; SELECT 2; END;",
    "SELECT U&'d\\0061t\\+000061' UESCAPE '!'; SELECT $1;",
]:
    seed("script-splitter", text)

# Releases, ranges, patterns, layout names: RELEASE-OR-RANGE \n PATTERN \n FILE NAME.
for first, pattern, name in [
    ("0.7.0", r"_r(?<release>\d+\.\d+\.\d+)_", "V3__add_r0.4.0_rooms.sql"),
    ("1.0.0-beta.2+build.5", r"^(?<release>\d+\.\d+)", "1.2_x.up.sql"),
    ("<0.6.4", r"v(?<release>[0-9.]+)-", "20240101_v1.2.3-rooms.sql"),
    (">0.15.0 <0.18.0 || 1.x", r"(?<release>\d+)", "00001_devices.sql"),
    ("^0.7", r"_r(?<release>\d+\.\d+\.\d+)_", "x_r99999999999999999999.0.0_y.sql"),
    ("~1.2, >=1.2.5", "", ""),
    ("0.3.*", "(", ")"),
    ("flyway", "*", "V1__x.sql"),
    ("golang-migrate", "", ""),
    ("=1.2.3 || <=0.1", "", ""),
]:
    seed("releases", f"{first}\n{pattern}\n{name}")

# Settings: the example's files and every table the settings read.
for toml in [example / "ferry.toml", example / "postgres" / "ferry.toml"]:
    seed("settings", toml.read_bytes())
seed("settings", """[app]
name = "hub"
release = "0.7.0"
minimum_upgradable_from = "0.3.0"
layout = "flyway"
[database]
url = "postgres://ferry:secret@127.0.0.1:54329/hub?sslmode=disable"
migrations = "migrations"
lock_timeout = 2.5
pg_bin = "/usr/lib/postgresql/15/bin"
[backups]
directory = "backups"
keep = 3
keep_manual = 2
keep_free_mb = 100
[[release]]
version = "0.4.0"
through = "V3__rooms"
""")

# Migration folders: the example's (native, with hooks), and other tools' layouts.
# The first byte picks the layout: 255 detects it, else MigrationLayout.allCases[byte].
DETECT = b"\xff"
for migrations in [example / "migrations", example / "postgres" / "migrations"]:
    seed("migration-folder", DETECT + archive(folder_files(migrations)))
create = "CREATE TABLE devices (id INTEGER PRIMARY KEY);\n"
layouts = [
    [("0.1.0/001_devices.sql", "-- ferry:no-transaction\n" + create), ("0.1.0/001_devices.down.sql", "DROP TABLE devices;"),
     ("0.1.0/001_devices.verify.sql", "SELECT 1;"), ("0.2.0/001_more.sql", "-- ferry:own-transaction\nSELECT 1;"),
     ("0.2.0/README.md", "notes"), ("0.1.0/baseline.sql", create),
     ("hooks/001_reset.sql", "-- ferry:from <0.6.4\n-- ferry:to >=0.7.0\nSELECT 1;")],
    [("V1__devices.sql", create), ("V2__vacuum.sql", "VACUUM;\n"), ("V2__vacuum.sql.conf", "executeInTransaction=false\n"),
     ("R__view.sql", "CREATE VIEW v AS SELECT 1;"), ("flyway.conf", "flyway.placeholders.x=1\n")],
    [("2024-01-01-000000_devices/up.sql", create), ("2024-01-01-000000_devices/down.sql", "DROP TABLE devices;"),
     ("2024-01-02-000000_vacuum/up.sql", "VACUUM;\n"), ("2024-01-02-000000_vacuum/metadata.toml", "run_in_transaction = false\n")],
    [("1_devices.sql", create), ("2_vacuum.sql", "-- no-transaction\nVACUUM;\n"), ("3_x.up.sql", "SELECT 1;"), ("3_x.down.sql", "SELECT 0;")],
    [("00001_devices.sql", "-- +goose Up\n" + create + "-- +goose Down\nDROP TABLE devices;\n"),
     ("00002_vacuum.sql", "-- +goose NO TRANSACTION\n-- +goose Up\n-- +goose StatementBegin\nVACUUM;\n-- +goose StatementEnd\n")],
    [("20240101000000_devices.sql", "-- migrate:up\n" + create + "-- migrate:down\n"),
     ("20240102000000_vacuum.sql", "-- migrate:up transaction:false\nVACUUM;\n-- migrate:down\n")],
    [("1_devices.up.sql", create), ("1_devices.down.sql", "DROP TABLE devices;"), ("02_rooms.up.sql", "SELECT 1;")],
    [("sqitch.plan", "%syntax-version=1.0.0\n%project=app\n\nusers 2024-01-01T00:00:00Z A <a@example.com> # users\n"
      "@v1.0 2024-01-01T00:00:01Z A <a@example.com> # one\nflips [users] 2024-01-02T00:00:00Z A <a@example.com>\n"
      "users [users@v1.0] 2024-01-02T00:00:00Z A <a@example.com> # rework\n"),
     ("deploy/users.sql", "-- Deploy\n\nBEGIN;\nALTER TABLE users ADD x int;\nCOMMIT;\n"),
     ("deploy/users@v1.0.sql", "BEGIN;\nCREATE TABLE users (id int);\nCOMMIT;\n"),
     ("deploy/flips.sql", "CREATE TABLE flips (id int);"), ("revert/users.sql", "SELECT 0;"),
     ("verify/users.sql", "SELECT 1;"), ("sqitch.conf", "[core]\n\tengine = sqlite\n")],
]
for files in layouts:
    seed("migration-folder", DETECT + archive(files))

# URLs as --database takes them.
for url in [
    "data/sensorhub.db", "sqlite:data/x.db", "sqlite:///tmp/x.db", "postgres://ferry@127.0.0.1:54329/postgres",
    "postgresql://user:p%40ss@[::1]:5432/db?sslmode=verify-full&sslrootcert=/x/root.crt&connect_timeout=5",
    "postgres://u@host/db?application_name=ferry&options=-c%20search_path%3Dapp", "postgres:///db?host=/var/run/postgresql",
    "mysql://x@y/z", "postgres://h:99999/d",
]:
    seed("urls", url)

# Backups, exports and export lines: written by the real tool from the example database.
with tempfile.TemporaryDirectory() as work:
    work = pathlib.Path(work)
    db = work / "hub.db"
    env = dict(os.environ, FERRY=ferry)
    subprocess.run([str(example / "make-database.sh"), "0.2.0", str(db)], check=True, env=env, capture_output=True)
    common = ["--database", str(db), "--migrations", str(example / "migrations"), "--backups", str(work / "backups")]
    subprocess.run([ferry, "upgrade", *common], check=True, capture_output=True)
    subprocess.run([ferry, "backup", "--format", "sql", *common], check=True, capture_output=True)
    backups = work / "backups"
    for manifest in sorted(backups.glob("*.json")):
        name = manifest.name[: -len(".json")]
        # A manifest with a small file in place of the backup (its size and checksum then disagree).
        seed("backup-manifest", b"\0" + archive([(manifest.name, manifest.read_bytes()), (name, b"SQLite format 3\0")]))
    seed("backup-manifest", b"\0" + archive(folder_files(backups)[:2]))
    export = work / "export"
    subprocess.run([ferry, "export", str(export), *common], check=True, capture_output=True)
    files = folder_files(export)
    seed("export-manifest", b"\0" + (export / "manifest.json").read_bytes())
    seed("export-manifest", b"\1" + archive(files))
    # Each table's first lines, after its column types (a count byte, then each type's index).
    types = ["integer", "real", "numeric", "boolean", "text", "blob", "date", "time", "timestamp",
             "timestampWithTimeZone", "interval", "json", "uuid", "any", "other"]
    for entry in json.loads((export / "manifest.json").read_text())["tables"]:
        columns = [types.index(c["logicalType"]) for c in entry["table"]["columns"]][:8]
        for part in [export / f["path"] for f in entry["files"]]:
            for line in part.read_bytes().splitlines()[:3]:
                seed("export-lines", bytes([len(columns)] + columns) + line)
seed("export-lines", bytes([4, 0, 1, 5, 13]) + b'["9007199254740993",{"real":"NaN"},{"base64":"AAE="},null]')
