"""The main job on the bundled examples (`leanagent demo`).

The five example Lean projects of a leanagent checkout (``examples/``: arith, logic,
lists, orders, algebra; see examples/README.md) go through the whole pipeline, in one
home, with the real components: each project is indexed (the static indexer), the
curriculum orders them, the lifelong loop (`run_lifelong` with `RetrieverLearner` and the
packaged all-MiniLM-L6-v2 encoder) learns them one after the other, measuring the
baselines (BM25, locality, the untrained encoder) and the accuracy matrix, the metrics
are computed, the prover runs where a Lean toolchain is present (and says what to
install where not), and the proof report is written.

The projects are staged into ``HOME/demo/examples`` first, with each one's
dependencies copied into its ``.lake/packages/<name>`` (where ``lake`` puts a git
dependency and where the indexer, like LeanDojo's tracer, looks for dependency
sources), so that nothing the demo runs (``lake build``, the prover, ``write-back``)
writes into the leanagent checkout, and the staged tree holds no symbolic link.
A copy keeps file modification times, so staging again gives the same tree fingerprint:
a rerun finds every project already indexed and continues the run where it stopped.

Training settings are chosen for a 2-core CPU: statements and premises of the
examples are short (median 39 tokens, 95% under 66), so 96 tokens truncate almost
nothing; a fixed number of optimiser steps per project bounds the run's time
(README "Two commands" gives the measured time).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from database.errors import AlreadyImported, DemoError, ExamplesNotFound, RunConfigMismatch
from database.home import Home
from database.store import Repository, Store

if TYPE_CHECKING:
    from leanagent.lifelong import RunConfig
    from leanagent.prove_stage import LifelongProving

__all__ = [
    "PROJECTS",
    "DemoConfig",
    "DemoError",
    "DemoResult",
    "ExamplesNotFound",
    "Verdict",
    "find_examples",
    "quiet_libraries",
    "run_demo",
    "stage_examples",
    "verdict",
]

#: The bundled example projects, in the order a reader meets them (the curriculum
#: chooses the order they are learned in).
PROJECTS = ("arith", "logic", "lists", "orders", "algebra")

#: Where a leanagent checkout keeps them, relative to its root.
EXAMPLES_DIR = "examples"


@dataclass(frozen=True, kw_only=True)
class DemoConfig:
    """What the demo does. The training fields are the retriever's (`TrainConfig`)."""

    projects: tuple[str, ...] = PROJECTS
    #: The examples directory [default: found next to the package, else ./examples].
    examples: Path | None = None
    max_length: int = 96
    batch_size: int = 32
    max_steps: int = 12  # optimiser steps per project
    lr: float = 5e-4
    num_negatives: int = 1
    num_in_file_negatives: int = 1
    seed: int = 3407
    #: Held-out fractions of each project's theorems that name premises: 20% test gives
    #: 20-30 test queries per project (10% gave 10-14, where one query moves R@10 by 7-10).
    val_fraction: float = 0.1
    test_fraction: float = 0.2
    prove: bool = True
    prove_timeout: float = 60.0  # seconds per theorem
    repl: str | None = None  # the Lean REPL binary (else the repl backend looks for one)
    #: The report directory [default: HOME/reports/demo].
    report_dir: Path | None = None
    encode_batch_size: int = 64

    def __post_init__(self) -> None:
        from database.errors import ConfigError

        if not self.projects:
            raise ConfigError("--projects names no project: give some of " + ", ".join(PROJECTS))
        unknown = [p for p in self.projects if p not in PROJECTS]
        if unknown:
            raise ConfigError(f"unknown example project(s) {', '.join(unknown)} (--projects): choose among "
                              + ", ".join(PROJECTS))
        if len(set(self.projects)) != len(self.projects):
            raise ConfigError("--projects names a project twice")
        if self.max_steps < 1:
            raise ConfigError(f"--max-steps must be >= 1, got {self.max_steps}")
        if self.prove_timeout <= 0:
            raise ConfigError(f"--prove-timeout must be > 0 seconds, got {self.prove_timeout}")

    def run_config(self) -> RunConfig:
        """The lifelong run: LeanAgent's progressive strategy and easy-count curriculum, the
        packaged encoder in fp32 (bf16 autocast is 100x slower than fp32 on CPUs without
        bf16 units, and a demo must not depend on the machine: docs/method.md)."""
        from leanagent.lifelong import RunConfig
        from prover.retrieval.config import DataConfig, EvalConfig, TrainConfig

        # The run's CPU-sized shape (README "CPU and GPU defaults"): one query per proof
        # step, the frozen premise tower (premises encoded once per checkpoint lineage, not
        # per step), length-bucketed batches, and the fused ranking in the matrix with its
        # weights tuned on validation queries only (a cell with too few of them holds the
        # dense number and says so). Held-out sizes are fractions: the projects are far
        # smaller than the 150 test queries a real repository's default asks for.
        data = DataConfig(queries="steps", split="random", val_fraction=self.val_fraction,
                          test_fraction=self.test_fraction, min_test_queries=0, max_test_fraction=self.test_fraction)
        train = TrainConfig(data=data, max_length=self.max_length, batch_size=self.batch_size, max_steps=self.max_steps,
                            lr=self.lr, num_negatives=self.num_negatives,
                            num_in_file_negatives=min(self.num_in_file_negatives, self.num_negatives),
                            seed=self.seed, precision="fp32", device="auto", premise_tower="frozen",
                            length_buckets=True)
        evaluate = EvalConfig(data=data, max_length=self.max_length, precision="fp32", device="auto",
                              batch_size=self.encode_batch_size)
        return RunConfig(strategy="progressive", order="easy-count", seed=self.seed, matrix="fused", train=train,
                         eval=evaluate)

    def run_name(self) -> str:
        """``demo`` with the default settings; other settings get a run of their own (so
        that both can live, and resume, in one home)."""
        if _key(self) == _key(DemoConfig()):
            return "demo"
        ident = json.dumps({"projects": self.projects, **self.run_config().as_json()}, sort_keys=True)
        return "demo-" + hashlib.sha256(ident.encode()).hexdigest()[:8]


