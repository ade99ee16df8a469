#!/usr/bin/env bash
# The main job on the bundled examples (README "Two commands"), in ./.leanagent-home
# unless LEANAGENT_HOME says otherwise: `leanagent demo` indexes the five example
# projects, learns them one after the other, evaluates against the baselines, proves
# where a Lean toolchain is present and writes the report. Rerunning continues the run;
# delete the home to start again. Arguments are passed to `leanagent demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
export LEANAGENT_HOME="${LEANAGENT_HOME:-$PWD/.leanagent-home}"
exec .venv/bin/leanagent demo "$@"
