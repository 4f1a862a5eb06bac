"""Runs commands and measures them: wall time and peak memory (RSS)."""

import os
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass, field

TIME = "/usr/bin/time"


@dataclass
class Contender:
    """One program doing a workload: Ferry, a bare step of Ferry, or a peer.

    `prepare` runs before each measured run and is not timed (it deletes or
    copies the files the command starts from). `stdout` names a file that
    receives the command's output (for `sqlite3 .dump > file`), `stdin` a
    file that feeds it (for `sqlite3 new.db < dump.sql`).
    """

    name: str
    command: list
    prepare: object = None
    stdin: str = None
    stdout: str = None
    env: dict = None
    seconds: list = field(default_factory=list)
    peak_rss_kib: list = field(default_factory=list)

    @property
    def median(self):
        return statistics.median(self.seconds)

    @property
    def peak_rss_mib(self):
        return max(self.peak_rss_kib) / 1024


def run_once(contender):
    """Runs the command once under /usr/bin/time; records seconds and peak RSS."""
    if contender.prepare:
        contender.prepare()
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        stdin = open(contender.stdin, "rb") if contender.stdin else subprocess.DEVNULL
        stdout = open(contender.stdout, "wb") if contender.stdout else subprocess.DEVNULL
        try:
            started = time.perf_counter()
            result = subprocess.run(
                [TIME, "-f", "%M", "-o", report.name, *contender.command],
                stdin=stdin, stdout=stdout, stderr=subprocess.PIPE,
                env={**os.environ, **(contender.env or {})})
            elapsed = time.perf_counter() - started
        finally:
            for stream in (stdin, stdout):
                if stream is not subprocess.DEVNULL:
                    stream.close()
        if result.returncode != 0:
            raise SystemExit(
                f"{contender.name} failed ({result.returncode}): {' '.join(contender.command)}\n"
                + result.stderr.decode(errors="replace")[-2000:])
        contender.seconds.append(elapsed)
        contender.peak_rss_kib.append(int(report.read().strip().splitlines()[-1]))


def run_alternately(contenders, repetitions):
    """Runs each contender once per round, in turn, for the given number of rounds."""
    for _ in range(repetitions):
        for contender in contenders:
            run_once(contender)
    return contenders


def output_of(command, **options):
    """The text a command prints (for in-process timings and versions)."""
    return subprocess.run(command, check=True, capture_output=True, text=True, **options).stdout.strip()