def _key(c: DemoConfig) -> tuple[Any, ...]:
    return (c.projects, c.max_length, c.batch_size, c.max_steps, c.lr, c.num_negatives, c.num_in_file_negatives,
            c.seed, c.val_fraction, c.test_fraction)


# -- finding and staging the examples ---------------------------------------------------------


def _candidates(explicit: Path | None) -> list[Path]:
    if explicit is not None:
        return [Path(explicit).expanduser()]
    # An editable install (scripts/install.sh) runs from the checkout: examples/ is beside
    # the package. A wheel does not ship them; then a checkout's root is the working directory.
    beside = Path(__file__).resolve().parents[1] / EXAMPLES_DIR
    here = Path.cwd() / EXAMPLES_DIR
    return [beside] if beside.resolve() == here.resolve() else [beside, here]


def find_examples(explicit: Path | None = None, projects: Sequence[str] = PROJECTS) -> Path:
    """The directory holding the example projects; `ExamplesNotFound` says where it looked."""
    looked = _candidates(explicit)
    for root in looked:
        if all((root / p / "lakefile.lean").is_file() for p in projects):
            return root
    where = ", ".join(str(p) for p in looked)
    if explicit is not None:
        missing = [p for p in projects if not (looked[0] / p / "lakefile.lean").is_file()]
        raise ExamplesNotFound(f"{looked[0]} does not hold the example project(s) {', '.join(missing)} "
                               "(each a directory with a lakefile.lean): pass the examples/ directory of a "
                               "leanagent checkout with --examples")
    raise ExamplesNotFound(
        f"the bundled example projects are not here (looked in {where}): they live in the examples/ directory "
        "of a leanagent checkout and are not part of an installed wheel. Run `leanagent demo` from the root "
        "of a checkout (git clone the leanagent repository), or pass --examples PATH/TO/examples")


def _requires(project_dir: Path) -> list[str]:
    """The example projects a project requires, from its Lake manifest (path dependencies)."""
    manifest = project_dir / "lake-manifest.json"
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DemoError(f"{manifest}: cannot read the example's Lake manifest ({exc}): restore the file from "
                        "the leanagent checkout") from exc
    return [str(p["name"]) for p in data.get("packages", []) if p.get("type") == "path"]


