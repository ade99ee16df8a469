#!/usr/bin/env bash
# Set up leanagent in ./.venv, the way README.md says. Safe to run again.
#
# torch is installed first and pinned to the CPU build named below, so that pip does
# not pull several GB of CUDA wheels on CPU-only machines; on a GPU machine install the
# torch build you want into .venv first and this script keeps it (LEANAGENT_TORCH=skip).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
. .venv/bin/activate
python -m pip install --quiet --upgrade pip
if [ "${LEANAGENT_TORCH:-}" != "skip" ] && ! python -c "import torch" 2>/dev/null; then
  python -m pip install --quiet "torch==${LEANAGENT_TORCH:-2.13.0}"
fi
python -m pip install --quiet -e ".[ml,dev]"
echo "leanagent installed in .venv: activate it with '. .venv/bin/activate'" >&2
