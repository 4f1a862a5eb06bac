#!/usr/bin/env bash
# The long runs of Ferry's reliability probes (issue 18), whose figures are in
# RELIABILITY.md:
#   crash   the crash-point harness kills every operation of the tool, on SQLite
#           and on PostgreSQL, at every point it passes (CI at a quarter of them, at most six);
#   load    700 rounds of concurrent `ferry upgrade` processes per engine, 100 with
#           each number from 2 to 8 (CI runs 1), and an application writing while
#           Ferry works;
#   disk    a full backup folder, export folder, import target and database folder;
#   damage  backups, manifests and export parts damaged at every byte position
#           class, and migration folders holding what is not a migration.
#
#   scripts/reliability.sh                  run every probe, rewrite RELIABILITY.md's figures
#   scripts/reliability.sh load damage      run those probes, rewrite only their figures
#   scripts/reliability.sh --log FILE       rewrite the figures from the output of a run
#
# It goes through scripts/test.sh, which installs what is missing and starts a
# throwaway PostgreSQL server (or uses FERRY_TEST_POSTGRES_URL).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

status=0
if [[ "${1:-}" == "--log" ]]; then
    log=$2
else
    probes=("$@")
    ((${#probes[@]})) || probes=(crash load disk damage)
    filters=()
    for probe in "${probes[@]}"; do
        case $probe in
            crash) filters+=(CrashPointHarnessTests) ;;
            load) filters+=(ConcurrentUpgradersProbeTests WriterPauseProbeTests) ;;
            disk) filters+=(FullDiskCommandTests) ;;
            damage) filters+=(DamagedInputCommandTests) ;;
            *) echo "Unknown probe $probe: use crash, load, disk or damage." >&2; exit 2 ;;
        esac
    done
    log=$(mktemp)
    trap 'rm -f "$log"' EXIT
    filter=$(IFS='|'; echo "${filters[*]}")
    uptime >"$log"
    FERRY_CRASH_HARNESS=full FERRY_LOAD_ROUNDS=${FERRY_LOAD_ROUNDS:-700} \
        scripts/test.sh --filter "$filter" 2>&1 | tee -a "$log" || status=$?
fi

when=$(date -u +"%Y-%m-%d %H:%M UTC")
commit=$(git rev-parse --short HEAD)
# The machine's load when the run started (the first `uptime` in the log), else now.
load=$(grep -o 'load average: [0-9., ]*' "$log" | head -1 | sed 's/load average: //; s/ *$//')
[[ -n "$load" ]] || load=$(cut -d' ' -f1-3 /proc/loadavg)
python3 - "$log" "$when" "$commit" "$load" <<'PY'
import re, sys
log, when, commit, load = sys.argv[1:5]
lines = open(log, errors="replace").read().splitlines()

def probe(prefix):
    found = [l.split(prefix, 1)[1].split(" | ") for l in lines if prefix in l]
    return sorted(found)

def table(header, rows, total=None):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" if i < 2 else "---:" for i in range(len(header))) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    if total: out.append("| " + " | ".join(total) + " |")
    return "\n".join(out)

def number(text):
    return int(re.match(r"\d+", text.strip()).group())

tables = {}
crash = probe("crash-harness: ")
if crash:
    rows = [(c[0], c[1], number(c[2]), number(c[3].split("at ")[1]), number(c[4])) for c in crash]
    tables["crash"] = table(["operation", "engine", "points passed", "killed at", "failed"], rows,
        ["**all**", "", "", f"**{sum(r[3] for r in rows)}**", f"**{sum(r[4] for r in rows)}**"])
upgraders = probe("load-probe: upgraders | ")
writer = probe("load-probe: writer | ")
if upgraders or writer:
    parts = []
    if upgraders:
        rows = []
        for u in upgraders:
            counts = re.findall(r"\d+", u[3])
            rows.append((u[0], number(u[1]), number(u[2]), counts[0], counts[1], counts[2], number(u[4])))
        parts.append(table(["engine", "rounds", "ferry upgrade processes", "upgraded", "waited, then up to date",
                            "refused (--lock-timeout 0)", "rounds failed"], rows))
    if writer:
        rows = [(w[0], number(w[1]), number(w[2]), w[3].replace("longest pause ", ""), w[4]) for w in writer]
        parts.append(table(["engine", "writes", "failed", "longest pause", "longest pause in each stage"], rows))
    tables["load"] = "\n\n".join(parts)
damage = probe("damage-probe: ")
if damage:
    rows = [(d[0], number(d[1]), number(d[2])) for d in damage]
    tables["damage"] = table(["file", "damages tried", "failed"], rows)
disk = [m.groups() for m in (re.search(r"[✔✘] Test (\w+)\(.*?\).*? (passed|failed) after", l) for l in lines) if m]
disk = sorted({t: r for t, r in disk if "Disk" in t or "Full" in t or "full" in t.lower()}.items())
if disk:
    tables["disk"] = table(["test (FullDiskCommandTests)", "result"], list(disk))

path = "RELIABILITY.md"
text = open(path).read()
for name, body in tables.items():
    section = (f"<!-- {name}:start -->\nMeasured {when} on commit {commit} by `scripts/reliability.sh` "
               f"(load average {load}).\n\n{body}\n<!-- {name}:end -->")
    text = re.sub(rf"<!-- {name}:start -->.*<!-- {name}:end -->", lambda _: section, text, flags=re.S)
open(path, "w").write(text)
print("RELIABILITY.md updated:", ", ".join(tables) or "nothing measured")
PY
exit "$status"
