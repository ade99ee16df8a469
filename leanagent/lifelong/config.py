"""What a lifelong run is: `RunConfig`, composed of the curriculum's, the trainer's and
the evaluator's own configurations (never copies of their fields).

A run's configuration is its identity: `RunConfig.as_json` is stored with the run and a
run of the same name is continued only with an equal one. Fields that do not change
results (the device, progress bars) are not part of it (see
`prover.retrieval.config.identity`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from curriculum import ORDERS, CurriculumConfig
from database.errors import ConfigError, RunError
from prover.retrieval.config import LEGACY_DATA, DataConfig, EvalConfig, TrainConfig

STRATEGIES = ("progressive", "naive", "merge", "scratch")
DATA_MODES = ("single", "replay", "merge")
#: Which ranking fills the accuracy matrix R and V: the dense encoder alone (leanagent
#: 0.1, LeanAgent), or dense fused with BM25 and locality, weights tuned on validation.
MATRIX_METHODS = ("fused", "dense")


class Strategy(NamedTuple):
    from_previous: bool  # start each step from the previous step's checkpoint
    carry_optimizer: bool  # resume the previous step's optimizer state
    default_data: str  # data mode when --data is not given


STRATEGY: dict[str, Strategy] = {
    "progressive": Strategy(True, True, "single"),  # LeanAgent
    "naive": Strategy(True, False, "single"),  # plain fine-tuning on the new repository
    "merge": Strategy(True, True, "merge"),  # LeanAgent's merge-all experiments
    "scratch": Strategy(False, False, "merge"),  # retrain from the base model on everything so far
}


@dataclass(frozen=True, kw_only=True)
class RunConfig:
    strategy: str = "progressive"
    order: str = "easy-count"
    #: None: the strategy's default (single for progressive/naive, merge otherwise).
    data: str | None = None
    #: Earlier repositories sampled into each step's data in ``replay`` mode.
    replay: int = 0
    #: Rehearsal: training examples drawn from earlier repositories not in the step's
    #: data, per example of the step's own (`prover.retrieval.train.Rehearsal`); 0: off
    #: (LeanAgent). A bounded sample against forgetting, at a bounded cost: on three real
    #: repositories (README, "Retrieval quality") 0.5 turned the last step's forgetting of
    #: the second repository (73.7 -> 53.8 R@10) into 70.4 -> 71.1, for about a third
    #: more training time.
    rehearsal: float = 0.5
    #: EWC between steps: the loop computes each step's Fisher and trains the next step
    #: with ``ewc_lambda`` times the penalty (``train.ewc_lambda`` stays 0).
    ewc: bool = False
    ewc_lambda: float = 0.1
    #: Seed of the replay sample (the curriculum and the trainer have their own).
    seed: int = 3407
    #: The ranking in the accuracy matrix (`MATRIX_METHODS`).
    matrix: str = "fused"
    curriculum: CurriculumConfig = field(default_factory=CurriculumConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    #: Evaluation, indexing and the untrained baseline (whose model is ``train.model``).
    eval: EvalConfig = field(default_factory=EvalConfig)

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise ConfigError(f"unknown strategy {self.strategy!r}: choose one of {', '.join(STRATEGIES)}")
        if self.order not in ORDERS:
            raise ConfigError(f"unknown order {self.order!r}: choose one of {', '.join(ORDERS)}")
        if self.data is not None and self.data not in DATA_MODES:
            raise ConfigError(f"unknown data mode {self.data!r}: choose one of {', '.join(DATA_MODES)}")
        if self.matrix not in MATRIX_METHODS:
            raise ConfigError(f"unknown matrix method {self.matrix!r}: choose one of {', '.join(MATRIX_METHODS)}")
        if not 0 <= self.rehearsal <= 10:
            raise ConfigError(f"--rehearsal must be in [0, 10] (earlier-repository examples per example of the "
                              f"step's own), got {self.rehearsal}")
        if self.replay < 0:
            raise ConfigError(f"--replay must be >= 0, got {self.replay}")
        if self.replay and self.data_mode != "replay":
            raise ConfigError(f"--replay {self.replay} needs --data replay (the data mode is {self.data_mode})")
        if self.ewc_lambda < 0:
            raise ConfigError(f"--ewc-lambda must be >= 0, got {self.ewc_lambda}")
        if self.train.ewc_lambda or self.train.fisher_path is not None:
            raise ConfigError("a run sets EWC with RunConfig.ewc / ewc_lambda (--ewc, --ewc-lambda): the loop "
                              "supplies each step's Fisher; leave train.ewc_lambda and train.fisher_path unset")
        if (self.eval.model, self.eval.max_length) != (self.train.model, self.train.max_length):
            raise ConfigError(
                f"eval.model/max_length ({self.eval.model}, {self.eval.max_length}) must equal train.model/"
                f"max_length ({self.train.model}, {self.train.max_length}): the untrained baseline is the "
                "encoder training starts from"
            )
        if self.eval.data != self.train.data:
            raise ConfigError("eval.data must equal train.data (queries and split): a run is measured on the "
                              "split it trains on")

    @property
    def data_mode(self) -> str:
        if self.data is not None:
            return self.data
        return "replay" if self.replay else STRATEGY[self.strategy].default_data

    @property
    def epochs(self) -> int:
        return self.train.epochs

    def default_name(self) -> str:
        parts = [self.strategy, self.order, self.data_mode]
        if self.data_mode == "replay":
            parts.append(str(self.replay))
        if self.rehearsal and self.data_mode != "merge":  # merge already trains on every earlier one
            parts.append(f"rehearse{self.rehearsal:g}")
        if self.ewc:
            parts.append("ewc")
        if self.train.data.split != "random":
            parts.append(self.train.data.split.replace("_", "-"))
        if self.train.epochs != 1:
            parts.append(f"e{self.train.epochs}")
        return "-".join(parts)

    def as_json(self) -> dict[str, Any]:
        """The run's identity, JSON-ready (tuples as lists, as stored)."""
        return {
            "strategy": self.strategy,
            "order": self.order,
            "data": self.data_mode,
            "replay": self.replay,
            "rehearsal": self.rehearsal,
            "ewc": self.ewc,
            "ewc_lambda": self.ewc_lambda,
            "seed": self.seed,
            "matrix": self.matrix,
            "curriculum": {**dataclasses.asdict(self.curriculum),
                           "percentiles": list(self.curriculum.percentiles)},
            "train": _lists(self.train.identity()),
            "eval": _lists(self.eval.identity()),
        }

    @classmethod
    def from_json(cls, stored: dict[str, Any]) -> RunConfig:
        """The configuration a run was stored with (`as_json`'s output, or the flat layout
        of leanagent 0.1, where four retriever options sat beside the loop's)."""
        d = dict(stored)
        if "train" not in d:
            d = _from_flat(d)
        d.setdefault("matrix", "dense")  # runs stored before the choice existed used dense
        d.setdefault("rehearsal", 0.0)  # ... and no rehearsal
        try:
            curriculum = dict(d.pop("curriculum", {}))
            if "percentiles" in curriculum:
                curriculum["percentiles"] = tuple(curriculum["percentiles"])
            return cls(
                curriculum=CurriculumConfig(**curriculum),
                train=_build(TrainConfig, d.pop("train")),
                eval=_build(EvalConfig, d.pop("eval", {})),
                **d,
            )
        except TypeError as exc:
            raise RunError(
                f"a stored run configuration has fields this leanagent does not know ({exc}): it was written by "
                "a newer leanagent; upgrade it (pip install -U leanagent)"
            ) from exc


