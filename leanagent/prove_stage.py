"""The lifelong loop's ``prove`` stage: the same driver as ``leanagent prove``.

After a repository is learned, its sorry theorems are attempted with the new checkpoint
as the premise retriever (for generators that use premises); with ``evaluate`` the test
theorems of every repository learned so far are re-proved too, giving Pass@1 per
(checkpoint, repository) in ``evaluations`` and a row beside R@10 in the run report.
Those test theorems are the run's own (its ``train.data`` split, read from the run's
stored configuration): the ones its retriever was measured on and never trained on.
Without a Lean toolchain (or a source checkout) the stage is skipped and its info holds
the reason, in the words of the error: what to install. With ``workers`` > 1 (``leanagent
run --prove-workers N``) the theorems go to the same Ray actor pool as ``leanagent prove
--workers N`` (`leanagent.distributed.proving`), started after the toolchain check and
stopped when the stage ends; the driver still writes every result.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from database.errors import LeanAgentError
from database.home import Home
from database.store import Repository, Store
from prover.lean.interface import ToolchainMissing
from prover.proving import ProverConfig, RetrievalSpec

if TYPE_CHECKING:
    from leanagent.distributed.runtime import Runtime
    from prover.retrieval.config import DataConfig


def run_data(store: Store, run_id: int) -> DataConfig:
    """The data settings (queries and split) run ``run_id`` trains and is measured on,
    from its stored configuration (leanagent 0.1's split for runs stored before the
    setting existed)."""
    from database.errors import RunError
    from leanagent.lifelong import RunConfig

    run = store.runs.get_by_id(run_id)
    if run is None:
        raise RunError(f"no run with id {run_id}: the prove stage belongs to a stored run")
    return RunConfig.from_json(run.config).train.data


@dataclass(frozen=True)
class LifelongProving:
    """`leanagent.lifelong.ProveStage` over `prover.driver.prove_repository`."""

    config: ProverConfig
    home: Home
    evaluate: bool = False  # also Pass@1 on the test split of every repository so far
    workers: int = 1  # > 1: a Ray actor pool on `runtime` (see the module doc)
    gpus_per_worker: float = 0.0
    runtime: Runtime | None = None
    #: Environment variables for the workers (e.g. PATH to a Lean toolchain); None: the nodes' own.
    env: dict[str, str] | None = None

    def _config(self, checkpoint_id: int | None) -> ProverConfig:
        from prover.generator import GeneratorConfig

        gen = self.config.generator
        if isinstance(gen, GeneratorConfig) and gen.num_premises > 0:
            spec = self.config.retrieval or RetrievalSpec(home=str(self.home.root))
            return replace(self.config, retrieval=replace(spec, checkpoint_id=checkpoint_id))
        return self.config

    def __call__(self, store: Store, repo: Repository, *, checkpoint_id: int | None, run_id: int,
                 seen: list[Repository]) -> tuple[str, dict[str, Any]]:
        from leanagent.distributed.proving import open_executor
        from prover.driver import ProveRequest, check_toolchain, prove_repository, repository_root
        from prover.proving import Prover

        config = self._config(checkpoint_id)
        data = run_data(store, run_id) if self.evaluate else None
        base: dict[str, Any] = {"checkpoint_id": checkpoint_id, "backend": config.backend.name,
                                "sorry_theorems": len(store.theorems(repo, status="sorry"))}
        try:
            check_toolchain(config, repository_root(repo))
        except (ToolchainMissing, LeanAgentError) as exc:
            return "skipped", {**base, "reason": f"skipped: {exc}"}
        with contextlib.ExitStack() as stack:
            executor = stack.enter_context(open_executor(self.runtime, config, workers=self.workers,
                                                         gpus_per_worker=self.gpus_per_worker, env=self.env))
            prover = None if executor is not None else stack.enter_context(Prover(config))
            summary = prove_repository(store, repo, config=config, prover=prover, executor=executor,
                                       request=ProveRequest(run_id=run_id, checkpoint_id=checkpoint_id))
            base["generator"] = prover.generator.name if prover is not None else summary.generator
            if executor is not None:
                base["workers"] = len(executor.worker_pids())  # 0 when there was nothing to prove
            info = {**base, **summary.counts}
            if data is not None:
                info["evaluate"] = []
                info["scheme"] = data.scheme
                for r in seen:
                    try:
                        e = prove_repository(store, r, config=config, prover=prover, executor=executor,
                                             request=ProveRequest(purpose="evaluate", run_id=run_id, data=data,
                                                                  checkpoint_id=checkpoint_id))
                    except LeanAgentError as exc:
                        info["evaluate"].append({"repo_id": r.id, "pass_at_1": None, "attempted": 0,
                                                 "scheme": data.scheme, "reason": str(exc)})
                        continue
                    info["evaluate"].append({"repo_id": r.id, "pass_at_1": e.counts["pass_at_1"],
                                             "attempted": e.counts["attempted"], "scheme": data.scheme})
        return "done", info
