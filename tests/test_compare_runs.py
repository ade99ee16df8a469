"""Two lifelong runs side by side (`leanagent metrics --run A --run B`, built by
`leanagent.comparison.compare_runs`): two real runs (`leanagent run`, a tiny random
encoder, three training steps per repository, on two generated projects indexed by the
static tracer), one on the random split and one on novel_premises, in one real SQLite
store. Every number shown is checked against the run's stored stage records, read here
straight from ``run_stages``, and against its column: a swapped column or run fails."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from factories import TOPICS, generate_lean_project, tiny_bert

from database.home import Home
from database.store import Store
from leanagent.cli import main
from leanagent.comparison import compare_runs
from leanagent.lifelong import run_report
from leanagent.tracing import AddRequest, add_source

BASELINES = ("bm25", "locality", "untrained")

#: Names sharing a long prefix, as default run names do: they must stay apart in every table.
RAND = "progressive-easy-count-single-random-split"
NOVEL = "progressive-easy-count-single-novel-split"


def _cli(home: Path, *args: str):
    return CliRunner().invoke(main, ["--home", str(home), *args], catch_exceptions=False)


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("compare")
    home = tmp / "home"
    with Store(home / "leanagent.db") as store:
        for i, name in enumerate(TOPICS[:2]):
            # one module of 100 generated theorems each: baselines of different strengths,
            # where BM25 is not always the best (so a margin over the wrong one shows)
            root = tmp / name
            generate_lean_project(root, theorems=100, files=1, seed=i, package=name)
            add_source(store, AddRequest(source=str(root), name=name), Home(home))
    model = str(tiny_bert(tmp / "tiny"))
    common = ("run", "--order", "given", "--model", model, "--max-length", "32", "--precision", "fp32",
              "--max-steps", "3", "--batch-size", "8", "--lr", "3e-3", "--no-prove")
    for name, scheme in ((RAND, "random"), (NOVEL, "novel_premises")):
        res = _cli(home, *common, "--split-scheme", scheme, "--name", name)
        assert res.exit_code == 0, res.output
    return home


def _stages(home: Path, run: str) -> dict[tuple[int, str], dict]:
    import sqlite3

    conn = sqlite3.connect(home / "leanagent.db")
    try:
        rows = conn.execute("SELECT s.position, s.stage, s.info FROM run_stages s JOIN runs r ON r.id = s.run_id "
                            "WHERE r.name = ?", (run,)).fetchall()
    finally:
        conn.close()
    return {(p, s): json.loads(i) for p, s, i in rows}


def _shown(cell: dict) -> str:
    ci = cell["r10_ci"]
    return f"{cell['r10']:.1f} [{ci[0]:.1f}, {ci[1]:.1f}]"


def test_compare_runs_against_the_stored_stages(two_runs: Path) -> None:
    home = two_runs
    with Store(home / "leanagent.db", readonly=True) as store:
        out = compare_runs(store, [RAND, NOVEL])
        reports = {n: run_report(store, n) for n in (RAND, NOVEL)}
    assert [(r["name"], r["split"]) for r in out["runs"]] == [(RAND, "random"), (NOVEL, "novel_premises")]
    assert out["differs"] == {NOVEL: ["eval.data.split", "train.data.split"]}
    assert [r["repo"] for r in out["repositories"]] == list(TOPICS[:2])
    finals = {}
    for pos, repo in enumerate(out["repositories"]):
        assert [row["run"] for row in repo["runs"]] == [RAND, NOVEL]
        for row in repo["runs"]:
            stages = _stages(home, row["run"])
            cell = stages[(1, "evaluate")]["test"][pos]  # the last step's row of R
            assert cell["repo_id"] == repo["repo_id"]
            assert (row["r10"], row["r10_ci"], row["num_queries"]) == (cell["r10"], cell["r10_ci"],
                                                                       cell["num_queries"])
            assert row["r10_ci"][0] <= row["r10"] <= row["r10_ci"][1]
            own = stages[(pos, "evaluate")]["test"][pos]
            assert (row["after_own_step"]["r10"], row["after_own_step"]["r10_ci"]) == (own["r10"], own["r10_ci"])
            base = stages[(pos, "baseline")]
            for m in BASELINES:
                assert (row["baselines"][m]["r10"], row["baselines"][m]["r10_ci"]) == (base[m]["r10"],
                                                                                       base[m]["r10_ci"])
            best = max(BASELINES, key=lambda m: base[m]["r10"])
            assert row["best_baseline"] == best
            assert row["margin"] == pytest.approx(cell["r10"] - base[best]["r10"], abs=0.01)
            # the columns are told apart only if their numbers differ: they do here
            values = [row["r10"], *(row["baselines"][m]["r10"] for m in BASELINES)]
            assert len(set(values)) == 4, values
            finals[(repo["repo"], row["run"])] = row["r10"]
        # ... and each run has its own split, so its own baselines and test queries
        rand, novel = repo["runs"]
        assert rand["num_queries"] != novel["num_queries"] or rand["baselines"] != novel["baselines"]
    assert len(set(finals.values())) == len(finals), finals  # swapping two runs changes what is shown
    bests = {row["best_baseline"] for repo in out["repositories"] for row in repo["runs"]}
    assert len(bests) >= 2, bests  # the best baseline is not always the same column
    for r in out["runs"]:
        assert r["metrics"] == {k: reports[r["name"]]["metrics"][k] for k in ("AA", "BWT", "FWT")}
        assert None not in r["metrics"].values()
    assert out["runs"][0]["metrics"] != out["runs"][1]["metrics"]


def test_metrics_with_two_runs_prints_them_side_by_side(two_runs: Path) -> None:
    home = two_runs
    with Store(home / "leanagent.db", readonly=True) as store:
        expected = compare_runs(store, [RAND, NOVEL])
        single = run_report(store, NOVEL)
    res = _cli(home, "metrics", "--run", RAND, "--run", NOVEL, "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout) == expected
    # one --run is the single-run report, as before
    assert json.loads(_cli(home, "metrics", "--run", NOVEL, "--json").stdout) == json.loads(json.dumps(single))
    text = _cli(home, "metrics", "--run", RAND, "--run", NOVEL)
    assert text.exit_code == 0, text.output
    lines = text.stdout.splitlines()
    # names sharing a long prefix stay whole (a cut at 24 characters made these two alike)
    assert lines[0] == (f"runs: {RAND} (split random, queries steps, matrix fused); "
                        f"{NOVEL} (split novel_premises, queries steps, matrix fused)")
    header = next(line for line in lines if line.lstrip().startswith("run ") and "R@10" in line)
    assert header.split() == ["run", "R@10", "n", *BASELINES, "margin"]
    for repo in expected["repositories"]:
        start = lines.index(repo["repo"])
        for k, row in enumerate(repo["runs"]):
            line = lines[start + 2 + k]
            assert line.split()[0] == row["run"]
            # every number in its own column, in the header's order
            shown = [_shown(row), str(row["num_queries"]), *(_shown(row["baselines"][m]) for m in BASELINES),
                     f"{row['margin']:+.1f} ({row['best_baseline']})"]
            at = [line.index(s, len(row["run"])) for s in shown]
            assert at == sorted(at), (line, shown)
    for r in expected["runs"]:
        (line,) = [ln for ln in lines if ln.split() and ln.split()[0] == r["name"] and len(ln.split()) == 4]
        assert line.split()[1:] == [f"{r['metrics'][k]:.2f}" for k in ("AA", "BWT", "FWT")]


def test_metrics_refuses_a_run_named_twice_or_unknown(two_runs: Path) -> None:
    res = _cli(two_runs, "metrics", "--run", RAND, "--run", RAND)
    assert res.exit_code == 1 and "named more than once" in res.output
    res = _cli(two_runs, "metrics", "--run", RAND, "--run", "nosuch")
    assert res.exit_code == 1 and "no run named 'nosuch'" in res.output and RAND in res.output


def test_runs_lists_names_whole(two_runs: Path) -> None:
    res = _cli(two_runs, "runs")
    assert res.exit_code == 0, res.output
    assert {line.split()[0] for line in res.stdout.splitlines()[1:]} == {RAND, NOVEL}
