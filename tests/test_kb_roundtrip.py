"""Import -> export -> import keeps theorems, steps, annotations and premises identical;
exports are deterministic (same bytes for the same seed, whatever PYTHONHASHSEED)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from database.export_writer import ExportConfig, export_dataset
from database.leandojo_export import import_export
from database.splits import SplitConfig
from database.store import Store

REPO_ROOT = Path(__file__).resolve().parents[1]

# Names as real Lean has them: dotted, unicode, subscripts, primes, guillemets.
_name_part = st.text(alphabet="abcxyzαβγ_₁₂'ℕ", min_size=1, max_size=6) | st.builds(
    lambda s: f"«{s}»", st.text(alphabet="ab c+-", min_size=1, max_size=5)
)
_name = st.lists(_name_part, min_size=1, max_size=3).map(".".join)
_text = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=30)


@st.composite
def exports(draw):
    n_files = draw(st.integers(1, 4))
    paths = []
    for i in range(n_files):
        dep = draw(st.booleans()) and i < 2
        paths.append(f".lake/packages/dep{i}/D{i}.lean" if dep else f"Pkg/F{i}.lean")
    corpus = []
    premises = []  # (path, name, start, end)
    for i, path in enumerate(paths):
        entries = []
        names = draw(st.lists(_name, min_size=0, max_size=4, unique=True))
        for k, name in enumerate(names):
            start, end = [1 + 5 * k, 1], [3 + 5 * k, 7]
            entries.append(
                {"full_name": name, "code": draw(_text) or "x", "start": start, "end": end,
                 "kind": draw(st.sampled_from(["commanddeclaration", "lemma"]))}
            )
            premises.append((path, name, start, end))
        corpus.append({"path": path, "imports": paths[:i], "premises": entries})
    theorems = []
    keys = set()
    for _ in range(draw(st.integers(1, 8))):
        path = draw(st.sampled_from(paths))
        name = draw(_name)
        start = [draw(st.integers(1, 40)), draw(st.integers(1, 5))]
        if (path, name, start[0], start[1]) in keys:
            continue
        keys.add((path, name, start[0], start[1]))
        tactics = []
        for _ in range(draw(st.integers(0, 3))):
            anns = []
            for _ in range(draw(st.integers(0, 2))):
                if premises and draw(st.booleans()):
                    p = draw(st.sampled_from(premises))
                    anns.append({"full_name": p[1], "def_path": p[0], "def_pos": [p[2][0], 3],
                                 "def_end_pos": [p[2][0], 9]})
                else:  # a premise the corpus does not have (e.g. Lean core)
                    anns.append({"full_name": draw(_name), "def_path": ".lake/packages/lean4/src/lean/Init.lean",
                                 "def_pos": [7, 1], "def_end_pos": [7, 4]})
            tactic = draw(st.sampled_from(["simp", "sorry", "exact not_sorry", "rw [h]"])) + draw(_text)
            tactics.append(
                {"tactic": tactic, "annotated_tactic": [draw(_text), anns], "state_before": draw(_text),
                 "state_after": draw(_text)}
            )
        theorems.append(
            {"url": "https://github.com/o/r", "commit": "c" * 40, "file_path": path, "full_name": name,
             "theorem_statement": draw(st.none() | _text), "start": start, "end": [start[0] + 2, 1],
             "traced_tactics": tactics}
        )
    return corpus, theorems


def _write_export(root: Path, corpus: list, theorems: list) -> Path:
    root.mkdir(parents=True)
    (root / "corpus.jsonl").write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in corpus))
    (root / "traced_files.jsonl").write_text("".join(json.dumps({"traced_file_path": c["path"]}) + "\n" for c in corpus))
    (root / "metadata.json").write_text(json.dumps({"from_repo": {"url": "https://github.com/o/r", "commit": "c" * 40}}))
    for scheme in ("random", "novel_premises"):
        (root / scheme).mkdir()
        (root / scheme / "train.json").write_text(json.dumps(theorems, ensure_ascii=False))
        (root / scheme / "val.json").write_text("[]")
        (root / scheme / "test.json").write_text("[]")
    return root


def canonical(store: Store) -> dict:
    """Everything the round trip must keep, keyed by content (never by row ids)."""
    q = store.conn.execute
    premises = sorted(
        q("SELECT f.path, p.full_name, p.code, p.kind, p.start_line, p.start_col, p.end_line, p.end_col "
          "FROM premises p JOIN files f ON f.id = p.file_id").fetchall()
    )
    imports = sorted(q("SELECT path, imports FROM files WHERE path IN (SELECT path FROM files f JOIN premises p "
                       "ON p.file_id = f.id)").fetchall())
    theorems = {}
    for tid, path, name, sl, sc, el, ec, statement, status, nsteps in q(
        "SELECT t.id, f.path, t.full_name, t.start_line, t.start_col, t.end_line, t.end_col, t.statement, "
        "t.status, t.num_steps FROM theorems t JOIN files f ON f.id = t.file_id"
    ):
        steps = []
        for sid, tactic, ann, before, after in q(
            "SELECT id, tactic, annotated_tactic, state_before, state_after FROM tactic_steps "
            "WHERE theorem_id = ? ORDER BY idx", (tid,)
        ):
            links = q(
                "SELECT l.full_name, l.def_path, l.def_line, l.def_col, l.def_end_line, l.def_end_col, "
                "pf.path, p.full_name, p.start_line FROM premise_links l LEFT JOIN premises p ON p.id = l.premise_id "
                "LEFT JOIN files pf ON pf.id = p.file_id WHERE l.step_id = ? ORDER BY l.idx", (sid,)
            ).fetchall()
            steps.append((tactic, ann, before, after, links))
        theorems[(path, name, sl, sc)] = (el, ec, statement, status, nsteps, steps)
    return {"premises": premises, "imports": imports, "theorems": theorems}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(exports())
def test_import_export_import_is_identity(data) -> None:
    corpus, theorems = data
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        src = _write_export(tmp / "src", corpus, theorems)
        with Store(tmp / "a.db") as a:
            import_export(a, src)
            first = canonical(a)
            export_dataset(a, a.repositories(), tmp / "out1", ExportConfig(splits=SplitConfig(seed=7)))
        with Store(tmp / "b.db") as b:
            import_export(b, tmp / "out1")
            assert canonical(b) == first
            export_dataset(b, b.repositories(), tmp / "out2", ExportConfig(splits=SplitConfig(seed=7)))
        for rel in ["corpus.jsonl", "traced_files.jsonl"] + [
            f"{s}/{p}.json" for s in ("random", "novel_premises") for p in ("train", "val", "test")
        ]:
            assert (tmp / "out1" / rel).read_bytes() == (tmp / "out2" / rel).read_bytes(), rel


def test_export_of_fixture_has_leandojo_layout(fixtures: Path, tmp_path: Path) -> None:
    with Store(tmp_path / "kb.db") as s:
        import_export(s, fixtures / "exports/leanagent_toy")
        import_export(s, fixtures / "exports/official_toy")
        result = export_dataset(s, s.repositories(), tmp_path / "merged", ExportConfig(splits=SplitConfig(val_fraction=0.2, test_fraction=0.2)))
    out = tmp_path / "merged"
    assert result.theorems == 8 and result.files == 7
    corpus = [json.loads(line) for line in (out / "corpus.jsonl").read_text().splitlines()]
    seen: set[str] = set()
    for entry in corpus:  # imports come before importers
        assert all(i in seen for i in entry["imports"] if any(c["path"] == i for c in corpus))
        seen.add(entry["path"])
    for scheme in ("random", "novel_premises"):
        sizes = [len(json.loads((out / scheme / f"{p}.json").read_text())) for p in ("train", "val", "test")]
        assert sum(sizes) == 8 and sizes[1] >= 1 and sizes[2] >= 1
    # novel_premises: no test theorem uses a premise that a train theorem uses
    def used(records):
        return {a["full_name"] for r in records for t in r["traced_tactics"] for a in t["annotated_tactic"][1]}
    train = json.loads((out / "novel_premises/train.json").read_text())
    test = json.loads((out / "novel_premises/test.json").read_text())
    assert not (used(train) & used(test))
    meta = json.loads((out / "metadata.json").read_text())
    assert [r["name"] for r in meta["repositories"]] == ["example-org/toy-lean", "example-org/official-toy"]


def test_export_does_not_depend_on_hash_seed(fixtures: Path, tmp_path: Path) -> None:
    with Store(tmp_path / "leanagent.db") as s:  # the home's database
        import_export(s, fixtures / "exports/leanagent_toy")
        import_export(s, fixtures / "exports/v2_merged")
    outs = []
    for seed in ("0", "12345"):
        out = tmp_path / f"out{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed, "LEANAGENT_HOME": str(tmp_path)}
        subprocess.run(
            [sys.executable, "-m", "leanagent", "--home", str(tmp_path), "export", str(out),
             "--val-fraction", "0.3", "--test-fraction", "0.3"],
            check=True, env=env, cwd=REPO_ROOT, capture_output=True,
        )
        outs.append(out)
    for rel in ["corpus.jsonl"] + [f"{s}/{p}.json" for s in ("random", "novel_premises") for p in ("train", "val", "test")]:
        assert (outs[0] / rel).read_bytes() == (outs[1] / rel).read_bytes(), rel


def test_export_refuses_existing_destination(fixtures: Path, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from leanagent.cli import main

    home = tmp_path / "h"
    runner = CliRunner()
    assert runner.invoke(main, ["--home", str(home), "add", str(fixtures / "exports/official_toy")]).exit_code == 0
    dest = tmp_path / "out"
    dest.mkdir()
    res = runner.invoke(main, ["--home", str(home), "export", str(dest)])
    assert res.exit_code == 1 and "--force" in res.output
    res = runner.invoke(main, ["--home", str(home), "export", str(dest), "--force", "--json"])
    assert res.exit_code == 0, res.output
    assert (dest / "random/train.json").exists()
