#!/usr/bin/env bash
# The main job on the bundled examples (README "Two commands"): build the knowledge base
# from a LeanDojo export and the five example Lean projects under examples/ (indexed
# statically: no Lean toolchain), then learn the projects one after the other in
# curriculum order and print the accuracy matrix, the baselines and the lifelong metrics.
# Everything is written to ./.leanagent-home; delete it to start again.
set -euo pipefail
cd "$(dirname "$0")/.."
export LEANAGENT_HOME="${LEANAGENT_HOME:-$PWD/.leanagent-home}"
la=.venv/bin/leanagent
$la add examples/toy-lean-export --source examples/toy-lean
# Dependencies first is not required (each project sees the others through its
# .lake/packages), but it is the order a reader would expect.
for project in arith logic lists orders algebra; do
  $la add "examples/$project"
done
$la repos
$la sorries
# The toy export has too few annotated theorems for held-out splits: learn the projects.
# Statements and premises of the examples fit in 128 tokens.
$la run --repos arith,logic,lists,orders,algebra --max-length 128
$la metrics
$la report
