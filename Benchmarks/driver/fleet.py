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


def fleet(repetitions, count, ferry=FERRY):
    """`ferry upgrade --databases` over `count` tenants beside a shell loop; returns rows."""
    from workloads import Row  # the report's row type; imported here to keep this module apart

    source = template(ferry)
    ours = os.path.join(WORK, "fleet-ferry")
    loops = os.path.join(WORK, "fleet-loop")
    ferry_run = Contender(
        f"ferry upgrade --databases ({count} tenants, parallel default)",
        [ferry, "upgrade", "--databases", os.path.join(ours, "*.db"), "--migrations", MIGRATIONS,
         "--report", os.path.join(WORK, "fleet-report.json")],
        prepare=tenants(ours, count, source))
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


if __name__ == "__main__":
    # A run of its own: `driver/fleet.py [TENANTS] [FERRY]` (default 100, the release build).
    import sys

    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    binary = sys.argv[2] if len(sys.argv) > 2 else FERRY
    for row in fleet(1, count, binary):
        print(f"{row.workload}: {row.ferry} {row.ferry_value:.2f} s, {row.peer} {row.peer_value:.2f} s, "
              f"ratio {row.ratio:.3f} (goal ≤ {row.goal}), Ferry's peak RSS {row.peak_rss_mib:.1f} MiB")