def _copy_project(src: Path, dst: Path) -> None:
    # copy2 keeps modification times, so the copy's fingerprint (the "commit" of a
    # directory that is not a git checkout) is the same every time it is staged.
    shutil.copytree(src, dst, symlinks=True, copy_function=shutil.copy2,
                    ignore=shutil.ignore_patterns(".lake", ".git"))


def stage_examples(examples: Path, dest: Path, projects: Sequence[str]) -> dict[str, Path]:
    """Copy each project to ``dest/<project>`` with its required projects in
    ``.lake/packages/<name>``, as Lake lays out dependencies it fetched. Replaces an
    earlier staging (same content, same fingerprint)."""
    dest.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    for name in projects:
        src = examples / name
        requires = _requires(src)
        for dep in requires:
            if not (examples / dep / "lakefile.lean").is_file():
                raise ExamplesNotFound(f"{src} requires {dep}, which is not in {examples}: restore the "
                                       "examples/ directory from the leanagent checkout")
        tmp = dest / f".{name}.staging"
        shutil.rmtree(tmp, ignore_errors=True)
        _copy_project(src, tmp)
        for dep in requires:
            _copy_project(examples / dep, tmp / ".lake" / "packages" / dep)
        target = dest / name
        shutil.rmtree(target, ignore_errors=True)
        tmp.rename(target)
        out[name] = target
    return out


# -- quiet third-party output ------------------------------------------------------------------


#: Environment for the libraries under the demo: no progress bars of their own, no
#: advisory warnings, no tokenizers fork warning, no hub access.
QUIET_ENV = {
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "TRANSFORMERS_VERBOSITY": "error",
    "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "HF_HUB_DISABLE_TELEMETRY": "1",
}


@contextlib.contextmanager
def quiet_libraries() -> Iterator[None]:
    """Silence transformers', huggingface_hub's, tokenizers' and safetensors' own bars,
    logs and warnings while the block runs (leanagent's own display stays), and put
    everything back afterwards: nothing changes at import time or outside the block."""
    saved_env = {k: os.environ.get(k) for k in QUIET_ENV}
    os.environ.update(QUIET_ENV)
    restore: list[Callable[[], None]] = []
    loggers = [logging.getLogger(n) for n in ("transformers", "huggingface_hub", "safetensors", "tokenizers",
                                               "filelock", "urllib3")]
    levels = [lg.level for lg in loggers]
    try:
        for lg in loggers:
            lg.setLevel(logging.ERROR)
        with contextlib.suppress(ImportError):
            from transformers.utils import logging as hf_logging

            verbosity = hf_logging.get_verbosity()
            bars = hf_logging.is_progress_bar_enabled()
            hf_logging.set_verbosity_error()
            hf_logging.disable_progress_bar()
            restore.append(lambda: hf_logging.set_verbosity(verbosity))
            if bars:
                restore.append(hf_logging.enable_progress_bar)
        with contextlib.suppress(ImportError):
            from huggingface_hub import utils as hub_utils

            if not hub_utils.are_progress_bars_disabled():
                hub_utils.disable_progress_bars()
                restore.append(hub_utils.enable_progress_bars)
        with warnings.catch_warnings():
            for module in ("transformers", "huggingface_hub", "tokenizers", "safetensors", "torch"):
                warnings.filterwarnings("ignore", module=module + r"(\.|$)")
            yield
    finally:
        for undo in reversed(restore):
            with contextlib.suppress(Exception):
                undo()
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)
        for k, v in saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


# -- the verdict -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """The trained retriever against the baselines, per project: its test R@10 after the
    last step (``final``) and the best baseline's on the same test split."""

    projects: list[str]
    final: list[float | None]
    best_baseline: list[float | None]
    best_method: list[str | None]
    wins: int
    mean_final: float | None
    mean_best_baseline: float | None
    beats: bool  # higher on average, and on at least half of the projects

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _mean(xs: Sequence[float | None]) -> float | None:
    vals = [x for x in xs if x is not None]
    return sum(vals) / len(vals) if vals else None


