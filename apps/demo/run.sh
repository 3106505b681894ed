#!/usr/bin/env bash
# The README's main job: install edgeq (into .venv) and run the demo end to end.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
quiet() { "$@" 2>&1 | { grep -v "is ignored: it is neither a file nor a directory" || true; }; }
quiet .venv/bin/python -m pip install -q --upgrade pip
quiet .venv/bin/python -m pip install -q -e ".[demo,micro]"
exec .venv/bin/python apps/demo/main.py "$@"
