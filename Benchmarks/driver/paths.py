"""Where the benchmark finds its programs and keeps its files."""

import os

BENCHMARKS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(BENCHMARKS)
DATASET = os.path.join(BENCHMARKS, "dataset")
DATA = os.path.join(BENCHMARKS, "data")
WORK = os.path.join(DATA, "work")
VENV = os.path.join(BENCHMARKS, ".venv")
ALEMBIC = os.path.join(VENV, "bin", "alembic")
# FERRY_BUILD_PATH: where `swift build` puts the release build of Ferry (its --scratch-path),
# to keep it apart from a debug build in .build; default .build.
BUILD_PATH = os.environ.get("FERRY_BUILD_PATH") or os.path.join(ROOT, ".build")
FERRY = os.path.join(BUILD_PATH, "release", "ferry")
GRDB_PEER = os.path.join(BENCHMARKS, ".build", "release", "grdb-peer")
FERRY_IN_PROCESS = os.path.join(BENCHMARKS, ".build", "release", "ferry-in-process")
REPORT = os.path.join(ROOT, "BENCHMARKS.md")
