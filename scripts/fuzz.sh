#!/usr/bin/env bash
# Fuzzes every parser of Ferry with libFuzzer (issue 18): the targets of the
# Fuzz/ package, each run on its corpus (Fuzz/Corpus/TARGET/, seeded from the
# example application, the tests' layouts and the files a real `ferry`
# writes) with AddressSanitizer.
#
#   scripts/fuzz.sh [--runs N] [--max-time SECONDS] [--merge] [TARGET…]
#
#   --runs N          inputs per target (default 1000000; CI runs 20000)
#   --max-time S      stop a target after S seconds whatever its count (default 3600)
#   --merge           add the inputs that reach new code to Fuzz/Corpus/TARGET/
#   --record          rewrite the fuzzing figures in RELIABILITY.md
#   --skip-build      run the targets as last built
#   --build-only      build the targets and run none (CI builds them while its tests run)
#   --release         build optimized (slower to build, faster to run; default: debug)
#   TARGET…           some of: script-splitter releases settings migration-folder
#                     backup-manifest export-manifest export-lines urls (default: all)
#
# A crash, a sanitizer report, a hang (10 s on one input) or a leak stops that
# target: the input is left in Fuzz/Crashes/TARGET/ (replay it with
# `Fuzz/.build/debug/TARGET FILE`), the other targets still run, and the
# script exits 1. Each target ends with one line:
#   fuzz: TARGET | RUNS runs | SECONDS s | EXEC/s | corpus FILES | ok
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

all=(script-splitter releases settings migration-folder backup-manifest export-manifest export-lines urls)
runs=1000000
max_time=3600
merge=0
record=0
configuration=debug
skip_build=0
build_only=0
targets=()
while (($#)); do
    case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --max-time) max_time="$2"; shift 2 ;;
    --merge) merge=1; shift ;;
    --record) record=1; shift ;;
    --release) configuration=release; shift ;;
    --skip-build) skip_build=1; shift ;;
    --build-only) build_only=1; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1 (see --help)." >&2; exit 2 ;;
    *)
        if [[ " ${all[*]} " != *" $1 "* ]]; then
            echo "fuzz.sh: no target $1; the targets are: ${all[*]}." >&2
            exit 2
        fi
        targets+=("$1"); shift ;;
    esac
done
((${#targets[@]})) || targets=("${all[@]}")

# Every module, Ferry's and its dependencies', carries the fuzzer's coverage and
# AddressSanitizer; each target's `main` calls libFuzzer's driver (Fuzz/Sources/FuzzDriver).
build=(swift build --package-path Fuzz -c "$configuration"
    -Xswiftc -sanitize=fuzzer,address)
bin="$("${build[@]}" --show-bin-path)"
# build_targets TARGET…: builds them (the linker's "Cannot export local symbol '__asan_…'"
# warnings are harmless). All of them are built by one build, which keeps both cores busy;
# some of them each alone, so that one reaching only the core does not wait for the engines.
build_targets() {
    if (($# == ${#all[@]})); then
        "${build[@]}" 2>&1 | { grep -v 'Cannot export local symbol' || true; }
    else
        for target in "$@"; do
            "${build[@]}" --product "$target" 2>&1 | { grep -v 'Cannot export local symbol' || true; }
        done
    fi
}
if ((build_only)); then
    ((skip_build)) || build_targets "${targets[@]}"
    exit 0
fi
if ((!skip_build && ${#targets[@]} == ${#all[@]})); then
    build_targets "${targets[@]}"
    skip_build=1
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/ferry-fuzz.XXXXXX")"
# The folder targets write their files under TMPDIR: on tmpfs when there is one, so that
# the disk does not set the pace. A sanitizer report keeps one frame of where the memory
# was allocated (recording more spent most of the time).
if [[ -d /dev/shm && -w /dev/shm ]]; then export TMPDIR=/dev/shm; fi
export ASAN_OPTIONS="${ASAN_OPTIONS:-malloc_context_size=1}"
trap 'rm -rf "$work"' EXIT
status=0
summary=()
for target in "${targets[@]}"; do
    corpus="Fuzz/Corpus/$target"
    crashes="Fuzz/Crashes/$target"
    mkdir -p "$corpus" "$crashes" "$work/$target"
    log="$work/$target.log"
    result=ok
    if ((!skip_build)); then build_targets "$target"; fi
    # New inputs go to the work folder; the checked-in corpus is only read.
    if ! "$bin/$target" -runs="$runs" -max_total_time="$max_time" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$crashes/" "$work/$target" "$corpus" >"$log" 2>&1; then
        result="FAILED: $(grep -m1 -o 'Test unit written to .*' "$log" || echo 'see the log above')"
        tail -n 60 "$log" >&2
        status=1
    fi
    done_runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
    seconds=$(grep -o 'Done [0-9]* runs in [0-9]* second' "$log" | grep -o 'in [0-9]*' | grep -o '[0-9]*' || echo "?")
    rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    if ((merge)); then
        "$bin/$target" -merge=1 "$corpus" "$work/$target" >>"$log" 2>&1 || true
    fi
    files=$(find "$corpus" -type f | wc -l)
    summary+=("$target | $done_runs | $seconds | $rate | $files | ${result%%:*}")
    echo "fuzz: $target | $done_runs runs | $seconds s | $rate exec/s | corpus $files | $result"
done

if ((record)); then
    # Rows of the targets run replace theirs; the others' rows stay.
    FUZZ_SUMMARY="$(printf '%s\n' "${summary[@]}")" python3 - "$(date -u +"%Y-%m-%d %H:%M UTC")" \
        "$(git rev-parse --short HEAD)" "$(uptime | sed 's/.*load average: //')" "${all[@]}" <<'PY'
import os, re, sys
when, commit, load, *order = sys.argv[1:]
text = open("RELIABILITY.md").read()
old = re.search(r"<!-- fuzz:start -->(.*)<!-- fuzz:end -->", text, flags=re.S).group(1)
rows = {m.group(1): m.group(0) for m in re.finditer(r"^\| ([a-z-]+) \|.*\|$", old, flags=re.M)}
for line in os.environ["FUZZ_SUMMARY"].splitlines():
    target, rest = line.split(" | ", 1)
    rows[target] = f"| {target} | {rest} | {when}, {commit}, load {load} |"
table = "\n".join(["| target | inputs run | seconds | inputs/s | corpus files | result | measured |",
                   "|---|---:|---:|---:|---:|---|---|"] + [rows[t] for t in order if t in rows])
section = f"<!-- fuzz:start -->\n{table}\n<!-- fuzz:end -->"
text = text.replace(f"<!-- fuzz:start -->{old}<!-- fuzz:end -->", section)
open("RELIABILITY.md", "w").write(text)
PY
    echo "RELIABILITY.md updated."
fi
exit "$status"
