"""Where the benchmark finds its programs and keeps its files."""

import os

BENCHMARKS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(BENCHMARKS)
DATASET = os.path.join(BENCHMARKS, "dataset")
DATA = os.path.join(BENCHMARKS, "data")
WORK = os.path.join(DATA, "work")
VENV = os.path.join(BENCHMARKS, ".venv")
ALEMBIC = os.path.join(VENV, "bin", "alembic")
FERRY = os.path.join(ROOT, ".build", "release", "ferry")
GRDB_PEER = os.path.join(BENCHMARKS, ".build", "release", "grdb-peer")
FERRY_IN_PROCESS = os.path.join(BENCHMARKS, ".build", "release", "ferry-in-process")
REPORT = os.path.join(ROOT, "BENCHMARKS.md")
