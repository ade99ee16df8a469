"""A proof counts only after Lean accepts it in context.

Tactic-mode REPLs have accepted wrong proofs (leanprover-community/repl#44), so a proof
found by search is written in place of the theorem's proof, the *whole file* is checked
again (``lake env lean --json FILE`` through the backend's `FileChecker`), and the
proof is accepted only if

* the tactics hold no ``sorry``/``admit`` and no command of their own (a tactic text
  can end the ``by`` block and start new commands);
* Lean reports no error anywhere in the file;
* ``#print axioms`` of the theorem names only the standard axioms (``propext``,
  ``Classical.choice``, ``Quot.sound``) -- what Lean FRO's ``comparator`` checks;
* the statement is the indexed one (the file did not change since indexing, and only
  the text after the statement was replaced).

``sorryAx`` is allowed in one case only: the statement names a declaration the index
knows to be a ``sorry`` placeholder (``#print axioms`` follows definitions' values, so
such a theorem depends on ``sorryAx`` whatever its proof). The proof is then accepted
and flagged ``depends_on_sorry``: it proves a statement about a placeholder (the PFR
``0 = 1`` "proofs" of LeanAgent that the maintainers rejected were of this kind).
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from database.lean_text import SORRY_TOKEN, blank_non_code

from .interface import FileChecker, FileCheckResult, LeanEnvError, LeanMessage, TheoremRef, ToolchainMissing
from .processes import run
from .source import SourceError, SourceFile, replace_proof, statement_matches

STANDARD_AXIOMS = ("propext", "Classical.choice", "Quot.sound")

#: Verification outcomes (``proof_attempts.verification``).
ACCEPTED, REJECTED, ERROR = "accepted", "rejected", "error"


@dataclass(frozen=True, kw_only=True)
class VerifyConfig:
    timeout: float = 600.0  # seconds for the whole-file check
    allowed_axioms: tuple[str, ...] = STANDARD_AXIOMS


@dataclass(frozen=True)
class Verification:
    """The verdict on one proof. ``status``: accepted / rejected (Lean or a check said
    no) / error (the check could not be done); ``reason`` names the rule."""

    status: str
    reason: str | None
    message: str
    seconds: float = 0.0
    axioms: tuple[str, ...] | None = None
    depends_on_sorry: bool = False
    command: tuple[str, ...] = ()

    @property
    def accepted(self) -> bool:
        return self.status == ACCEPTED

    def as_json(self) -> dict[str, object]:
        return {"status": self.status, "reason": self.reason, "message": self.message, "seconds": self.seconds,
                "axioms": list(self.axioms) if self.axioms is not None else None,
                "depends_on_sorry": self.depends_on_sorry, "command": list(self.command)}


# -- running Lean on a file ---------------------------------------------------------------------

_TEXT_MESSAGE = re.compile(r"^(?P<file>.*?):(?P<line>\d+):(?P<col>\d+): (?P<sev>error|warning|info|information)"
                           r"(?:\(\w+\))?: ?(?P<text>.*)$")
_SEVERITY = {"information": "info", "info": "info", "warning": "warning", "error": "error"}


def parse_lean_output(stdout: str) -> tuple[LeanMessage, ...]:
    """Messages from ``lean --json`` (one JSON object per line) or, for toolchains that
    print plain text, from ``FILE:LINE:COL: severity: text`` lines (continuation lines
    belong to the message above them)."""
    out: list[LeanMessage] = []
    for raw in stdout.splitlines():
        line = raw.rstrip("\r")
        if line.startswith("{"):
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                obj = None
            if isinstance(obj, dict) and "severity" in obj:
                pos = obj.get("pos") or {}
                out.append(LeanMessage(_SEVERITY.get(str(obj["severity"]), str(obj["severity"])),
                                       pos.get("line"), pos.get("column"), str(obj.get("data", ""))))
                continue
        m = _TEXT_MESSAGE.match(line)
        if m:
            out.append(LeanMessage(_SEVERITY[m["sev"]], int(m["line"]), int(m["col"]), m["text"]))
        elif out and line:
            last = out[-1]
            out[-1] = LeanMessage(last.severity, last.line, last.column, last.text + "\n" + line)
    return tuple(out)


def check_lean_file(command: Sequence[str], project: Path, relative_path: str, text: str, *,
                    timeout: float) -> FileCheckResult:
    """Check ``text`` as ``relative_path`` of ``project`` with ``command --json FILE``
    (e.g. ``lake env lean``), run in the project so that its imports resolve. The text
    goes to a temporary copy: the repository is never touched."""
    tmp = Path(tempfile.mkdtemp(prefix="leanagent-check-"))
    try:
        path = tmp / relative_path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        argv = (*command, "--json", str(path))
        try:
            done = run(argv, cwd=project, timeout=timeout)
        except (FileNotFoundError, PermissionError) as exc:
            raise LeanEnvError(f"cannot run {' '.join(argv)}: {exc}") from exc
        return FileCheckResult(parse_lean_output(done.stdout), done.returncode, done.seconds, done.timed_out,
                               done.stderr[-4000:], tuple(argv))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@dataclass(frozen=True)
class LakeFileChecker:
    """`FileChecker` with ``lake env lean``: used for backends that check no files
    themselves, so that every proof is accepted by the same whole-file rule."""

    lake: str = "lake"

    def check_file(self, project: Path, relative_path: str, text: str, *, timeout: float) -> FileCheckResult:
        exe = shutil.which(self.lake)
        if exe is None:
            raise ToolchainMissing(f"checking a proof in its file needs `{self.lake}` on PATH: install elan "
                                   "(https://github.com/leanprover/elan)")
        return check_lean_file((exe, "env", "lean"), project, relative_path, text, timeout=timeout)


_VERSION = re.compile(r"version (\d+\.\d+\.\d+(?:-[\w.]+)?)")


def lean_version(command: Sequence[str], project: Path, *, timeout: float = 120.0) -> str | None:
    """The version the file checker runs (``lean --version``), e.g. ``4.9.0``."""
    try:
        done = run((*command, "--version"), cwd=project, timeout=timeout)
    except (FileNotFoundError, PermissionError):
        return None
    m = _VERSION.search(done.stdout + done.stderr)
    return m.group(1) if m else None


# -- the verdict ------------------------------------------------------------------------------------

_AXIOMS = re.compile(r"'(?P<name>.+?)' (?:depends on axioms: \[(?P<list>[^\]]*)\]|does not depend on any axioms)")
_ADMIT = re.compile(r"(?<![\w.'])admit(?![\w'!?])")
#: First tokens of a line that would be a new command, not part of a tactic proof.
_COMMANDS = frozenset({
    "theorem", "lemma", "def", "example", "abbrev", "instance", "axiom", "opaque", "structure", "class",
    "inductive", "namespace", "section", "end", "variable", "universe", "mutual", "attribute", "macro",
    "macro_rules", "syntax", "elab", "elab_rules", "notation", "infix", "infixl", "infixr", "prefix", "postfix",
    "import", "noncomputable", "private", "protected", "export", "initialize",
})


def proof_text_problem(tactics: Sequence[str]) -> str | None:
    """Why these tactics cannot be a proof at all, or None."""
    if not tactics or not any(t.strip() for t in tactics):
        return "the proof is empty"
    for tactic in tactics:
        code = blank_non_code(tactic)
        if SORRY_TOKEN.search(code) or _ADMIT.search(code):
            return f"the tactic `{tactic.strip()}` uses sorry/admit"
        for line in code.splitlines():
            first = line.strip().split(" ", 1)[0] if line.strip() else ""
            if first in _COMMANDS or first.startswith(("#", "@[")):
                return f"the tactic `{tactic.strip()}` contains a command (`{first}`), not only tactics"
    return None


def statement_names(statement: str) -> set[str]:
    """Identifiers a statement mentions (dotted names and their last parts)."""
    out: set[str] = set()
    for tok in re.findall(r"[^\s()\[\]{},:⟨⟩=<>+*/^∀∃→↔∧∨¬|;@!]+", blank_non_code(statement)):
        tok = tok.strip(".'")
        if tok and not tok[0].isdigit():
            out.add(tok)
    return out


def placeholders_named(statement: str, placeholders: Iterable[str]) -> list[str]:
    """The sorry placeholders (full names) a statement names, directly or by a suffix
    (``f`` for ``Foo.f`` inside ``namespace Foo``); an over-approximation is fine: it
    only decides what is flagged."""
    names = statement_names(statement)
    found = []
    for full in placeholders:
        parts = full.split(".")
        if any(".".join(parts[i:]) in names for i in range(len(parts))):
            found.append(full)
    return sorted(found)


def verify_proof(checker: FileChecker, theorem: TheoremRef, tactics: Sequence[str], *, config: VerifyConfig,
                 placeholders: Iterable[str] = ()) -> Verification:
    """Check ``tactics`` as the proof of ``theorem`` in its file (see the module doc)."""
    problem = proof_text_problem(tactics)
    if problem is not None:
        return Verification(REJECTED, "proof_text", problem)
    path = theorem.project / theorem.file
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return Verification(ERROR, "source_missing", f"cannot read {path}: {exc}")
    src = SourceFile(text)
    try:
        decl = src.declaration(theorem.start, theorem.end)
    except SourceError as exc:
        return Verification(ERROR, "source_changed", f"{theorem.file}: {exc}")
    if not statement_matches(src, decl, theorem.statement):
        return Verification(ERROR, "source_changed",
                            f"{theorem.file} no longer has the indexed statement of {theorem.full_name}")
    try:
        new_text = replace_proof(src, decl, list(tactics))
    except SourceError as exc:
        return Verification(ERROR, "unsupported", str(exc))
    cut = len(new_text) - (len(text) - decl.end)
    print_line = new_text[:cut].count("\n") + 3  # 1-based line of the inserted command
    checked = new_text[:cut] + f"\n\n#print axioms {theorem.full_name}\n" + new_text[cut:]
    start = time.monotonic()
    try:
        result = checker.check_file(theorem.project, theorem.file, checked, timeout=config.timeout)
    except LeanEnvError as exc:
        return Verification(ERROR, "check_failed", str(exc), time.monotonic() - start)
    seconds = result.seconds
    if result.timed_out:
        return Verification(ERROR, "timeout", f"checking {theorem.file} took longer than {config.timeout:g} s",
                            seconds, command=result.command)
    errors = [m for m in result.messages if m.severity == "error"]
    if errors:
        first = errors[0]
        return Verification(REJECTED, "lean_error", f"line {first.line}: {first.text}", seconds,
                            command=result.command)
    if result.returncode not in (0, None):
        tail = result.stderr.strip().splitlines()[-1:] or [""]
        return Verification(ERROR, "check_failed", f"`{' '.join(result.command)}` exited with "
                            f"{result.returncode} without an error message: {tail[0]}", seconds,
                            command=result.command)
    axioms = _axioms_of(result.messages, theorem.full_name, print_line)
    if axioms is None:
        return Verification(ERROR, "no_axioms_report", f"Lean printed no axioms report for {theorem.full_name}",
                            seconds, command=result.command)
    extra = sorted(set(axioms) - set(config.allowed_axioms))
    if not extra:
        return Verification(ACCEPTED, None, "Lean accepts the proof in its file; standard axioms only", seconds,
                            axioms, command=result.command)
    named = placeholders_named(theorem.statement, placeholders)
    if extra == ["sorryAx"] and named:
        return Verification(ACCEPTED, "sorry_placeholder",
                            "Lean accepts the proof, but the statement depends on sorry placeholder(s): "
                            + ", ".join(named), seconds, axioms, depends_on_sorry=True, command=result.command)
    why = (" (through a declaration proved with sorry)" if extra == ["sorryAx"] else "")
    return Verification(REJECTED, "axioms", f"the proof depends on non-standard axioms: {', '.join(extra)}{why}",
                        seconds, axioms, command=result.command)


def _axioms_of(messages: Sequence[LeanMessage], name: str, line: int) -> tuple[str, ...] | None:
    candidates = []
    for m in messages:
        if m.severity != "info":
            continue
        found = _AXIOMS.search(m.text)
        if found is None:
            continue
        names = tuple(a.strip() for a in (found["list"] or "").split(",") if a.strip())
        if m.line == line:
            return names
        if found["name"] in (name, name.rsplit(".", 1)[-1]):
            candidates.append(names)
    return candidates[-1] if candidates else None
