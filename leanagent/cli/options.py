"""Option groups shared by the commands, as decorators (sqlite-utils' ``output_options``
style), so that every command taking the same setting spells, documents and validates
it the same way.

The retriever's options are generated from its configuration dataclasses
(`prover.retrieval.config`): defaults and validation live there only. An option left
out is None here and the dataclass default applies; a value the dataclass rejects is a
usage error naming the flag (exit status 2). `config_options` collects the group's
values into one `ConfigOptions` argument instead of a dozen keyword arguments.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import click

from database.errors import ConfigError
from prover.retrieval.config import DataConfig, EvalConfig, TrainConfig

F = TypeVar("F", bound=Callable[..., Any])
C = TypeVar("C")


# -- repositories and output -------------------------------------------------------------


def split_refs(values: Iterable[str]) -> tuple[str, ...]:
    """``--repos a,b --repos c`` -> ``("a", "b", "c")``: commas and repetition both work."""
    return tuple(v.strip() for value in values for v in value.split(",") if v.strip())


def _split_callback(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> tuple[str, ...]:
    refs = split_refs(value)
    if value and not refs:
        # `--repos ,` or `--repos ""` names nothing; reading it as "all" would run on
        # every repository when the user meant some.
        raise click.BadParameter("names no repository (leave the option out to mean all)")
    return refs


def repos_option(what: str) -> Callable[[F], F]:
    """``--repos REPO[,REPO...]`` (repeatable), passed as ``repo_refs``: a tuple of
    references (name, ``owner/name``, URL, ``NAME@COMMIT`` or id); empty means all."""
    return click.option(
        "--repos", "repo_refs", multiple=True, metavar="REPO[,REPO...]", callback=_split_callback,
        help=f"Repositories {what} (name, URL, id or NAME@COMMIT; comma-separated or repeated) [default: all].",
    )


def json_option(what: str) -> Callable[[F], F]:
    return click.option("--json", "as_json", is_flag=True, help=f"Print {what} as JSON.")


# -- the retriever's configuration ---------------------------------------------------------


@dataclass(frozen=True)
class _Opt:
    flag: str  # "--lr"
    field: str  # the dataclass field it sets
    type: Any  # click type, or "flag" for --x/--no-x
    help: str
    owners: tuple[str, ...]  # "train" and/or "eval"


_ENCODER = (
    _Opt("--model", "model", str, "Base encoder: a Hugging Face name in the local cache or a model directory "
         "(the packaged all-MiniLM-L6-v2 by default).", ("train", "eval")),
    _Opt("--max-length", "max_length", int, "Token limit for queries and premises (training and indexing).",
         ("train", "eval")),
    _Opt("--device", "device", str, "cpu, cuda, cuda:N or auto.", ("train", "eval")),
    _Opt("--precision", "precision", click.Choice(["auto", "fp32", "bf16"]),
         "fp32, bf16 autocast, or auto: measured once per device (a matmul and an encoder pass, cached in the "
         "home) and bf16 only where it is faster and keeps cosine >= 0.999 to fp32.", ("train", "eval")),
)
_DATA = (
    _Opt("--queries", "data.queries", click.Choice(["steps", "statement"]),
         "Retrieval queries: one per proof step (goal state, or statement + proof text before the step) or "
         "one per theorem statement (leanagent 0.1).", ("train", "eval")),
    _Opt("--split-scheme", "data.split", click.Choice(["random", "novel_premises"]),
         "Per-repository split: random, or novel_premises (test theorems use a premise no training theorem "
         "uses).", ("train", "eval")),
    _Opt("--val-fraction", "data.val_fraction", float, "Share of a repository's queries held out for "
         "validation.", ("train", "eval")),
    _Opt("--test-fraction", "data.test_fraction", float, "Share of a repository's queries held out for test.",
         ("train", "eval")),
    _Opt("--min-test-queries", "data.min_test_queries", int, "Grow the test split to this many queries where "
         "the repository has enough (see --max-test-fraction).", ("train", "eval")),
    _Opt("--max-test-fraction", "data.max_test_fraction", float, "Upper bound on the test share when growing "
         "it to --min-test-queries.", ("train", "eval")),
    _Opt("--split-seed", "data.seed", int, "Seed of the per-repository split.", ("train", "eval")),
)
_TRAIN = (
    _Opt("--epochs", "epochs", int, "Epochs over the training data.", ("train",)),
    _Opt("--batch-size", "batch_size", int, "Training examples per micro-batch.", ("train",)),
    _Opt("--grad-accum", "grad_accum", int, "Micro-batches per optimiser step.", ("train",)),
    _Opt("--lr", "lr", float, "Peak learning rate (AdamW).", ("train",)),
    _Opt("--warmup-fraction", "warmup_fraction", float, "Linear warmup over this fraction of the steps, "
         "then cosine decay to 0.", ("train",)),
    _Opt("--weight-decay", "weight_decay", float, "AdamW weight decay.", ("train",)),
    _Opt("--grad-clip", "grad_clip", float, "Gradient norm clipping (0: off).", ("train",)),
    _Opt("--max-steps", "max_steps", int, "Stop after this many optimiser steps.", ("train",)),
    _Opt("--temperature", "temperature", float, "InfoNCE softmax temperature.", ("train",)),
    _Opt("--premise-tower", "premise_tower", click.Choice(["frozen", "shared"]),
         "frozen: premises embedded once by the starting encoder (its index reused), only the query encoder "
         "trains, against every accessible premise; shared: one encoder for both, trained against sampled "
         "negatives (LeanAgent).", ("train",)),
    _Opt("--num-negatives", "num_negatives", int, "Hard negatives per example (accessible premises; shared "
         "tower only).", ("train",)),
    _Opt("--num-in-file-negatives", "num_in_file_negatives", int,
         "Of the hard negatives, how many come from the positive premise's own file.", ("train",)),
    _Opt("--length-buckets", "length_buckets", "flag", "Batches of alike token lengths (less padding); "
         "--no-length-buckets: plain random batches.", ("train",)),
    _Opt("--train-layers", "train_layers", int, "Train only the top N transformer layers (the rest and the "
         "embeddings frozen) [all when unset].", ("train",)),
    _Opt("--seed", "seed", int, "Random seed.", ("train",)),
)
_EVAL = (
    _Opt("--encode-batch-size", "batch_size", int, "Texts per encoding batch (evaluation and indexing).",
         ("eval",)),
    _Opt("--num-retrieved", "num_retrieved", int, "Ranking depth for MRR.", ("eval",)),
    _Opt("--index-kind", "index_kind", click.Choice(["flat", "ivf", "hnsw"]),
         "FAISS index: exact inner product, inverted lists or HNSW.", ("eval",)),
    _Opt("--fusion-candidates", "fusion_candidates", int, "Dense candidates re-scored by the fused ranker.",
         ("eval",)),
)
GROUPS: dict[str, tuple[_Opt, ...]] = {"encoder": _ENCODER, "data": _DATA, "train": _TRAIN, "eval": _EVAL}


def _param(opt: _Opt) -> str:
    return "cfg_" + opt.flag.lstrip("-").replace("-", "_")


def _default(opt: _Opt) -> Any:
    cls: type[Any] = TrainConfig if "train" in opt.owners else EvalConfig
    name = opt.field
    if "." in name:  # a nested configuration's field, e.g. data.queries
        cls, name = DataConfig, name.split(".", 1)[1]
    return next(f.default for f in dataclasses.fields(cls) if f.name == name)


def _click_option(opt: _Opt) -> Callable[[F], F]:
    default = _default(opt)
    shown = "none" if default is None else ("on" if default is True else "off" if default is False else default)
    text = f"{opt.help} [default: {shown}]"
    if opt.type == "flag":
        name = opt.flag.lstrip("-")
        return click.option(f"{opt.flag}/--no-{name}", _param(opt), default=None, help=text)
    return click.option(opt.flag, _param(opt), type=opt.type, default=None, help=text)


@dataclass(frozen=True)
class ConfigOptions:
    """The retriever options given on the command line (None: not given)."""

    values: Mapping[str, tuple[_Opt, Any]]

    def given(self, flag: str) -> Any:
        """The value of ``flag`` (e.g. ``"--seed"``), or None when it was not given."""
        entry = self.values.get(flag)
        return None if entry is None else entry[1]

    def _build(self, cls: type[C], owner: str, fixed: dict[str, Any]) -> C:
        given = {o.field: v for o, v in self.values.values() if v is not None and owner in o.owners}
        kwargs = {k: v for k, v in given.items() if "." not in k}
        data = {k.split(".", 1)[1]: v for k, v in given.items() if k.startswith("data.")}
        try:
            if data:
                kwargs["data"] = DataConfig(**data)
            kwargs.update(fixed)
            return cls(**kwargs)
        except ConfigError as exc:
            raise click.UsageError(str(exc)) from exc

    def data(self) -> DataConfig:
        """A `DataConfig` from the data options given (the defaults of ``train`` / ``run``
        for the rest)."""
        given = {o.field.split(".", 1)[1]: v for o, v in self.values.values()
                 if v is not None and o.field.startswith("data.")}
        try:
            return DataConfig(**given)
        except ConfigError as exc:
            raise click.UsageError(str(exc)) from exc

    def train(self, **fixed: Any) -> TrainConfig:
        """A `TrainConfig` from the options given (``fixed`` values win)."""
        return self._build(TrainConfig, "train", fixed)

    def eval(self, **fixed: Any) -> EvalConfig:
        """An `EvalConfig` from the options given (``fixed`` values win)."""
        return self._build(EvalConfig, "eval", fixed)


def config_options(*groups: str) -> Callable[[F], F]:
    """Add the options of ``groups`` ("encoder", "data", "train", "eval") to a command and pass
    them to it as one ``options: ConfigOptions`` keyword argument."""
    opts = [o for g in groups for o in GROUPS[g]]

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            values = {o.flag: (o, kwargs.pop(_param(o))) for o in opts}
            return fn(*args, options=ConfigOptions(values), **kwargs)

        out: Any = wrapper
        for o in reversed(opts):
            out = _click_option(o)(out)
        return cast(F, out)

    return decorate
