"""What each page shows, read from the database and shaped for the templates.

`ReportData` reads lazily and caches per instance: the static report builds one for the
whole site, the live dashboard one per request (so every request sees the database as
it is). All numbers come from the database -- nothing from checkpoint files.

Tables that can be long (theorems, attempts, steps) are `table` specs: columns plus
rows as lists, rendered, searched, sorted and paged in the browser by ``app.js``.
Links are built here from integer ids only, never from stored strings.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from curriculum import BUCKETS, classify, percentile_thresholds
from database import report_reads as reads
from database.errors import LeanAgentError
from database.store import Repository, Store, status_label

from . import figures
from .metric_docs import metric_docs

#: Stages in the order the lifelong loop runs them (`leanagent.lifelong.stages_for`).
STAGE_ORDER = ("plan", "data", "baseline", "train", "fisher", "index", "evaluate", "prove")
BUCKET_ORDER = ("easy", "medium", "hard", "undefined", "sorry", "unknown")
ATTEMPT_STATUSES = ("proved", "failed", "error")

T = TypeVar("T")


def repo_href(repo_id: int, anchor: int | None = None) -> str:
    return f"repo-{int(repo_id)}.html" + (f"#t-{int(anchor)}" if anchor is not None else "")


def run_href(run_id: int, focus_id: int | None) -> str:
    return "lifelong.html" if run_id == focus_id else f"run-{int(run_id)}.html"


def col(key: str, label: str, kind: str = "text", **extra: Any) -> dict[str, Any]:
    """A column of a browser table. ``kind``: text, num, code, link ([text, href]),
    badge (a short status word), json."""
    return {"key": key, "label": label, "type": kind, **extra}


def table(table_id: str, columns: list[dict[str, Any]], rows: list[list[Any]], *, empty: str,
          page_size: int = 50, anchor: str | None = None, sort: tuple[str, str] | None = None) -> dict[str, Any]:
    """A browser table spec. ``anchor``: key of an integer column that names rows
    (``#t-<id>`` in the address scrolls to that row)."""
    return {"id": table_id, "columns": columns, "rows": rows, "empty": empty, "page_size": page_size,
            "anchor": anchor, "sort": list(sort) if sort else None}


def _mean(xs: list[float | None]) -> float | None:
    vals = [x for x in xs if x is not None]
    return sum(vals) / len(vals) if vals else None


def _rate(n: int, d: int) -> float | None:
    return 100.0 * n / d if d else None


@dataclass
class ReportData:
    store: Store
    #: The run the overview and the "Lifelong" link follow; None: the most recent.
    run_name: str | None = None
    window: int = 5
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def _cached(self, key: str, make: Callable[[], T]) -> T:
        if key not in self._cache:
            self._cache[key] = make()
        return cast(T, self._cache[key])

    # -- shared reads ------------------------------------------------------------------

    def repositories(self) -> list[Repository]:
        return self._cached("repos", self.store.repositories)

    def repo(self, repo_id: int) -> Repository | None:
        return next((r for r in self.repositories() if r.id == repo_id), None)

    def label(self, repo_id: int | None) -> str:
        """A repository's display name, with its commit when two share a name."""
        if repo_id is None:
            return "(dependency)"
        repo = self.repo(repo_id)
        if repo is None:
            return f"repository {repo_id}"
        same = [r for r in self.repositories() if r.name == repo.name]
        return f"{repo.name}@{repo.commit[:7]}" if len(same) > 1 else repo.name

    def runs(self) -> list[dict[str, Any]]:
        return self._cached("runs", lambda: reads.runs(self.store))

    def focus_run(self) -> dict[str, Any] | None:
        """The named run (a missing name raises `RunError`), else the most recently updated."""
        def pick() -> dict[str, Any] | None:
            from leanagent.lifelong import find_run

            runs = self.runs()
            if not runs and self.run_name is None:
                return None
            run_id = find_run(self.store, self.run_name).id
            return next(r for r in runs if r["id"] == run_id)

        return self._cached("focus", pick)

    def focus_id(self) -> int | None:
        run = self.focus_run()
        return run["id"] if run else None

    def stages(self, run_id: int) -> list[dict[str, Any]]:
        return self._cached(f"stages-{run_id}", lambda: reads.run_stages(self.store, run_id))

    def counts(self) -> dict[int, dict[str, int]]:
        return self._cached("counts", lambda: reads.counts_by_repo(self.store))

    def theorems(self, repo: Repository) -> list[dict[str, Any]]:
        return self._cached(f"theorems-{repo.id}", lambda: self.store.theorems(repo))

    def buckets(self, repo: Repository) -> dict[int, str]:
        """theorem id -> difficulty bucket over the repository's own theorems
        (`curriculum.theorem_buckets`, computed from the rows already read)."""
        def make() -> dict[int, str]:
            rows = self.theorems(repo)
            steps = [int(t["num_steps"] or 0) for t in rows
                     if t["status"] != "sorry" and int(t["num_steps"] or 0) > 0]
            thresholds = percentile_thresholds(steps, (33.0, 67.0))
            return {t["id"]: classify(int(t["num_steps"] or 0), t["status"], thresholds) for t in rows}

        return self._cached(f"buckets-{repo.id}", make)

    def attempts(self) -> list[dict[str, Any]]:
        return self._cached("attempts", lambda: reads.proof_attempts(self.store))

    def schema_note(self) -> str | None:
        if reads.has_table(self.store, "proof_attempts") and reads.has_table(self.store, "training_steps"):
            return None
        return ("this database predates proof attempts and training curves (schema version "
                f"{self.store.schema_version()}); any leanagent command that writes migrates it")

    # -- navigation ----------------------------------------------------------------------

    def nav(self) -> dict[str, Any]:
        return {"repos": [{"label": self.label(r.id), "href": repo_href(r.id)} for r in self.repositories()],
                "focus_run": (self.focus_run() or {}).get("name")}

    def page_paths(self) -> list[str]:
        paths = ["index.html", "lifelong.html", "training.html", "search.html"]
        focus = self.focus_id()
        paths += [run_href(r["id"], focus) for r in self.runs() if r["id"] != focus]
        paths += [repo_href(r.id) for r in self.repositories()]
        return paths

    # -- overview ---------------------------------------------------------------------------

    def curriculum(self) -> list[dict[str, Any]]:
        """Repositories in the focus run's order (then those it has not planned), with the
        run's status and the ordering's reason for each."""
        run = self.focus_run()
        by_repo: dict[int, dict[str, Any]] = {}
        if run is not None:
            rows = self.stages(run["id"])
            positions: dict[int, list[dict[str, Any]]] = defaultdict(list)
            for s in rows:
                positions[s["position"]].append(s)
            for pos in sorted(positions):
                stages = {s["stage"]: s for s in positions[pos]}
                plan = stages.get("plan")
                if plan is None:
                    continue
                by_repo.setdefault(plan["repo_id"], {"position": pos + 1, "reason": plan["info"].get("reason"),
                                                      "status": self._position_status(stages, run)})
        out = []
        for repo in sorted(self.repositories(), key=lambda r: (by_repo.get(r.id, {}).get("position", 10**9), r.id)):
            placed = by_repo.get(repo.id)
            c = self.counts().get(repo.id, {})
            out.append({
                "repo": repo, "label": self.label(repo.id), "position": placed["position"] if placed else None,
                "status": placed["status"] if placed else ("not planned" if run else "no run yet"),
                "reason": placed["reason"] if placed else None, **c,
            })
        return out

    @staticmethod
    def _position_status(stages: dict[str, dict[str, Any]], run: dict[str, Any]) -> str:
        pending = [s for s in STAGE_ORDER if s in stages and stages[s]["status"] not in ("done", "skipped")]
        if pending:
            return f"{pending[0]}: {stages[pending[0]]['status']}"
        last = next((s for s in reversed(STAGE_ORDER) if s in stages), "plan")
        if last == "prove" or (last == "evaluate" and run["status"] == "done"):
            return "learned"
        return f"{last} done"

    def overview(self) -> dict[str, Any]:
        curriculum = self.curriculum()
        totals: Counter[str] = Counter()
        for per_repo in self.counts().values():
            totals.update(per_repo)
        # Dependency files are shared between repositories: count each dependency theorem once.
        dep_theorems = reads.dependency_theorem_count(self.store)
        focus = self.focus_id()
        repo_rows = [[
            c["position"], [c["label"], repo_href(c["repo"].id)], c["status"], c["reason"],
            c.get("own_theorems", 0), c.get("dep_theorems", 0), c.get("own_sorry_theorems", 0),
            c.get("dep_sorry_theorems", 0), c.get("own_sorry_declarations", 0), c.get("own_proved_theorems", 0),
            c.get("dep_proved_theorems", 0), c.get("own_attempts", 0), c.get("diagnostics", 0),
            c["repo"].tracer, c["repo"].commit[:12],
        ] for c in curriculum]
        repos_table = table("repositories", [
            col("position", "#", "num"), col("name", "repository", "link"), col("status", "status", "badge"),
            col("reason", "why at this position"), col("theorems", "theorems (own)", "num"),
            col("dep_theorems", "theorems (deps)", "num"), col("sorry", "sorry theorems (own)", "num"),
            col("dep_sorry", "sorry theorems (deps)", "num"), col("sorry_decls", "sorry declarations (own)", "num"),
            col("proofs", "proved (own)", "num"), col("dep_proofs", "proved (deps)", "num"),
            col("attempts", "proof attempts", "num"), col("diagnostics", "diagnostics", "num"),
            col("tracer", "tracer"), col("commit", "commit"),
        ], repo_rows, empty="no repository yet: add one with `leanagent add SOURCE`", page_size=25)
        runs_rows = []
        for r in self.runs():
            stages = self.stages(r["id"])
            planned = {s["position"] for s in stages if s["stage"] == "plan"}
            evaluated = {s["position"] for s in stages if s["stage"] == "evaluate" and s["status"] == "done"}
            cfg = r["config"] if isinstance(r["config"], dict) else {}
            runs_rows.append([[r["name"], run_href(r["id"], focus)], r["status"], cfg.get("strategy"),
                              cfg.get("order"), cfg.get("data"), len(planned), len(evaluated),
                              r["created_at"], r["updated_at"]])
        runs_table = table("runs", [
            col("name", "run", "link"), col("status", "status", "badge"), col("strategy", "strategy"),
            col("order", "order"), col("data", "data"), col("planned", "repositories planned", "num"),
            col("evaluated", "evaluated", "num"), col("created", "created"), col("updated", "updated"),
        ], runs_rows, empty="no lifelong run yet: start one with `leanagent run`", page_size=25)
        labels = [f"{c['position'] or '-'}. {c['label']}" for c in curriculum]
        bucket_counts: dict[str, list[float | None]] = {b: [0] * len(curriculum) for b in BUCKETS}
        for i, entry in enumerate(curriculum):
            for b in self.buckets(entry["repo"]).values():
                bucket_counts[b][i] = (bucket_counts[b][i] or 0) + 1
        bucket_fig = figures.grouped_bars(labels, bucket_counts, y_title="own theorems", stacked=True) \
            if curriculum else None
        cards = [
            ("repositories", len(self.repositories())),
            ("own theorems", totals["own_theorems"]),
            ("dependency theorems", dep_theorems),
            ("own sorry theorems", totals["own_sorry_theorems"]),
            ("own sorry declarations", totals["own_sorry_declarations"]),
            ("own theorems proved", totals["own_proved_theorems"]),
            ("proof attempts", len(self.attempts())),
            ("runs", len(self.runs())),
        ]
        return {"cards": cards, "repos_table": repos_table, "runs_table": runs_table,
                "bucket_fig": bucket_fig, "bucket_labels": labels, "bucket_counts": bucket_counts,
                "focus_run": self.focus_run()}

    # -- one repository ------------------------------------------------------------------

    def repository(self, repo: Repository) -> dict[str, Any]:
        theorems = self.theorems(repo)
        buckets = self.buckets(repo)
        activity = reads.theorem_activity(self.store, repo)
        thm_rows = []
        for t in theorems:
            a = activity.get(t["id"], {})
            thm_rows.append([
                t["id"], t["full_name"], f"{t['file']}:{t['start'][0]}", t["kind"], status_label(t),
                buckets.get(t["id"], "unknown"), t["num_steps"], t["proof_style"], t["statement"],
                a.get("attempts", 0), a.get("last_status"), a.get("proofs", 0),
            ])
        theorem_table = table("theorems", [
            col("id", "id", "num"), col("name", "theorem"), col("where", "file:line"), col("kind", "kind"),
            col("status", "status", "badge", facet=True), col("bucket", "difficulty", "badge", facet=True,
                                                                 order=list(BUCKET_ORDER)),
            col("steps", "proof steps", "num"), col("style", "proof style", facet=True),
            col("statement", "statement", "code"), col("attempts", "attempts", "num"),
            col("last", "last attempt", "badge", facet=True), col("proofs", "proofs found", "num"),
        ], thm_rows, empty="this repository has no theorem of its own", anchor="id")
        sorry_rows = [[s["full_name"], s["kind"], f"{s['file']}:{s['line']}", len(s["sorries"]),
                       ", ".join(sorted({x["context"] for x in s["sorries"]}))]
                      for s in self.store.sorries(repo)]
        sorry_table = table("sorries", [
            col("name", "declaration"), col("kind", "kind", facet=True), col("where", "file:line"),
            col("count", "sorry tokens", "num"), col("contexts", "where in the declaration"),
        ], sorry_rows, empty="no declaration of this repository holds `sorry`")
        proof_rows = [[
            [p["theorem"], repo_href(repo.id, p["theorem_id"])], p["proof"], p["checked_by"], p["verification"],
            "yes" if p["depends_on_sorry"] else "no", p["nodes_expanded"], p["lean_calls"], p["seconds"],
            p["stop_reason"], p["backend"], p["generator"], p["run"], p["checkpoint_id"], p["found_at"], p["stats"],
        ] for p in reads.proofs_of_repo(self.store, repo)]
        proof_table = table("proofs", [
            col("theorem", "theorem", "link"), col("proof", "proof", "code"), col("checked_by", "checked by"),
            col("verification", "verification", "badge", facet=True), col("sorry", "depends on sorry", "badge"),
            col("nodes", "nodes expanded", "num"), col("lean_calls", "Lean calls", "num"),
            col("seconds", "seconds", "num", digits=2), col("stop", "stop reason"), col("backend", "backend"),
            col("generator", "generator"), col("run", "run"), col("checkpoint", "checkpoint", "num"),
            col("found", "found at"), col("stats", "search statistics", "json"),
        ], proof_rows, empty="no proof found yet (proofs appear here as the prover finds them)")
        eval_rows = [[e["run"], e["checkpoint_id"], e["method"], e["split"], e["r1"], e["r10"], e["mrr"],
                      e["num_queries"], e["created_at"]] for e in reads.evaluations_of_repo(self.store, repo)]
        eval_table = table("evaluations", [
            col("run", "run", facet=True), col("checkpoint", "checkpoint", "num"), col("method", "method", facet=True),
            col("split", "split", facet=True), col("r1", "R@1 %", "num", digits=2), col("r10", "R@10 %", "num", digits=2),
            col("mrr", "MRR", "num", digits=3), col("queries", "queries", "num"), col("created", "when"),
        ], eval_rows, empty="no retrieval evaluation of this repository yet", page_size=25)
        diag_rows = [[d["severity"], d["file_path"], d["line"], d["message"]] for d in self.store.diagnostics(repo)]
        diag_table = table("diagnostics", [
            col("severity", "severity", "badge", facet=True), col("file", "file"), col("line", "line", "num"),
            col("message", "message"),
        ], diag_rows, empty="no diagnostic", page_size=25)
        bucket_counts = Counter(buckets.values())
        c = self.counts().get(repo.id, {})
        return {"repo": repo, "label": self.label(repo.id), "counts": c,
                "buckets": [(b, bucket_counts.get(b, 0)) for b in BUCKETS],
                "tables": [theorem_table, sorry_table, proof_table, eval_table, diag_table]}

    # -- lifelong view --------------------------------------------------------------------

    def lifelong(self, run_id: int | None) -> dict[str, Any]:
        from leanagent.lifelong import run_report

        run = next((r for r in self.runs() if r["id"] == run_id), None)
        if run is None:
            return {"run": None}
        out: dict[str, Any] = {"run": run, "error": None, "T": 0, "metrics": [], "metrics_note": None, "other_runs": [
            {"name": r["name"], "href": run_href(r["id"], self.focus_id())} for r in self.runs() if r["id"] != run_id]}
        cfg = run["config"] if isinstance(run["config"], dict) else {}
        out["config"] = sorted(_flatten(cfg))
        out["progress"] = self._progress_table(run)
        try:
            rep = run_report(self.store, run["name"], window=self.window)
        except LeanAgentError as exc:
            out["error"] = str(exc)
            return out
        T = len(rep["order"])
        ids = [s["repo_id"] for s in self.stages(run["id"]) if s["stage"] == "plan"]
        labels = [f"{i + 1}. {self.label(ids[i]) if i < len(ids) else rep['order'][i]}" for i in range(T)]
        A = [_mean(row) for row in rep["R"]]
        out.update(labels=labels, R=rep["R"], V=rep["V"], A=A, pre=rep["pre"], baselines=rep["baselines"],
                   reasons=rep["reasons"], metrics_note=rep.get("metrics_note"), T=T)
        if T:
            out["heatmap"] = figures.heatmap(labels, rep["R"])
            out["curves"] = figures.lines(labels, {"A (mean test R@10, stability)": A,
                                                   "V (validation R@10 on the new repository, plasticity)": rep["V"]},
                                          y_title="R@10 %")
            model = [row[i] if i < len(row) else None for i, row in enumerate(rep["R"])]
            series = {"model": model, "pre": rep["pre"], **rep["baselines"]}
            names = {"model": "model after training on it", "pre": "model before training on it",
                     "bm25": "BM25", "locality": "locality", "untrained": "untrained encoder"}
            out["baseline_rows"] = [(names[k], v) for k, v in series.items()]
            out["baseline_fig"] = figures.grouped_bars(
                labels, {names[k]: v for k, v in series.items()}, y_title="test R@10 % on the new repository",
                colors={names[k]: c for k, c in figures.BASELINE_COLORS.items()})
        docs = metric_docs(self.window)
        out["metrics"] = [{"doc": docs.get(k), "key": k, "value": v} for k, v in rep["metrics"].items()]
        out["metrics"].sort(key=lambda m: (m["doc"].family != "textbook") if m["doc"] else 2)
        out["metric_docs"] = list(docs.values())
        return out

    def _progress_table(self, run: dict[str, Any]) -> dict[str, Any]:
        stages = self.stages(run["id"])
        present = [s for s in STAGE_ORDER if any(x["stage"] == s for x in stages)]
        by_pos: dict[int, dict[str, dict[str, Any]]] = defaultdict(dict)
        for s in stages:
            by_pos[s["position"]][s["stage"]] = s
        rows = []
        for pos in sorted(by_pos):
            st = by_pos[pos]
            plan = st.get("plan", {})
            rid = plan.get("repo_id") or next(iter(st.values()))["repo_id"]
            rows.append([pos + 1, [self.label(rid), repo_href(rid)], (plan.get("info") or {}).get("reason"),
                         *[st[s]["status"] if s in st else "pending" for s in present],
                         (st.get("prove", {}).get("info") or {}).get("reason")])
        return table("progress", [
            col("position", "#", "num"), col("repo", "repository", "link"), col("reason", "why at this position"),
            *[col(s, s, "badge") for s in present], col("prove_note", "prove stage"),
        ], rows, empty="this run has not planned any repository yet", page_size=50)

    # -- training ---------------------------------------------------------------------------

    def training(self) -> dict[str, Any]:
        owners: dict[int, str] = {}
        focus = self.focus_id()
        focus_ckpts: set[int] = set()
        for r in self.runs():
            for s in self.stages(r["id"]):
                ck = s["info"].get("checkpoint_id") if s["stage"] == "train" else None
                if isinstance(ck, int):
                    owners[ck] = f"{r['name']} #{s['position'] + 1} ({self.label(s['repo_id'])})"
                    if r["id"] == focus:
                        focus_ckpts.add(ck)
        steps: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
        n_steps: Any
        seconds: Any
        for row in reads.training_steps(self.store):
            steps[row[0]].append(row)
        ckpts = reads.checkpoints(self.store)
        summary_rows, curves, step_rows = [], [], []
        for c in ckpts:
            cfg = c["config"] if isinstance(c["config"], dict) else {}
            rows = steps.get(c["id"], [])
            if rows:
                n_steps, seconds, examples = len(rows), rows[-1][4], rows[-1][5]
                first, last, low = rows[0][2], rows[-1][2], min(x[2] for x in rows)
                source = "per-step rows"
            else:
                n_steps, seconds, examples = cfg.get("steps"), cfg.get("seconds"), None
                first, last, low = cfg.get("loss_first"), cfg.get("loss_last"), None
                source = "checkpoint record (no per-step rows)"
            sps = n_steps / seconds if isinstance(n_steps, int | float) and seconds else None
            eps = examples / seconds if examples and seconds else None
            repos = cfg["repos"] if isinstance(cfg.get("repos"), list) else []
            summary_rows.append([c["id"], c["parent_id"], owners.get(c["id"]), c["model_name"],
                                 ", ".join(map(str, repos)), n_steps, examples, seconds, sps, eps, first, last, low,
                                 source, c["created_at"]])
            if rows:
                curves.append({"name": f"checkpoint {c['id']}" + (f" - {owners[c['id']]}" if c["id"] in owners else ""),
                               "steps": [x[1] for x in rows], "losses": [x[2] for x in rows],
                               "visible": len(ckpts) <= 20 or c["id"] in focus_ckpts})
                step_rows += [list(x) for x in rows]
        ckpt_table = table("checkpoints", [
            col("id", "checkpoint", "num"), col("parent", "parent", "num"), col("run", "run step"),
            col("model", "model"), col("repos", "trained on"), col("steps", "steps", "num"),
            col("examples", "examples seen", "num"), col("seconds", "seconds", "num", digits=1),
            col("sps", "steps/s", "num", digits=3), col("eps", "examples/s", "num", digits=2),
            col("first", "first loss", "num", digits=4), col("last", "last loss", "num", digits=4),
            col("min", "lowest loss", "num", digits=4), col("source", "from"), col("created", "created"),
        ], summary_rows, empty="no checkpoint yet: `leanagent train` or `leanagent run` makes them", page_size=25)
        step_table = table("training-steps", [
            col("checkpoint", "checkpoint", "num", facet=True), col("step", "step", "num"),
            col("loss", "loss", "num", digits=5), col("lr", "learning rate", "num", digits=8),
            col("seconds", "seconds since start", "num", digits=2), col("examples", "examples seen", "num"),
        ], step_rows, empty="no per-step training rows recorded yet", page_size=50)
        # Throughput in examples/s where training recorded examples seen, else steps/s.
        timed = [r for r in summary_rows if r[7] is not None]
        by_examples = any(r[9] is not None for r in timed)
        rate_name = "examples/s" if by_examples else "steps/s"
        thr_labels = [f"checkpoint {r[0]}" for r in timed]
        thr_seconds = [r[7] for r in timed]
        thr = [r[9] if by_examples else r[8] for r in timed]
        return {
            "loss_fig": figures.loss_curves(curves) if curves else None,
            "throughput_fig": figures.time_and_throughput(thr_labels, thr_seconds, thr, rate_name) if timed else None,
            "rate_name": rate_name,
            "tables": [ckpt_table, step_table],
            "ckpt_table": ckpt_table, "step_table": step_table,
            "throughput_rows": list(zip(thr_labels, thr_seconds, thr, strict=True)),
        }

    # -- proof search ----------------------------------------------------------------------

    def search(self) -> dict[str, Any]:
        attempts = self.attempts()
        bucket_of: dict[int, str] = {}
        for rid in {a["repo_id"] for a in attempts if a["repo_id"] is not None}:
            repo = self.repo(rid)
            if repo is not None:
                bucket_of.update(self.buckets(repo))
        rows = []
        by_bucket: dict[str, Counter[str]] = defaultdict(Counter)
        reasons: Counter[str] = Counter()
        groups: dict[str, dict[str, list[Any]]] = {}
        for a in attempts:
            bucket = bucket_of.get(a["theorem_id"], "unknown")
            by_bucket[bucket][a["status"]] += 1
            reasons[a["stop_reason"]] += 1
            g = groups.setdefault(a["status"], {"nodes": [], "seconds": [], "text": []})
            g["nodes"].append(a["nodes_expanded"])
            g["seconds"].append(a["seconds"])
            g["text"].append(a["theorem"])
            link = [a["theorem"], repo_href(a["repo_id"], a["theorem_id"])] if a["repo_id"] is not None \
                else [a["theorem"], None]
            rows.append([a["id"], link, self.label(a["repo_id"]), bucket, a["run"], a["checkpoint_id"], a["purpose"],
                         a["backend"], a["generator"], a["status"], a["stop_reason"], a["verification"],
                         a["nodes_expanded"], a["lean_calls"], a["seconds"], a["generator_seconds"],
                         a["lean_seconds"], a["lean_version"], a["started_at"]])
        attempt_table = table("attempts", [
            col("id", "attempt", "num"), col("theorem", "theorem", "link"), col("repo", "repository", facet=True),
            col("bucket", "difficulty", "badge", facet=True, order=list(BUCKET_ORDER)), col("run", "run", facet=True),
            col("checkpoint", "checkpoint", "num"), col("purpose", "purpose", facet=True),
            col("backend", "backend", facet=True), col("generator", "generator", facet=True),
            col("status", "status", "badge", facet=True), col("stop", "stop reason", facet=True),
            col("verification", "verification", facet=True), col("nodes", "nodes expanded", "num"),
            col("lean_calls", "Lean calls", "num"), col("seconds", "seconds", "num", digits=2),
            col("gen_s", "generator s", "num", digits=2), col("lean_s", "Lean s", "num", digits=2),
            col("lean_version", "Lean version"), col("started", "started"),
        ], rows, empty="no proof attempt yet: attempts appear here as the prover records them", anchor=None,
            sort=("id", "desc"))
        buckets = [b for b in BUCKET_ORDER if b in by_bucket]
        bucket_rows = [(b, *(by_bucket[b][s] for s in ATTEMPT_STATUSES), sum(by_bucket[b].values()),
                        _rate(by_bucket[b]["proved"], sum(by_bucket[b].values()))) for b in buckets]
        reason_rows = reasons.most_common()
        secs = [a["seconds"] for a in attempts]
        theorems = {a["theorem_id"] for a in attempts}
        proved = {a["theorem_id"] for a in attempts if a["status"] == "proved"}
        by_purpose = []
        for purpose in sorted({a["purpose"] for a in attempts}):
            xs = [a for a in attempts if a["purpose"] == purpose]
            th = {a["theorem_id"] for a in xs}
            pr = {a["theorem_id"] for a in xs if a["status"] == "proved"}
            by_purpose.append((purpose, len(xs), len(th), len(pr), _rate(len(pr), len(th))))
        cards = [("attempts", len(attempts)), ("theorems attempted", len(theorems)), ("theorems proved", len(proved)),
                 ("errors", sum(1 for a in attempts if a["status"] == "error")),
                 ("median seconds per attempt", round(statistics.median(secs), 2) if secs else None),
                 ("total seconds", round(sum(secs), 1) if secs else 0)]
        return {
            "cards": cards, "by_purpose": by_purpose, "attempt_table": attempt_table,
            "bucket_rows": bucket_rows, "reason_rows": reason_rows,
            "bucket_fig": figures.grouped_bars(buckets, {s: [by_bucket[b][s] for b in buckets] for s in ATTEMPT_STATUSES},
                                               y_title="attempts", colors=figures.STATUS_COLORS, stacked=True)
            if attempts else None,
            "reason_fig": figures.grouped_bars([r for r, _ in reason_rows], {"attempts": [n for _, n in reason_rows]},
                                               y_title="attempts", horizontal=True) if attempts else None,
            "scatter_fig": figures.attempts_scatter(groups) if attempts else None,
        }


def _flatten(config: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """A run's configuration as (dotted name, value) pairs: the trainer's and evaluator's
    settings are nested under ``train`` and ``eval``."""
    out: list[tuple[str, Any]] = []
    for key, value in config.items():
        if isinstance(value, dict):
            out.extend(_flatten(value, f"{prefix}{key}."))
        else:
            out.append((prefix + key, value))
    return out