def verdict(report: dict[str, Any]) -> Verdict:
    """Compare the last row of the accuracy matrix with the best baseline per project."""
    order: list[str] = list(report["order"])
    final: list[float | None] = list(report["R"][-1]) if report["R"] else []
    best: list[float | None] = []
    method: list[str | None] = []
    for j in range(len(order)):
        scored = [(vals[j], m) for m, vals in report["baselines"].items() if j < len(vals) and vals[j] is not None]
        top = max(scored, default=(None, None))
        best.append(top[0])
        method.append(top[1])
    wins = sum(1 for f, b in zip(final, best, strict=False) if f is not None and b is not None and f > b)
    mean_final, mean_best = _mean(final), _mean(best[: len(final)])
    beats = (mean_final is not None and mean_best is not None and mean_final > mean_best
             and wins * 2 >= len(final))
    return Verdict(order, final, best, method, wins, mean_final, mean_best, beats)


# -- the demo ----------------------------------------------------------------------------------


@dataclass
class DemoResult:
    run_name: str
    home: Path
    examples: Path
    indexed: list[dict[str, Any]]  # per project: name, status (added | already indexed), counts
    resumed: bool  # the run existed already (continued, or finished before)
    prover: str  # what the prove stage did, or why it was skipped
    report: dict[str, Any]  # `leanagent.lifelong.run_report`
    verdict: Verdict
    report_index: Path
    seconds: float
    stage_seconds: dict[str, float] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"run": self.run_name, "home": str(self.home), "examples": str(self.examples),
                "indexed": self.indexed, "resumed": self.resumed, "prover": self.prover,
                "order": self.report["order"], "R": self.report["R"], "V": self.report["V"],
                "baselines": self.report["baselines"], "metrics": self.report["metrics"],
                "verdict": self.verdict.as_json(), "report": str(self.report_index),
                "seconds": round(self.seconds, 1),
                "stage_seconds": {k: round(v, 1) for k, v in self.stage_seconds.items()}}


def _index(store: Store, home: Home, staged: dict[str, Path], say: Callable[[str], None]) -> list[dict[str, Any]]:
    from leanagent.tracing import AddRequest, add_source

    out: list[dict[str, Any]] = []
    for name, path in staged.items():
        try:
            summaries = add_source(store, AddRequest(source=str(path), tracer="static", name=name), home)
        except AlreadyImported:
            out.append({"name": name, "status": "already indexed"})
            say(f"  {name}: already indexed")
            continue
        s = summaries[0]
        out.append({"name": name, "status": "added", "theorems": s.theorems, "sorry": s.theorems_with_sorry,
                    "premises": s.premises, "links": s.links_resolved})
        say(f"  {name}: {s.theorems} theorems ({s.theorems_with_sorry} with sorry), {s.premises} premises, "
            f"{s.links_resolved} premise links")
    return out


def _prover(config: DemoConfig, home: Home, project: Path) -> tuple[LifelongProving | None, str]:
    """The prove stage, and a line saying what it will do (or why it cannot run here)."""
    if not config.prove:
        return None, "skipped: --no-prove"
    from database.errors import LeanAgentError
    from leanagent.prove_stage import LifelongProving
    from prover.driver import check_toolchain
    from prover.generator import AutomationConfig
    from prover.proving import BackendSpec, ProverConfig
    from prover.search import SearchConfig

    options = {"repl_path": config.repl} if config.repl else {}
    prover = ProverConfig(generator=AutomationConfig(), backend=BackendSpec(name="repl", options=options),
                          search=SearchConfig(timeout=config.prove_timeout))
    try:
        check_toolchain(prover, project)
    except LeanAgentError as exc:
        return None, f"skipped: no Lean toolchain here, so no proof can be checked: {exc}"
    return LifelongProving(prover, home), "automation tactics through the Lean REPL, checked by Lean"


_STAGE_WORDS = {
    "data": "split into train / validation / test",
    "baseline": "baselines (BM25, locality, untrained encoder) and the previous checkpoint",
    "train": "training the retriever",
    "fisher": "Fisher information",
    "index": "indexing every premise with the new checkpoint",
    "evaluate": "evaluating on every project so far",
    "prove": "prove stage (its sorry theorems)",
}


