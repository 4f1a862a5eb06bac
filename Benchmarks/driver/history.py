"""The history of each ratio per release, so that a regression shows.

Every full run that writes BENCHMARKS.md also appends its results to
Benchmarks/history.json (the data set, Ferry's release, the commit, the date,
and per row its ratio, or its value for a row without a peer). BENCHMARKS.md
shows them side by side, one section per data set: a column for the latest
run of each release, and the last few runs of the newest release before
it (a release is measured many times while it is built). A cell more than
10% above the one to its left is marked ▲: every number in the table is
better lower.
"""

import json
import os

from paths import BENCHMARKS

HISTORY = os.path.join(BENCHMARKS, "history.json")
NEWEST_RELEASE_RUNS = 4
REGRESSION = 1.10


def key(row):
    return f"{row.workload} | {row.ferry} | {row.peer}" if row.peer else f"{row.workload} | {row.ferry}"


def load():
    if not os.path.exists(HISTORY):
        return []
    with open(HISTORY) as file:
        return json.load(file)


def record(data_set, rows, release, commit, date):
    """Appends one run's results, and returns every run so far."""
    runs = load()
    runs.append({
        "set": data_set, "release": release, "commit": commit, "date": date,
        "values": {key(row): {"value": row.ratio if row.ratio is not None else row.ferry_value,
                              "unit": "×" if row.ratio is not None else row.unit} for row in rows},
    })
    with open(HISTORY, "w") as file:
        json.dump(runs, file, indent=1, ensure_ascii=False)
        file.write("\n")
    return runs


def columns(runs):
    """The runs shown: the latest of each earlier release, then the newest release's last few."""
    releases = []
    for run in runs:
        if run["release"] not in releases:
            releases.append(run["release"])
    shown = [[run for run in runs if run["release"] == release][-1] for release in releases[:-1]]
    return shown + [run for run in runs if run["release"] == releases[-1]][-NEWEST_RELEASE_RUNS:]


def cell(entry, before):
    if entry is None:
        return ""
    number = entry["value"]
    text = f"{number:.2f}×" if entry["unit"] == "×" else (
        f"{number:.3f} ms" if entry["unit"] == "ms" else f"{number:.2f} {entry['unit']}")
    if before is not None and before["unit"] == entry["unit"] and number > before["value"] * REGRESSION:
        text += " ▲"
    return text


def section(data_set, runs):
    """The Markdown section of one data set's history."""
    shown = columns([run for run in runs if run["set"] == data_set])
    if not shown:
        return None
    keys = []
    for run in shown:
        keys += [name for name in run["values"] if name not in keys]
    header = "| workload | Ferry | peer | " + " | ".join(
        f"{run['release']} ({run['commit']}, {run['date']})" for run in shown) + " |"
    lines = [header, "|---|---|---|" + "---:|" * len(shown)]
    for name in keys:
        parts = name.split(" | ")
        workload, ferry, peer = parts[0], parts[1], parts[2] if len(parts) > 2 else ""
        cells, before = [], None
        for run in shown:
            entry = run["values"].get(name)
            cells.append(cell(entry, before))
            before = entry or before
        lines.append(f"| {workload} | {ferry} | {peer} | " + " | ".join(cells) + " |")
    title = "Large set" if data_set == "large" else "Quick set"
    return (f"<!-- history-{data_set}:start -->\n## History: {title}, Ferry / peer per run (▲: more than 10% "
            f"above the run before)\n\n" + "\n".join(lines) + f"\n<!-- history-{data_set}:end -->")
