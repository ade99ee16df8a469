"""A tiny Lean project and what lean-dojo's ExtractData.lean would write for it.

No Lean toolchain can run here, so these tests stand in for the one step that needs it:
``lake env lean --run ExtractData.lean`` (lean-dojo 4.20.0's
``data_extraction/ExtractData.lean``), which writes, per file, ``<build>/ir/<path>.ast.json``
(the command syntax trees, tactic states, premise uses) and ``<path>.dep_paths``. The JSON
built here follows that program's format: Lean's derived `ToJson` of `Syntax` and
`SourceInfo` (``{"node": {"info", "kind", "args"}}``, ``{"atom": {"info", "val"}}``,
``{"ident": {"info", "rawVal", "val", "preresolved"}}``, byte positions in ``original``),
``TacticTrace`` and ``PremiseTrace`` records. Everything after that step -- parsing into
`TracedFile`s, the XML cache, loading, the dependency graph -- is lean-dojo's own code.

Token positions are found by scanning the source in order, so a syntax tree must list its
tokens in source order; whitespace after a token is its ``trailing`` text, as in Lean.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
from pathlib import Path
from typing import Any

#: lean-dojo is an optional extra. Tests check for it without importing it: importing
#: lean_dojo creates ~/.cache/lean_dojo and replaces loguru's handlers in this process.
HAS_LEANDOJO = importlib.util.find_spec("lean_dojo") is not None
NO_LEANDOJO = "lean-dojo is not installed (pip install 'leanagent[leandojo]')"

TOOLCHAIN = "leanprover/lean4:v4.20.0\n"

BASIC = """namespace Toy

def double (n : Nat) : Nat := n + n

theorem double_eq (n : Nat) : double n = n + n := rfl

def unfinished : Nat := sorry

end Toy
"""

ARITH = """import Toy.Basic

namespace Toy

theorem add_zero' (n : Nat) : n + 0 = n := by
  rw [Nat.add_zero]

theorem double_zero : double 0 = 0 := by
  simp [double]

theorem with_sorry (n : Nat) : double n = n + n := by
  sorry

