"""The lifelong-learning loop as a resumable state machine.

A *run* learns repositories one after another, in curriculum order. Per repository
(one *position* of the run) the stages are::

    plan -> data -> baseline -> train -> [fisher] -> index -> evaluate -> prove

* ``plan``: why the repository sits at this position (the ordering's reason);
* ``data``: which repositories this step trains on (``single``: it alone, as LeanAgent;
  ``replay``: it plus a seeded sample of earlier ones; ``merge``: all so far), after
  making its train/val/test split exist;
* ``baseline``: BM25, locality and the untrained encoder on its test split, and the
  previous checkpoint on it *before* training (for Forward Transfer);
* ``train``: one epoch by default, from the previous checkpoint or the base model
  depending on the strategy;
* ``fisher`` (only with EWC): the diagonal Fisher at the new checkpoint, used by the
  next step's penalty -- computed here, not by a separate script as in LeanAgent;
* ``index``: the checkpoint's FAISS index over every premise;
* ``evaluate``: test R@10 on every repository seen so far (one row of the accuracy
  matrix R) and validation R@10 on the new one (V);
* ``prove``: search for proofs of its sorry theorems with the new checkpoint as the
  retriever (a `ProveStage`: ``leanagent.prove_stage``, over ``prover.driver``); optionally
  re-prove the test theorems of every repository so far for a Pass@1 row beside R@10.
  Without a Lean toolchain, or without a prover configured, the stage is ``skipped`` and
  its info says why.

All state is in the database: ``runs`` (one row, the config), ``run_stages`` (one row
per position and stage, primary key (run, position, stage)), ``checkpoints`` and
``evaluations`` (written by the learner). A stage is marked ``done`` in one transaction
with its results, after its work; a process killed at any moment (SIGKILL included)
therefore resumes with the first stage not ``done``: finished stages are never redone,
and since the matrix row lives in the ``evaluate`` stage row it cannot be duplicated.
The one waste a kill can cause is a checkpoint registered by ``train`` just before the
kill and not yet recorded as done; it is retrained (and the orphan row stays).

One process at a time runs a given run: it holds the run's lock (``store.runs.lock``,
released by the operating system however the process ends), and a second process is
refused with the first one's PID and start time. A run stopped by an exception is
marked ``failed`` (``interrupted`` for Ctrl-C); one killed outright still says
``running`` in its row, and is shown as ``interrupted`` because nobody holds its lock.
Paths a stage records (the Fisher file, the index) are relative to the home, so a
moved home still resumes.

The parts: `config` (what a run is), `state` (its stages as stored), `loop` (running
them), `learner` (the retriever behind the `Learner` seam), `results` (the report).
"""

from database.errors import RunConfigMismatch, RunError

from .config import DATA_MODES, STRATEGIES, STRATEGY, RunConfig, Strategy
from .learner import Learner, Results, RetrieverLearner
from .loop import BASELINE_METHODS, PROVE_SKIPPED, ProveStage, RunSummary, prove_line, run_lifelong
from .results import run_report
from .state import RunState, find_run, open_run, stages_for

__all__ = [
    "BASELINE_METHODS",
    "DATA_MODES",
    "PROVE_SKIPPED",
    "STRATEGIES",
    "STRATEGY",
    "Learner",
    "ProveStage",
    "Results",
    "RetrieverLearner",
    "RunConfig",
    "RunConfigMismatch",
    "RunError",
    "RunState",
    "RunSummary",
    "Strategy",
    "find_run",
    "open_run",
    "prove_line",
    "run_lifelong",
    "run_report",
    "stages_for",
]