def run_demo(home: Home, config: DemoConfig | None = None, *,
             say: Callable[[str], None] = print) -> DemoResult:
    """Run (or continue) the demo in ``home``; ``say`` receives the progress lines."""
    from leanagent.lifelong import RetrieverLearner, run_report
    from leanagent.report import write_report

    config = config or DemoConfig()
    started = time.perf_counter()
    times: dict[str, float] = {}
    examples = find_examples(config.examples, config.projects)
    home.ensure()
    name = config.run_name()
    with quiet_libraries(), Store(home.db_path, notify=say) as store:
        t = time.perf_counter()
        say(f"indexing {len(config.projects)} example project(s) from {examples} (static indexer, no Lean needed)")
        staged = stage_examples(examples, home.root / "demo" / "examples", config.projects)
        indexed = _index(store, home, staged, say)
        times["index"] = time.perf_counter() - t
        repos = [_repo(store, staged[p]) for p in config.projects]
        prove, prover_line = _prover(config, home, staged[config.projects[0]])
        say(f"prover: {prover_line}")
        existing = next((r for r in store.runs.all() if r.name == name), None)
        resumed = existing is not None
        if existing is not None:
            say(f"run '{name}' exists in {home.root} ({store.runs.shown_status(existing)}): continuing it "
                "(every finished stage is kept; for a fresh demo, pass --home NEW_DIRECTORY)")
        run_config = config.run_config()
        learner = RetrieverLearner.create(store, home, run_config, progress=True)
        t = time.perf_counter()
        total = len(repos)

        def on_event(message: str) -> None:
            say(_event_line(message, total))

        say(f"learning {total} project(s) one after the other (run '{name}', progressive, easy-count "
            f"curriculum, {config.max_steps} steps of {config.batch_size} per project, fp32)")
        try:
            from leanagent.lifelong import run_lifelong

            run_lifelong(store, learner, run_config, repos=repos, name=name, on_event=on_event, prove=prove)
        except RunConfigMismatch as exc:
            raise DemoError(f"{exc}; this home holds a demo run made by another leanagent version: pass "
                            "--home NEW_DIRECTORY for a fresh demo") from exc
        times["learn"] = time.perf_counter() - t
        report = run_report(store, name)
        if prove is not None:  # else the line says why it could not run
            prover_line = _prove_summary(report, prover_line)
        t = time.perf_counter()
        out = config.report_dir or home.reports / "demo"
        summary = write_report(store, out, run=name)
        times["report"] = time.perf_counter() - t
    return DemoResult(run_name=name, home=home.root, examples=examples, indexed=indexed, resumed=resumed,
                      prover=prover_line, report=report, verdict=verdict(report), report_index=summary.index,
                      seconds=time.perf_counter() - started, stage_seconds=times)


def _repo(store: Store, path: Path) -> Repository:
    """The repository stored for a staged project (the newest one added from that path)."""
    resolved = str(path.resolve())
    hits = [r for r in store.repositories() if r.path and str(Path(r.path).resolve()) == resolved]
    if not hits:
        raise DemoError(f"the example project staged at {path} is not in the database after indexing it")
    return max(hits, key=lambda r: r.id)


def _event_line(message: str, total: int) -> str:
    # The loop's events are "[k] repo: stage" or "[k] repo: <reason>"; say what a stage does.
    head, sep, rest = message.partition(": ")
    if sep and head.startswith("[") and "]" in head:
        pos, _, repo = head[1:].partition("] ")
        words = _STAGE_WORDS.get(rest)
        if words is not None:
            return f"[{pos}/{total}] {repo}: {words}"
        return f"[{pos}/{total}] {repo}: {rest}"
    return message


def _prove_summary(report: dict[str, Any], fallback: str) -> str:
    lines = [line for line in report.get("prove", []) if line]
    if not lines:
        return fallback
    distinct = sorted(set(lines))
    if len(distinct) == 1:
        return distinct[0]
    return "; ".join(f"{repo}: {line}" for repo, line in zip(report["order"], report["prove"], strict=False))
