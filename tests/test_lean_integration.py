"""The whole path against a real Lean: index a small project, prove its sorry theorems
with the model-free generator through the REPL, have Lean accept them in the file, write
them back. Runs where a toolchain is installed; skipped, saying why, elsewhere."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from prover.lean.repl import locate_repl

pytestmark = pytest.mark.lean

LAKE = shutil.which("lake")
if LAKE is None:
    pytest.skip("no Lean toolchain: `lake` is not on PATH (install elan, https://github.com/leanprover/elan, "
                "to run the lean-marked tests)", allow_module_level=True)
assert LAKE is not None
LAKE_BIN: str = LAKE

MAIN = """\
namespace Tiny

theorem two : 1 + 1 = 2 := by
  sorry

theorem refl_nat (n : Nat) : n = n := sorry

theorem false_one : 1 = 2 := by
  sorry

end Tiny
"""


def _lean_version() -> str:
    out = subprocess.run(["lean", "--version"], capture_output=True, text=True, check=False).stdout
    return out.split("version ", 1)[1].split(",", 1)[0] if "version " in out else ""


@pytest.fixture
def tiny_project(tmp_path: Path) -> Path:
    root = tmp_path / "tiny"
    (root / "Tiny").mkdir(parents=True)
    version = _lean_version()
    if not version:
        pytest.skip("`lean --version` did not report a version")
    (root / "lean-toolchain").write_text(f"leanprover/lean4:v{version}\n")
    (root / "lakefile.lean").write_text("import Lake\nopen Lake DSL\n\npackage tiny\n\n@[default_target]\nlean_lib Tiny\n")
    (root / "Tiny" / "Main.lean").write_text(MAIN)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init"],
                   check=True)
    subprocess.run([LAKE_BIN, "build"], cwd=root, check=True, capture_output=True)
    if locate_repl(root)[0] is None:
        pytest.skip(f"no Lean REPL built for Lean {version} (looked in: {'; '.join(locate_repl(root)[1])}); "
                    "build one as docs/proving.md says")
    return root


def test_prove_verify_and_write_back_with_real_lean(tiny_project: Path, store, home: Path, tmp_path: Path) -> None:
    from database.home import Home
    from leanagent.tracing import AddRequest, add_source
    from prover.driver import ProveRequest, prove_repository
    from prover.generator import AutomationConfig
    from prover.proving import ProverConfig
    from prover.search import SearchConfig
    from prover.writeback import write_back

    add_source(store, AddRequest(source=str(tiny_project), name="tiny"), Home(home))
    repo = store.find_repository("tiny")
    config = ProverConfig(generator=AutomationConfig(tactics=("rfl", "decide", "simp")),
                          search=SearchConfig(timeout=120, tactic_timeout=60))
    summary = prove_repository(store, repo, config=config, request=ProveRequest())
    by_name = {r["full_name"]: r for r in store.proof_attempts.find(repo=repo)}
    assert summary.counts["attempted"] == 3
    assert by_name["Tiny.two"]["status"] == "proved" and by_name["Tiny.two"]["verification"] == "accepted"
    assert by_name["Tiny.refl_nat"]["status"] == "proved"
    assert by_name["Tiny.false_one"]["status"] == "failed"
    assert by_name["Tiny.two"]["lean_version"] == _lean_version()
    result = write_back(tiny_project, store.proof_attempts.accepted_proofs(repo), patch=tmp_path / "p.patch", branch="proofs")
    assert result.files == ("Tiny/Main.lean",)
    # the written file compiles
    subprocess.run([LAKE_BIN, "env", "lean", "Tiny/Main.lean"], cwd=tiny_project, check=True, capture_output=True)


PLACEHOLDER_HEAD = """\
def placeholder : Nat := sorry

theorem sorry_lemma : 1 = 2 := sorry

"""


@pytest.mark.parametrize(("statement", "tactic", "verdict"), [
    ("theorem about : placeholder = placeholder", "rfl", ("accepted", "sorry_placeholder")),
    # the statement names the placeholder, but the proof's sorryAx comes from a sorry lemma
    ("theorem mixed : placeholder = placeholder ∧ 1 = 2", "exact ⟨rfl, sorry_lemma⟩", ("rejected", "axioms")),
    ("theorem cheat : 1 = 2", "exact sorry_lemma", ("rejected", "axioms")),
])
def test_the_sorry_sources_probe_with_real_lean(tmp_path: Path, statement: str, tactic: str,
                                                 verdict: tuple[str, str]) -> None:
    """`SORRY_SOURCES_PROBE` elaborates in a real Lean and names the culprits (no REPL
    needed: only the whole-file check)."""
    from prover.lean.interface import TheoremRef
    from prover.lean.verify import LakeFileChecker, VerifyConfig, verify_proof

    version = _lean_version()
    if not version:
        pytest.skip("`lean --version` did not report a version")
    root = tmp_path / "p"
    root.mkdir()
    (root / "lean-toolchain").write_text(f"leanprover/lean4:v{version}\n")
    (root / "lakefile.lean").write_text("import Lake\nopen Lake DSL\n\npackage p\n\nlean_lib P\n")
    text = PLACEHOLDER_HEAD + statement + " := by\n  sorry\n"
    (root / "P.lean").write_text(text)
    line = text.count("\n") - 1  # the statement's line (1-based)
    name = statement.split()[1]
    ref = TheoremRef(project=root, file="P.lean", full_name=name, statement=statement, start=(line, 1),
                     end=(line + 1, len("  sorry") + 1))
    v = verify_proof(LakeFileChecker(LAKE_BIN), ref, [tactic], config=VerifyConfig(timeout=300),
                     placeholders=["placeholder"])
    assert (v.status, v.reason) == verdict, v.message
