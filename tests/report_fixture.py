"""A knowledge base for the report tests, built through the real writers where they
exist (`Store.ingest`, the lifelong loop with a deterministic learner) and by direct
inserts into the tables whose writers live elsewhere (training steps, proof attempts,
proofs). Hostile strings sit in every kind of stored text the pages show: repository,
theorem, run and file names, statements, proofs, stop reasons, diagnostics.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from factories import FakeLearner

from database.records import (
    DeclarationSorries,
    Diagnostic,
    FileRecord,
    PremiseRecord,
    RepoInfo,
    SorryRecord,
    StepRecord,
    TheoremRecord,
)

SCRIPT = '<script>window.__xss=1;alert("xss")</script>'
IMG = "<img src=x onerror=\"window.__xss=1;document.title='pwned'\">"
CLOSE = "</script><script>window.__xss=1</script>"
HOSTILE = (SCRIPT, IMG, CLOSE)
#: <b> is part of the markup Plotly renders in labels: unescaped it would turn bold, not show.
HOSTILE_REPO = f"evil<b>{IMG}</b>"
HOSTILE_RUN = f"run{SCRIPT}"
DEP = ".lake/packages/core/Core.lean"


@dataclass
class FixtureFacts:
    """What the fixture holds, counted independently of the code under test."""

    repos: list[str] = field(default_factory=list)
    own_theorems: dict[str, int] = field(default_factory=dict)
    own_sorry: dict[str, int] = field(default_factory=dict)
    dep_theorems: int = 0
    attempts: int = 0
    proofs: int = 0
    proved_theorem: str = ""
    training_steps: int = 0
    run_name: str = ""


def _repo(store, name: str, n: int, seed: int, *, hostile: bool = False) -> tuple[int, int]:
    own = f"{name.split('<')[0]}/Basic.lean"
    premises = [PremiseRecord(f"{name}.p{i}", f"theorem p{i} : True", "theorem", (i * 3 + 1, 1), (i * 3 + 2, 9))
                for i in range(5)]
    dep = [PremiseRecord("Core.q0", "theorem q0 : True", "theorem", (1, 1), (2, 9))]
    sorry = 0
    with store.ingest(RepoInfo(url=f"https://example.org/{seed}/{name.split('<')[0]}", name=name,
                               commit=f"{seed:040d}", lean_version="v4.19.0", tracer="static")) as w:
        w.add_file(FileRecord(path=DEP, imports=[], content_hash="core-1", premises=dep))
        w.add_file(FileRecord(path=own, imports=[DEP], premises=premises, content_hash=f"{name}-{seed}"))
        w.add_theorem(TheoremRecord(file_path=DEP, full_name="Core.dep_thm", start=(10, 1), end=(12, 1),
                                    statement="True", steps=[StepRecord("trivial")], num_steps=1))
        for t in range(n):
            line = 100 + 5 * t
            is_sorry = t % 5 == 4
            full = f"{name}.thm{t}"
            statement = f"theorem thm{t} : {t} + 0 = {t}"
            if hostile and t < len(HOSTILE):
                full = f"{name}.{HOSTILE[t]}"
                statement = f"/-- doc {HOSTILE[t]} -/ theorem x : {HOSTILE[(t + 1) % 3]}"
            steps = [StepRecord("simp") for _ in range(1 + t % 4)] if not is_sorry else [StepRecord("sorry")]
            sorries = [SorryRecord(line + 1, 3, "tactic")] if is_sorry else []
            sorry += is_sorry
            w.add_theorem(TheoremRecord(file_path=own, full_name=full, start=(line, 1), end=(line + 3, 1),
                                        statement=statement, steps=steps, num_steps=len(steps), sorries=sorries,
                                        proof_style="tactic"))
        w.add_declaration_sorries(DeclarationSorries(own, f"{name}.aux{IMG if hostile else ''}", "def", (90, 1),
                                                     [SorryRecord(91, 5, "body")]))
        w.add_diagnostic(Diagnostic(own, 3, f"could not parse {SCRIPT if hostile else 'x'}", "warning"))
    return n, sorry + 0


def build(store, *, sizes: tuple[int, ...] = (12, 7, 9)) -> FixtureFacts:
    """Three repositories (the last with hostile names), a finished run over all of them,
    a second run (hostile name) that stopped after planning, training curves, proof
    attempts of every status and two proofs."""
    from leanagent.lifelong import RunConfig, run_lifelong

    facts = FixtureFacts()
    names = ["Alpha", "Beta", HOSTILE_REPO][: len(sizes)]
    for i, (name, n) in enumerate(zip(names, sizes, strict=True)):
        own, sorry = _repo(store, name, n, seed=i, hostile=name == HOSTILE_REPO)
        facts.repos.append(name)
        facts.own_theorems[name] = own
        facts.own_sorry[name] = sorry
    facts.dep_theorems = 1
    facts.run_name = "main-run"
    # The lifelong tests' deterministic learner: +10 R@10 per step that trained on a
    # repository, -1 per step that did not.
    run_lifelong(store, FakeLearner(store), RunConfig(order="given"), name=facts.run_name)
    # A second run that only planned (its checkpoints never trained): the hostile name.
    with store.atomic():
        store.conn.execute(
            "INSERT INTO runs (name, config, status, created_at, updated_at) VALUES (?, '{}', 'created', "
            "'2025-01-01T00:00:00+00:00', '2025-01-01T00:00:00+00:00')", (HOSTILE_RUN,))
    ckpts = [r[0] for r in store.conn.execute("SELECT id FROM checkpoints ORDER BY id")]
    with store.atomic():
        for c in ckpts:
            for step in range(1, 21):
                store.conn.execute(
                    "INSERT INTO training_steps (checkpoint_id, step, loss, lr, seconds, examples) "
                    "VALUES (?, ?, ?, ?, ?, ?)", (c, step, 3.0 / step + c * 0.01, 1e-4, step * 0.5, step * 8))
                facts.training_steps += 1
    run_id = store.conn.execute("SELECT id FROM runs WHERE name = ?", (facts.run_name,)).fetchone()[0]
    theorems = list(store.conn.execute(
        "SELECT t.id, t.full_name, t.status FROM theorems t WHERE t.is_dependency = 0 ORDER BY t.id"))
    outcomes = [("proved", "proved", "lean-repl: accepted in context"), ("failed", "budget: 64 nodes", None),
                ("error", f"lean error {SCRIPT}", None), ("failed", "timeout", None)]
    with store.atomic():
        for k, (tid, name, _status) in enumerate(theorems[:16]):
            status, reason, verification = outcomes[k % len(outcomes)]
            proof = f"by\n  simp [{CLOSE}]" if status == "proved" else None
            cur = store.conn.execute(
                "INSERT INTO proof_attempts (theorem_id, run_id, checkpoint_id, purpose, backend, generator, "
                "lean_version, status, stop_reason, verification, proof, nodes_expanded, lean_calls, seconds, "
                "generator_seconds, lean_seconds, details, started_at, finished_at) VALUES "
                "(?, ?, ?, ?, 'replay', 'tiny-t5', 'v4.19.0', ?, ?, ?, ?, ?, ?, ?, ?, ?, '{}', ?, ?)",
                (tid, run_id, ckpts[-1], "sorry" if k % 2 else "evaluate", status, reason, verification, proof,
                 5 + 3 * k, 7 + k, 0.5 + k, 0.2 * k, 0.1 * k, f"2026-01-01T00:{k:02d}:00+00:00",
                 f"2026-01-01T00:{k:02d}:30+00:00"))
            facts.attempts += 1
            if status == "proved":
                store.conn.execute(
                    "INSERT INTO proofs (theorem_id, proof, checked_by, checkpoint_id, run_id, stats, found_at, "
                    "attempt_id, depends_on_sorry) VALUES (?, ?, 'lean-repl', ?, ?, ?, ?, ?, 0)",
                    (tid, proof, ckpts[-1], run_id, json.dumps({"nodes": 5 + 3 * k, "note": IMG}),
                     "2026-01-01T01:00:00+00:00", cur.lastrowid))
                facts.proofs += 1
                facts.proved_theorem = facts.proved_theorem or name
    return facts
