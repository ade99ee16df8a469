#!/usr/bin/env bash
# The main job on the bundled examples (README "Two commands"): build the knowledge base
# from a LeanDojo export and two Lean projects (indexed statically: no Lean toolchain),
# then learn the two projects one after the other and print the lifelong metrics.
# Everything is written to ./.leanagent-home; delete it to start again.
set -euo pipefail
cd "$(dirname "$0")/.."
export LEANAGENT_HOME="${LEANAGENT_HOME:-$PWD/.leanagent-home}"
la=.venv/bin/leanagent
for src in "examples/toy-lean-export --source examples/toy-lean" examples/lean-proj examples/lean-links; do
  # shellcheck disable=SC2086  # two words on purpose for the export
  $la add $src
done
$la repos
$la sorries
# The toy export has too few annotated theorems for held-out splits: learn the projects.
$la run --repos lean-proj,lean-links
$la metrics
$la report
