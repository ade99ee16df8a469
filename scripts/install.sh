#!/usr/bin/env bash
# Set up leanagent in ./.venv, the way README.md says. Safe to run again.
#
# torch is installed first and pinned to the CPU build named below, so that pip does
# not pull several GB of CUDA wheels on CPU-only machines; on a GPU machine install the
# torch build you want into .venv first and this script keeps it (LEANAGENT_TORCH=skip).
#
# --browser also installs Debian's chromium for the report's browser tests (needs root
# and apt-get; elsewhere it says why it skipped, and those tests skip with that reason).
set -euo pipefail
BROWSER=0
for arg in "$@"; do
  case "$arg" in
    --browser) BROWSER=1 ;;
    *) echo "usage: bash scripts/install.sh [--browser]" >&2; exit 2 ;;
  esac
done
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
python -m pip install --quiet -e ".[ml,report,ray,dev,leandojo]"
if [ "$BROWSER" = 1 ]; then
  if command -v chromium >/dev/null 2>&1 || [ -n "${LEANAGENT_CHROMIUM:-}" ]; then
    echo "browser: $(command -v chromium || echo "$LEANAGENT_CHROMIUM") is already there" >&2
  elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "browser: installing Debian's chromium (about 500 MB)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "browser: skipped: installing chromium needs root and apt-get (set LEANAGENT_CHROMIUM to a" \
      "Chromium binary instead); the browser tests will skip" >&2
  fi
fi
echo "leanagent installed in .venv: activate it with '. .venv/bin/activate'" >&2
