"""A proof counts only after Lean accepts it in its file; accepted proofs go back to the
repository on a new git branch. Real git repositories in a temp dir; the Lean check is
faked at the process boundary (tests/fakebin/lake on PATH)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from lean_project import git, index_project, make_project, set_lean_rules, use_fake_lake

from database.proofs import AttemptRecord
from prover.lean.interface import TheoremRef
from prover.lean.repl import ReplBackend
from prover.lean.verify import VerifyConfig, parse_lean_output, verify_proof
from prover.writeback import WriteBackError, write_back


@pytest.fixture
def project(tmp_path: Path, store, home: Path):
    root = make_project(tmp_path / "demo")
    repo = index_project(store, home, root)
    refs = {t["full_name"]: TheoremRef(project=root, file=t["file"], full_name=t["full_name"],
                                       statement=t["statement"], start=tuple(t["start"]), end=tuple(t["end"]),
                                       theorem_id=t["id"])
            for t in store.theorems(repo)}
    return root, repo, refs


def _verify(checker, ref, tactics, **kw):
    return verify_proof(checker, ref, tactics, config=VerifyConfig(timeout=kw.pop("timeout", 30)), **kw)


def test_an_accepted_proof_is_checked_in_its_whole_file(project, tmp_path, monkeypatch) -> None:
    root, _, refs = project
    dump = use_fake_lake(monkeypatch, tmp_path)
    checker = ReplBackend(root)
    v = _verify(checker, refs["Demo.attr_thm"], ["simp", "rfl"])
    assert v.accepted and v.reason is None and v.axioms == ("propext",) and not v.depends_on_sorry
    checked = (dump / "000.lean").read_text()
    original = (root / "Demo" / "Basic.lean").read_text()
    # only the proof changed; the axioms report sits right after the theorem
    assert checked.replace(":= by\n  simp\n  rfl\n\n#print axioms Demo.attr_thm\n", ":= by\n  sorry") == original
    assert v.command[:3] == (str(Path(checker.check_command()[0])), "env", "lean")
    assert (root / "Demo" / "Basic.lean").read_text() == original  # the repository is never touched


@pytest.mark.parametrize(("rules", "tactics", "status", "reason"), [
    ({"errors": {"exact bogus": "unknown identifier 'bogus'"}}, ["exact bogus"], "rejected", "lean_error"),
    # the REPL said "finished", but the whole file disagrees (repl#44): still rejected
    ({"errors": {"rfl": "The rfl tactic failed"}}, ["rfl"], "rejected", "lean_error"),
    ({"axioms": {"Demo.easy": ["propext", "sorryAx"]}}, ["exact foo_sorry"], "rejected", "axioms"),
    ({"axioms": {"Demo.easy": ["Lean.ofReduceBool"]}}, ["native_decide"], "rejected", "axioms"),
    ({}, ["sorry"], "rejected", "proof_text"),
    ({}, ["  admit"], "rejected", "proof_text"),
    ({}, ["rfl\ntheorem evil : False := sorry"], "rejected", "proof_text"),
    ({}, [], "rejected", "proof_text"),
    ({"sleep": 3}, ["rfl"], "error", "timeout"),
])
def test_what_is_not_accepted(project, tmp_path, monkeypatch, rules, tactics, status, reason) -> None:
    root, _, refs = project
    use_fake_lake(monkeypatch, tmp_path, rules)
    v = _verify(ReplBackend(root), refs["Demo.easy"], tactics, timeout=1.0)
    assert (v.status, v.reason) == (status, reason), v.message


PLACEHOLDER_RULES = {"axioms": {"Demo.about_placeholder": ["propext", "sorryAx"]},
                     "sorry_sources": {"Demo.about_placeholder": ["Demo.placeholder"]}}


def test_a_statement_about_a_sorry_placeholder_is_accepted_but_flagged(project, tmp_path, monkeypatch) -> None:
    root, _, refs = project
    dump = use_fake_lake(monkeypatch, tmp_path, PLACEHOLDER_RULES)
    ref = refs["Demo.about_placeholder"]
    v = _verify(ReplBackend(root), ref, ["rfl"], placeholders=["Demo.placeholder"])
    assert v.accepted and v.depends_on_sorry and v.reason == "sorry_placeholder" and "Demo.placeholder" in v.message
    clean, probe = (dump / "000.lean").read_text(), (dump / "001.lean").read_text()
    # the clean check ran on the file as it is; only the probe's copy imports Lean
    assert not clean.startswith("import Lean\n") and "leanagent-sorry-sources" not in clean
    assert probe.startswith("import Lean\nimport Demo.Defs\n")
    assert "`Demo.about_placeholder]" in probe and "leanagent-sorry-sources Demo.about_placeholder:" in probe
    # without knowing the placeholder, sorryAx is a rejection
    assert _verify(ReplBackend(root), ref, ["rfl"]).reason == "axioms"


@pytest.mark.parametrize(("sources", "status", "reason"), [
    # the statement names a placeholder, but the proof cites a lemma proved with sorry
    (["Demo.placeholder", "Demo.hard"], "rejected", "axioms"),
    (["Demo.hard"], "rejected", "axioms"),
    (["Demo.about_placeholder"], "rejected", "axioms"),  # the theorem's own value holds sorryAx
    ([], "rejected", "axioms"),
    (None, "rejected", "sorry_source_unknown"),  # Lean printed no report: it cannot tell
    (["Demo.placeholder.proof_1"], "accepted", "sorry_placeholder"),  # an auxiliary of the placeholder
    (["Demo.placeholder.helper"], "rejected", "axioms"),  # not an auxiliary: a declaration of its own
])
def test_sorry_ax_is_accepted_only_when_placeholders_explain_it(project, tmp_path, monkeypatch, sources, status,
                                                                 reason) -> None:
    root, _, refs = project
    rules: dict = {"axioms": {"Demo.about_placeholder": ["propext", "sorryAx"]}}
    if sources is not None:
        rules["sorry_sources"] = {"Demo.about_placeholder": sources}
    use_fake_lake(monkeypatch, tmp_path, rules)
    v = _verify(ReplBackend(root), refs["Demo.about_placeholder"], ["exact Demo.hard ▸ rfl"],
                placeholders=["Demo.placeholder"])
    assert (v.status, v.reason, v.depends_on_sorry) == (status, reason, status == "accepted"), v.message


def test_sorry_sources_need_import_lean_and_a_report() -> None:
    from prover.lean.interface import LeanMessage
    from prover.lean.verify import SORRY_SOURCES_PROBE, sorry_sources_report

    text = SORRY_SOURCES_PROBE.format(name="A.b")
    assert "[`A.b]" in text and 'leanagent-sorry-sources A.b: [{String.intercalate' in text
    msgs = [LeanMessage("info", 3, 0, "leanagent-sorry-sources A.c: [X]"),
            LeanMessage("info", 3, 0, "leanagent-sorry-sources A.b: [X.y, Z]")]
    assert sorry_sources_report(msgs, "A.b") == ("X.y", "Z")
    assert sorry_sources_report(msgs, "A.d") is None
    assert sorry_sources_report([LeanMessage("error", 3, 0, "leanagent-sorry-sources A.b: []")], "A.b") is None


def test_only_definitions_holding_sorry_are_placeholders(project, store) -> None:
    from prover.driver import sorry_placeholders

    _, repo, _ = project
    assert sorry_placeholders(store, repo) == ("Demo.placeholder",)  # not the sorry theorems


def test_a_changed_file_is_not_verified(project, tmp_path, monkeypatch) -> None:
    root, _, refs = project
    use_fake_lake(monkeypatch, tmp_path)
    path = root / "Demo" / "Basic.lean"
    path.write_text(path.read_text().replace("theorem easy (x : Nat) : x = x", "theorem easy (x : Int) : x = x"))
    v = _verify(ReplBackend(root), refs["Demo.easy"], ["rfl"])
    assert (v.status, v.reason) == ("error", "source_changed")


def test_lean_messages_in_json_and_in_text() -> None:
    out = parse_lean_output(
        '{"severity": "information", "pos": {"line": 3, "column": 0}, "data": "\'A.b\' depends on axioms: [propext]"}\n'
        "Demo/Basic.lean:12:2: error: unsolved goals\n⊢ False\n"
        "Demo/Basic.lean:14:0: warning: declaration uses 'sorry'\n")
    assert [(m.severity, m.line) for m in out] == [("info", 3), ("error", 12), ("warning", 14)]
    assert out[1].text == "unsolved goals\n⊢ False"


# -- write-back ------------------------------------------------------------------------------------------


def _accept(store, ref: TheoremRef, proof: str, *, flag: bool = False) -> None:
    assert ref.theorem_id is not None
    store.proof_attempts.record(AttemptRecord(
        theorem_id=ref.theorem_id, purpose="sorry", backend="repl", generator="automation", status="proved",
        stop_reason="proved", started_at="2026-01-01T00:00:00+00:00", finished_at="2026-01-01T00:00:01+00:00",
        verification="accepted", proof=proof, depends_on_sorry=flag))


def test_write_back_commits_on_a_new_branch_with_a_patch(project, store, tmp_path) -> None:
    root, repo, refs = project
    _accept(store, refs["Demo.easy"], "rfl")
    _accept(store, refs["Demo.attr_thm"], "simp\nrfl")
    proofs = store.proof_attempts.accepted_proofs(repo)
    assert [p.full_name for p in proofs] == ["Demo.easy", "Demo.attr_thm"]
    before = git(root, "rev-parse", "HEAD").strip()
    result = write_back(root, proofs, patch=tmp_path / "out" / "proofs.patch", branch="leanagent/test")
    assert result.branch == "leanagent/test" and result.previous == "main"
    assert result.checks == {"Demo/Basic.lean": "content hash"}
    text = (root / "Demo" / "Basic.lean").read_text()
    assert "theorem easy (x : Nat) : x = x := by\n  rfl\n" in text
    assert "@[simp] theorem attr_thm (n : Nat) :\n    n + 0 = n := by\n  simp\n  rfl\n" in text
    assert text.count("sorry") == 3  # the module doc, about_placeholder, hard
    assert git(root, "rev-parse", "--abbrev-ref", "HEAD").strip() == "leanagent/test"
    assert git(root, "rev-parse", "HEAD~1").strip() == before
    assert git(root, "status", "--porcelain").strip() == ""
    assert "theorem easy" in git(root, "show", "main:Demo/Basic.lean") and \
        "  sorry" in git(root, "show", "main:Demo/Basic.lean")  # the original branch is unchanged
    patch = result.patch.read_text()
    assert patch.startswith("From ") and "+  rfl" in patch
    # the patch applies to the original branch
    git(root, "checkout", "-q", "main")
    subprocess.run(["git", "-C", str(root), "apply", "--check", str(result.patch)], check=True)
    assert "origin" not in git(root, "remote")  # nothing to push to, and nothing pushed


def test_write_back_refuses_a_file_changed_since_indexing(project, store, tmp_path) -> None:
    root, repo, refs = project
    _accept(store, refs["Demo.easy"], "rfl")
    path = root / "Demo" / "Basic.lean"
    path.write_text(path.read_text() + "\n-- edited\n")
    git(root, "commit", "-qam", "edit")
    head = git(root, "rev-parse", "HEAD")
    with pytest.raises(WriteBackError, match="changed since it was indexed"):
        write_back(root, store.proof_attempts.accepted_proofs(repo), patch=tmp_path / "p.patch", branch="b1")
    assert git(root, "rev-parse", "HEAD") == head and "b1" not in git(root, "branch")
    assert not (tmp_path / "p.patch").exists()


def test_write_back_refuses_uncommitted_changes_and_an_existing_branch(project, store, tmp_path) -> None:
    root, repo, refs = project
    _accept(store, refs["Demo.easy"], "rfl")
    git(root, "branch", "taken")
    with pytest.raises(WriteBackError, match="already exists"):
        write_back(root, store.proof_attempts.accepted_proofs(repo), patch=tmp_path / "p.patch", branch="taken")
    basic = root / "Demo" / "Basic.lean"
    original = basic.read_bytes()
    basic.write_bytes(original.replace(b"Demo theorems", b"Demo  theorems"))
    with pytest.raises(WriteBackError, match="changed since it was indexed"):
        write_back(root, store.proof_attempts.accepted_proofs(repo), patch=tmp_path / "p.patch", branch="b")
    basic.write_bytes(original)
    # an uncommitted change elsewhere is left alone and stays out of the commit
    (root / "Demo" / "Defs.lean").write_text("-- dirty\n")
    res = write_back(root, store.proof_attempts.accepted_proofs(repo), patch=tmp_path / "p.patch", branch="ok")
    assert res.files == ("Demo/Basic.lean",)
    assert (root / "Demo" / "Defs.lean").read_text() == "-- dirty\n"
    assert "Defs.lean" not in git(root, "show", "--stat", "HEAD")


def test_write_back_outside_git_and_without_proofs(tmp_path, project, store) -> None:
    _, repo, _ = project
    with pytest.raises(WriteBackError, match="no accepted proof"):
        write_back(tmp_path, [], patch=tmp_path / "p.patch")
    plain = tmp_path / "plain"
    plain.mkdir()
    _accept(store, project[2]["Demo.easy"], "rfl")
    with pytest.raises(WriteBackError, match="not a git checkout"):
        write_back(plain, store.proof_attempts.accepted_proofs(repo), patch=tmp_path / "p.patch")


def test_proof_text_that_uses_a_tactic_named_like_a_command_is_fine(project, tmp_path, monkeypatch) -> None:
    root, _, refs = project
    use_fake_lake(monkeypatch, tmp_path)
    set_lean_rules(tmp_path, {})
    v = _verify(ReplBackend(root), refs["Demo.easy"], ["open Nat in\n  simp", "set_option maxRecDepth 100 in rfl"])
    assert v.accepted, v.message


def test_backends_without_their_own_file_check_are_checked_with_lake(project, tmp_path, monkeypatch) -> None:
    from prover.lean.verify import LakeFileChecker

    _, _, refs = project
    use_fake_lake(monkeypatch, tmp_path)
    v = _verify(LakeFileChecker(), refs["Demo.easy"], ["rfl"])
    assert v.accepted and v.command[1:3] == ("env", "lean")
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    v = _verify(LakeFileChecker(), refs["Demo.easy"], ["rfl"])
    assert (v.status, v.reason) == ("error", "check_failed") and "elan" in v.message