def _lists(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _lists(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_lists(v) for v in value]
    return value


#: What leanagent 0.1 ran with where a stored configuration predates the option (its
#: defaults then; today's CPU-sized defaults differ, and a stored run keeps its own).
_OLD_TRAIN = {"max_length": 256, "batch_size": 8, "premise_tower": "shared", "length_buckets": False, "epochs": 1}
_OLD_EVAL = {"max_length": 256}


def _build(cls: type[Any], values: dict[str, Any]) -> Any:
    values = dict(values)
    if "data" not in values:  # stored before the data configuration existed
        for key, old in (_OLD_TRAIN if cls is TrainConfig else _OLD_EVAL).items():
            values.setdefault(key, old)
    if "bf16" in values:  # leanagent 0.1 stored a bf16 switch where a precision is now
        values["precision"] = "bf16" if values.pop("bf16") else "fp32"
    if "splits" in values:  # ... and a SplitConfig where the data configuration is now
        old = {**dataclasses.asdict(LEGACY_DATA.split_config()), **(values.pop("splits") or {})}
        values["data"] = dataclasses.replace(LEGACY_DATA, **old, max_test_fraction=old["test_fraction"])
    elif isinstance(values.get("data"), dict):
        values["data"] = DataConfig(**values["data"])
    elif "data" not in values:
        values["data"] = LEGACY_DATA
    return cls(**values)


def _from_flat(d: dict[str, Any]) -> dict[str, Any]:
    train: dict[str, Any] = {"seed": d.get("seed", 3407)}
    train["epochs"] = d.pop("epochs", 1)  # leanagent 0.1's default
    for key in ("model", "max_steps", "batch_size", "max_length"):
        value = d.pop(key, None)
        if value is not None:
            train[key] = value
    # leanagent 0.1 ran in bf16 autocast everywhere, on its old split
    train.update(bf16=True, splits={})
    d["train"] = train
    d["eval"] = {**{k: train[k] for k in ("model", "max_length") if k in train}, "bf16": True, "splits": {}}
    return d


def config_diff(a: dict[str, Any], b: dict[str, Any], prefix: str = "") -> list[str]:
    """Dotted names of the fields where two `RunConfig.as_json` values differ."""
    out: list[str] = []
    for key in sorted(set(a) | set(b)):
        x, y = a.get(key), b.get(key)
        if isinstance(x, dict) and isinstance(y, dict):
            out.extend(config_diff(x, y, f"{prefix}{key}."))
        elif x != y:
            out.append(prefix + key)
    return out