end Toy
"""

# Lean core, as lean-dojo's tracer copies it to .lake/packages/lean4 (a prelude file).
INIT = """prelude
theorem Nat.add_zero (n : Nat) : n + 0 = n := rfl
"""

INIT_PATH = ".lake/packages/lean4/src/lean/Init.lean"


class Syn:
    """Builds the syntax JSON of one file, placing tokens by scanning its text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.cursor = 0
        self.infos: list[tuple[int, int, dict[str, Any]]] = []  # (start char, end char, info)

    def _byte(self, char_index: int) -> int:
        return len(self.text[:char_index].encode("utf-8"))

    def _place(self, token: str) -> dict[str, Any]:
        start = self.text.index(token, self.cursor)
        end = start + len(token)
        self.cursor = end
        info = {"original": {"leading": "", "pos": self._byte(start), "trailing": "", "endPos": self._byte(end)}}
        self.infos.append((start, end, info))
        return info

    def atom(self, token: str) -> dict[str, Any]:
        return {"atom": {"info": self._place(token), "val": token}}

    def ident(self, name: str) -> dict[str, Any]:
        return {"ident": {"info": self._place(name), "rawVal": name, "val": name, "preresolved": []}}

    @staticmethod
    def node(kind: str, *args: dict[str, Any]) -> dict[str, Any]:
        return {"node": {"info": "none", "kind": kind, "args": list(args)}}

    def null(self, *args: dict[str, Any]) -> dict[str, Any]:
        return self.node("null", *args)

    def finish(self) -> None:
        """Fill in leading/trailing text: everything between tokens trails the earlier one."""
        for i, (start, end, info) in enumerate(self.infos):
            nxt = self.infos[i + 1][0] if i + 1 < len(self.infos) else len(self.text)
            info["original"]["trailing"] = self.text[end:nxt]
            if i == 0:
                info["original"]["leading"] = self.text[:start]

    def line_col(self, char_index: int) -> dict[str, int]:
        """Lean's `Position`: 1-based line, 0-based codepoint column."""
        before = self.text[:char_index]
        return {"line": before.count("\n") + 1, "column": char_index - (before.rfind("\n") + 1)}

    # -- pieces of Lean's grammar --------------------------------------------------------

    def header(self, *imports: str, prelude: bool = False) -> dict[str, Any]:
        pre = self.null(self.node("Lean.Parser.Module.prelude", self.atom("prelude"))) if prelude else self.null()
        imps = [self.node("Lean.Parser.Module.import", self.atom("import"), self.null(), self.ident(m))
                for m in imports]
        return self.node("Lean.Parser.Module.header", pre, self.null(*imps))

    def modifiers(self) -> dict[str, Any]:
        return self.node("Lean.Parser.Command.declModifiers", *(self.null() for _ in range(6)))

    def binder(self, name: str, typ: str) -> dict[str, Any]:
        return self.node("Lean.Parser.Term.explicitBinder", self.atom("("), self.null(self.ident(name)),
                         self.null(self.atom(":"), self.ident(typ)), self.null(), self.atom(")"))

    def term(self, *tokens: str) -> dict[str, Any]:
        """An expression, as a flat node of its tokens (identifiers for words, atoms otherwise)."""
        parts = [self.ident(t) if t[0].isalpha() else self.atom(t) for t in tokens]
        return self.node("Lean.Parser.Term.app", *parts)

    def decl_val(self, body_fn: Any) -> dict[str, Any]:
        assign = self.atom(":=")
        return self.node("Lean.Parser.Command.declValSimple", assign, body_fn(),
                         self.node("Lean.Parser.Termination.suffix", self.null(), self.null()), self.null())

    def theorem(self, name: str, binders: list[tuple[str, str]], typ: list[str], body_fn: Any) -> dict[str, Any]:
        kw = self.atom("theorem")
        decl_id = self.node("Lean.Parser.Command.declId", self.ident(name), self.null())
        sig = self.node("Lean.Parser.Command.declSig", self.null(*(self.binder(n, t) for n, t in binders)),
                        self.node("Lean.Parser.Term.typeSpec", self.atom(":"), self.term(*typ)))
        return self.node("Lean.Parser.Command.declaration", self.modifiers(),
                         self.node("Lean.Parser.Command.theorem", kw, decl_id, sig, self.decl_val(body_fn)))

    def definition(self, name: str, binders: list[tuple[str, str]], typ: str, body: list[str]) -> dict[str, Any]:
        kw = self.atom("def")
        decl_id = self.node("Lean.Parser.Command.declId", self.ident(name), self.null())
        sig = self.node("Lean.Parser.Command.optDeclSig", self.null(*(self.binder(n, t) for n, t in binders)),
                        self.null(self.node("Lean.Parser.Term.typeSpec", self.atom(":"), self.ident(typ))))
        return self.node("Lean.Parser.Command.declaration", self.modifiers(),
                         self.node("Lean.Parser.Command.def", kw, decl_id, sig, self.decl_val(lambda: self.term(*body)),
                                   self.null()))

    def by(self, *tactic_fns: Any) -> dict[str, Any]:
        kw = self.atom("by")
        seq: list[dict[str, Any]] = []
        for i, fn in enumerate(tactic_fns):
            if i:
                seq.append(self.null())
            seq.append(fn())
        return self.node("Lean.Parser.Term.byTactic", kw, self.node(
            "Lean.Parser.Tactic.tacticSeq", self.node("Lean.Parser.Tactic.tacticSeq1Indented", self.null(*seq))))

    def namespace(self, name: str) -> dict[str, Any]:
        return self.node("Lean.Parser.Command.namespace", self.atom("namespace"), self.ident(name))

    def end(self, name: str) -> dict[str, Any]:
        return self.node("Lean.Parser.Command.end", self.atom("end"), self.null(self.ident(name)))


def span(node: dict[str, Any]) -> tuple[int, int]:
    """(first byte, end byte) of a syntax tree's tokens: the positions ExtractData records."""
    found: list[tuple[int, int]] = []

    def walk(d: dict[str, Any]) -> None:
        for key in ("atom", "ident"):
            if key in d:
                o = d[key]["info"]["original"]
                found.append((o["pos"], o["endPos"]))
        if "node" in d:
            for a in d["node"]["args"]:
                walk(a)

    walk(node)
    return min(s for s, _ in found), max(e for _, e in found)


def _defpos(text: str, name: str, after: str) -> tuple[dict[str, int], dict[str, int]]:
    s = Syn(text)
    i = text.index(name, text.index(after))
    return s.line_col(i), s.line_col(i + len(name))


