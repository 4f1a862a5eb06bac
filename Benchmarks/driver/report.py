"""Formats the results as Markdown and keeps them in BENCHMARKS.md.

BENCHMARKS.md holds one section per data set (the large set and the quick
one), each between markers; a run replaces its own section and leaves the
other as it was, so the file always shows the latest numbers of both.
"""

import os
import platform
import re
import subprocess

MEMORY_GOAL_MIB = 64
MEMORY_COMMANDS = ("ferry backup", "ferry backup --format sql", "ferry restore (SQL backup, new database)",
                   "ferry backup (PostgreSQL)", "ferry restore (PostgreSQL, new database)")


def value(number, unit):
    if number is None:
        return ""
    if unit == "ms":
        return f"{number:.3f} ms"
    if unit == "MiB":
        return f"{number:.1f} MiB"
    return f"{number:.2f} s"


def verdict(row):
    if row.met is None:
        return ""
    return "met" if row.met else "**missed**"


def results_table(rows):
    lines = [
        "| workload | Ferry | median | peer | median | Ferry / peer | goal | | Ferry peak RSS |",
        "|---|---|---:|---|---:|---:|---:|---|---:|",
    ]
    for row in rows:
        ratio = f"{row.ratio:.2f}×" if row.ratio is not None else ""
        goal = "" if row.goal is None else (f"≤ {row.goal:g}×" if row.peer_value else f"≤ {row.goal:g} {row.unit}")
        rss = f"{row.peak_rss_mib:.1f} MiB" if row.peak_rss_mib else ""
        lines.append(
            f"| {row.workload} | {row.ferry} | {value(row.ferry_value, row.unit)} | {row.peer} | "
            f"{value(row.peer_value, row.unit)} | {ratio} | {goal} | {verdict(row)} | {rss} |")
    return "\n".join(lines)


def memory_table(rows):
    lines = ["| Ferry command | peak RSS | goal | |", "|---|---:|---:|---|"]
    seen = set()
    for row in rows:
        if row.ferry in MEMORY_COMMANDS and row.ferry not in seen and row.peak_rss_mib:
            seen.add(row.ferry)
            met = "met" if row.peak_rss_mib <= MEMORY_GOAL_MIB else "**missed**"
            lines.append(f"| {row.ferry} | {row.peak_rss_mib:.1f} MiB | ≤ {MEMORY_GOAL_MIB} MiB | {met} |")
    return "\n".join(lines)


def machine():
    cpu = "unknown CPU"
    with open("/proc/cpuinfo") as file:
        for line in file:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as file:
        memory_kib = int(file.readline().split()[1])
    return f"{os.cpu_count()} cores, {memory_kib / 1024 / 1024:.0f} GiB, {cpu}, {platform.system()} {platform.release()}"


def load_average():
    return ", ".join(f"{load:.1f}" for load in os.getloadavg())


def section(name, description, rows, started, finished, versions, repetitions, load_before, load_after):
    return f"""<!-- {name}:start -->
## {description}
Measured {started} to {finished} UTC; {repetitions} runs of each program, taken in turn; medians.
Machine: {machine()}; load average {load_before} before the run, {load_after} after it
(a load above the core count means other programs, such as builds, ran at the same time:
the ratios, measured alternately, are what counts).
Versions: {versions}.

{results_table(rows)}

Peak memory (RSS, from `/usr/bin/time`) of the commands that read or write a whole database:

{memory_table(rows)}
<!-- {name}:end -->"""


def write(path, name, text, preamble):
    """Replaces the section `name` in BENCHMARKS.md, or adds it."""
    current = open(path).read() if os.path.exists(path) else preamble
    pattern = re.compile(rf"<!-- {name}:start -->.*?<!-- {name}:end -->", re.S)
    if pattern.search(current):
        current = pattern.sub(lambda _: text, current)
    else:
        current = current.rstrip("\n") + "\n\n" + text + "\n"
    with open(path, "w") as file:
        file.write(current)


def version_of(command):
    try:
        return subprocess.run(command, capture_output=True, text=True).stdout.strip().splitlines()[0]
    except (OSError, IndexError):
        return "unknown"
