#!/usr/bin/env bash
# The long runs of Ferry's reliability probes (issue 18), whose figures are in
# RELIABILITY.md: the crash-point harness kills every operation of the tool, on
# SQLite and on PostgreSQL, at every point it passes (CI kills at every fourth).
#
#   scripts/reliability.sh          run the probes and rewrite RELIABILITY.md's figures
#
# It goes through scripts/test.sh, which installs what is missing and starts a
# throwaway PostgreSQL server (or uses FERRY_TEST_POSTGRES_URL).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
FERRY_CRASH_HARNESS=full scripts/test.sh --filter CrashPointHarnessTests 2>&1 | tee "$log" || status=$?

# The harness prints one line per operation and engine:
#   crash-harness: upgrade | sqlite | 48 points | killed at 48 | 0 failed []
table=$(grep -o 'crash-harness: .*' "$log" | sed 's/^crash-harness: //' | sort | awk -F' \\| ' '
    BEGIN { print "| operation | engine | points passed | killed at | failed |"; print "|---|---|---:|---:|---:|" }
    { split($3, p, " "); split($4, k, " "); split($5, f, " ");
      printf "| %s | %s | %s | %s | %s |\n", $1, $2, p[1], k[3], f[1]; points += k[3]; failed += f[1] }
    END { printf "| **all** | | | **%d** | **%d** |\n", points, failed }')
when=$(date -u +"%Y-%m-%d %H:%M UTC")
commit=$(git rev-parse --short HEAD)
python3 - "$table" "$when" "$commit" <<'PY'
import re, sys
table, when, commit = sys.argv[1:4]
path = "RELIABILITY.md"
text = open(path).read()
section = f"<!-- crash:start -->\nMeasured {when} on commit {commit} by `scripts/reliability.sh`.\n\n{table}\n<!-- crash:end -->"
text = re.sub(r"<!-- crash:start -->.*<!-- crash:end -->", lambda _: section, text, flags=re.S)
open(path, "w").write(text)
PY
echo "RELIABILITY.md updated."
exit "$status"