def build_traces() -> dict[str, dict[str, Any]]:
    """Path of each ``.ast.json`` (relative to the traced root) -> its content."""
    out: dict[str, dict[str, Any]] = {}

    # Lean core: Init.lean
    s = Syn(INIT)
    cmds = [s.header(prelude=True),
            s.theorem("Nat.add_zero", [("n", "Nat")], ["n", "+", "0", "=", "n"], lambda: s.ident("rfl"))]
    s.finish()
    out[".lake/packages/lean4/lib/lean/Init.ast.json"] = {"commandASTs": cmds, "tactics": [], "premises": []}

    # Toy/Basic.lean
    s = Syn(BASIC)
    cmds = [s.header(), s.namespace("Toy"),
            s.definition("double", [("n", "Nat")], "Nat", ["n", "+", "n"]),
            s.theorem("double_eq", [("n", "Nat")], ["double", "n", "=", "n", "+", "n"], lambda: s.ident("rfl")),
            s.definition("unfinished", [], "Nat", ["sorry"]),
            s.end("Toy")]
    s.finish()
    out[".lake/build/ir/Toy/Basic.ast.json"] = {"commandASTs": cmds, "tactics": [], "premises": []}

    # Toy/Arith.lean
    s = Syn(ARITH)
    tactics: list[dict[str, Any]] = []
    premises: list[dict[str, Any]] = []

    def traced(node: dict[str, Any], before: str, after: str) -> dict[str, Any]:
        a, b = span(node)
        tactics.append({"stateBefore": before, "stateAfter": after, "pos": a, "endPos": b})
        return node

    def premise(name: str, full: str, def_file: str, def_text: str, after: str, mod: str) -> dict[str, Any]:
        ident = s.ident(name)
        o = ident["ident"]["info"]["original"]
        start_char = len(ARITH.encode()[: o["pos"]].decode())
        d0, d1 = _defpos(def_text, full.split(".")[-1] if mod != "Init" else full, after)
        premises.append({"fullName": full, "defPos": d0, "defEndPos": d1, "modName": mod, "defPath": def_file,
                         "pos": s.line_col(start_char), "endPos": s.line_col(start_char + len(name))})
        return ident

    def rw() -> dict[str, Any]:
        kw = s.atom("rw")
        rule = s.node("Lean.Parser.Tactic.rwRuleSeq", s.atom("["), s.null(s.node(
            "Lean.Parser.Tactic.rwRule", s.null(),
            premise("Nat.add_zero", "Nat.add_zero", INIT_PATH, INIT, "theorem", "Init"))), s.atom("]"))
        return traced(s.node("Lean.Parser.Tactic.rwSeq", kw, s.null(), rule, s.null()),
                      "n : Nat\n⊢ n + 0 = n", "no goals")

    def simp() -> dict[str, Any]:
        kw = s.atom("simp")
        args = [s.atom("["), s.null(premise("double", "Toy.double", "Toy/Basic.lean", BASIC, "def", "Toy.Basic")),
                s.atom("]")]
        return traced(s.node("Lean.Parser.Tactic.simp", kw, s.null(), s.null(), s.null(), *args, s.null()),
                      "⊢ double 0 = 0", "no goals")

    def sorry() -> dict[str, Any]:
        return traced(s.node("Lean.Parser.Tactic.tacticSorry", s.atom("sorry")),
                      "n : Nat\n⊢ double n = n + n", "no goals")

    cmds = [s.header("Toy.Basic"), s.namespace("Toy"),
            s.theorem("add_zero'", [("n", "Nat")], ["n", "+", "0", "=", "n"], lambda: s.by(rw)),
            s.theorem("double_zero", [], ["double", "0", "=", "0"], lambda: s.by(simp)),
            s.theorem("with_sorry", [("n", "Nat")], ["double", "n", "=", "n", "+", "n"], lambda: s.by(sorry)),
            s.end("Toy")]
    s.finish()
    out[".lake/build/ir/Toy/Arith.ast.json"] = {"commandASTs": cmds, "tactics": tactics, "premises": premises}
    return out


DEP_PATHS = {
    ".lake/packages/lean4/lib/lean/Init.dep_paths": "",
    ".lake/build/ir/Toy/Basic.dep_paths": "",
    ".lake/build/ir/Toy/Arith.dep_paths": "Toy/Basic.lean",
}


def git(cwd: Path, *args: str) -> str:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "PATH": "/usr/bin:/bin", "HOME": str(cwd)}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout.strip()


def write_project(root: Path) -> str:
    """The Lean project as a git repository; returns its commit."""
    (root / "Toy").mkdir(parents=True)
    (root / "lean-toolchain").write_text(TOOLCHAIN)
    # No Toy.lean root module: the library is every file under Toy/.
    (root / "lakefile.lean").write_text("import Lake\nopen Lake DSL\n\npackage toy\n\n@[default_target]\n"
                                        "lean_lib Toy where\n  globs := #[.submodules `Toy]\n")
    (root / "Toy" / "Basic.lean").write_text(BASIC)
    (root / "Toy" / "Arith.lean").write_text(ARITH)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "toy")
    return git(root, "rev-parse", "HEAD")


def write_extract_outputs(dest: Path) -> None:
    """What `lake build` + ExtractData.lean leave in a traced checkout (Lean core included)."""
    for rel, data in build_traces().items():
        p = dest / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps(data, ensure_ascii=False))
    for rel, text in DEP_PATHS.items():
        (dest / rel).write_text(text)
    init = dest / INIT_PATH
    init.parent.mkdir(parents=True, exist_ok=True)
    init.write_text(INIT)


def write_fake_lean4(root: Path) -> str:
    """A local stand-in for github.com/leanprover/lean4 (lean-dojo's dependency of every
    traced repository, which it would build from the GitHub API)."""
    root.mkdir(parents=True)
    (root / "lean-toolchain").write_text(TOOLCHAIN)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "lean4")
    return git(root, "rev-parse", "HEAD")
