"""A throwaway PostgreSQL server for the PostgreSQL workloads.

The server is PostgreSQL 15 (or the version `pg_config` names), made with
initdb in a temporary folder and started on a free port of 127.0.0.1 as
scripts/test.sh does: as the user `postgres` when this runs as root, with a
superuser `ferry` that logs in without a password from 127.0.0.1 only. It is
stopped by its pid (a fast shutdown) and its folder removed when the `with`
block ends, also on a failure or Ctrl-C (and on SIGTERM, which run.py turns
into an exception).

Unlike the test server it keeps PostgreSQL's default durability (fsync,
full_page_writes, synchronous_commit on): Ferry and the peers write to the
same server, so both pay for the syncs a real server makes.
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

ROLE = "ferry"


def binaries():
    """The folder of initdb, pg_ctl and postgres, or None."""
    candidates = []
    try:
        candidates.append(subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True).stdout.strip())
    except OSError:
        pass
    candidates.append("/usr/lib/postgresql/15/bin")
    for folder in candidates:
        if folder and all(os.access(os.path.join(folder, name), os.X_OK) for name in ("initdb", "pg_ctl", "postgres")):
            return folder
    return None


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """A PostgreSQL server of its own for one run of the benchmarks."""

    def __init__(self):
        self.bin = binaries()
        if self.bin is None:
            raise SystemExit("PostgreSQL's initdb and postgres were not found (apt-get install postgresql-15).")
        self.folder = None
        self.pid = None
        self.port = None

    def __enter__(self):
        self.folder = tempfile.mkdtemp(prefix="ferry-bench-postgres-")
        as_owner = []
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
            as_owner = ["runuser", "-u", "postgres", "--"]
        try:
            data = os.path.join(self.folder, "data")
            self._run(as_owner + [os.path.join(self.bin, "initdb"), "-D", data, "-U", ROLE, "-A", "trust",
                                  "-E", "UTF8", "--no-locale"], "initdb.log")
            with open(os.path.join(data, "pg_hba.conf"), "w") as file:
                file.write("local all all trust\nhost all ferry 127.0.0.1/32 trust\n")
            self.port = free_port()
            options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder}"
            self._run(as_owner + [os.path.join(self.bin, "pg_ctl"), "-D", data, "-l",
                                  os.path.join(self.folder, "server.log"), "-w", "-t", "60", "-o", options, "start"],
                      "server.log")
            with open(os.path.join(data, "postmaster.pid")) as file:
                self.pid = int(file.readline())
        except BaseException:
            self.stop()
            raise
        print(f"Started PostgreSQL {self.version()} (pid {self.pid}) on 127.0.0.1:{self.port}.", flush=True)
        return self

    def __exit__(self, *_):
        self.stop()
        return False

    def _run(self, command, log):
        result = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if result.returncode != 0:
            path = os.path.join(self.folder, log)
            detail = open(path).read()[-2000:] if os.path.exists(path) else result.stderr
            raise SystemExit(f"{' '.join(command)} failed:\n{detail}")

    def stop(self):
        """Stops the server by its pid (a fast shutdown) and removes its folder."""
        if self.pid:
            try:
                os.kill(self.pid, signal.SIGINT)
                for _ in range(300):
                    os.kill(self.pid, 0)
                    time.sleep(0.1)
            except ProcessLookupError:
                pass
            print(f"Stopped PostgreSQL (pid {self.pid}).", flush=True)
            self.pid = None
        if self.folder:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    def version(self):
        """`15.18` from `postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)`."""
        return subprocess.run([os.path.join(self.bin, "postgres"), "--version"], capture_output=True,
                              text=True).stdout.split()[2]

    def url(self, database):
        return f"postgres://{ROLE}@127.0.0.1:{self.port}/{database}"

    @property
    def environment(self):
        """What libpq's programs (psql, pg_dump, createdb, …) need to reach the server."""
        return {"PGHOST": "127.0.0.1", "PGPORT": str(self.port), "PGUSER": ROLE}

    def client(self, program):
        """The path of a client program of the server's version."""
        return os.path.join(self.bin, program)

    def psql(self, database, *arguments, **options):
        """Runs psql on a database, stopping at the first error."""
        return subprocess.run(
            [self.client("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", database, *arguments],
            env={**os.environ, **self.environment, "PGOPTIONS": "-c client_min_messages=warning"}, check=True,
            stdout=subprocess.DEVNULL, **options)

    def drop(self, database):
        """A `prepare` step: drops a database if it exists."""
        def prepare():
            self.psql("postgres", "-c", f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        return prepare
