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

``sorryAx`` is allowed in one case only: every declaration that brings it in is one the
index knows to be a ``sorry`` placeholder (``#print axioms`` follows the statement's and
the proof's constants, so a theorem about ``def f : Nat := sorry`` depends on ``sorryAx``
whatever its proof). ``#print axioms`` alone cannot say *where* ``sorryAx`` comes from
(the proof could as well cite a lemma that was proved with ``sorry``), so a second check
of the file asks Lean for the *sorry sources*: the declarations reachable from the theorem
(through types, values and constructors) whose own type or value contains ``sorryAx``
(`SORRY_SOURCES_PROBE`, a metaprogram run by ``#eval`` after the theorem, with ``import
Lean`` put first in the checked copy). The proof is accepted and flagged
``depends_on_sorry`` only if there are sources and each is a known placeholder (or one of
its auxiliary declarations, ``f.proof_1``, ``f.match_1``, ``f._...``); if Lean prints no
such report, the proof is refused: Lean's output could not tell. Such a proof proves a
statement about a placeholder (the PFR ``0 = 1`` "proofs" of LeanAgent that the
maintainers rejected were of this kind) and is counted apart from clean proofs
(`prover.proving.summarize`).
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
    known = tuple(placeholders)
    if extra != ["sorryAx"] or not known:
        why = (" (through a declaration proved with sorry)" if extra == ["sorryAx"] else "")
        return Verification(REJECTED, "axioms", f"the proof depends on non-standard axioms: {', '.join(extra)}{why}",
                            seconds, axioms, command=result.command)
    return _placeholder_verdict(checker, theorem, new_text, cut, known, config=config, seconds=seconds,
                                axioms=axioms, command=result.command)


#: Lean 4 metaprogram printing the declarations reachable from the theorem whose own type
#: or value contains ``sorryAx`` (what ``#print axioms`` collects, with the culprits kept;
#: cf. ``Lean.CollectAxioms`` in Lean 4's src/Lean/Util/CollectAxioms.lean). ``{name}`` is
#: the theorem's name. Its report is one info message: ``leanagent-sorry-sources NAME: [A, B]``.
SORRY_SOURCES_PROBE = """open Lean in
#eval show CoreM Unit from do
  let env ← getEnv
  let mut seen : NameSet := {{}}
  let mut todo : List Name := [`{name}]
  let mut sources : Array Name := #[]
  repeat
    match todo with
    | [] => break
    | c :: rest =>
      todo := rest
      unless seen.contains c do
        seen := seen.insert c
        if let some ci := env.find? c then
          let mut used := ci.type.getUsedConstants
          if let some v := ci.value? then
            used := used ++ v.getUsedConstants
          if let .inductInfo iv := ci then
            used := used ++ iv.ctors.toArray
          if used.contains ``sorryAx then
            sources := sources.push c
          todo := used.toList ++ todo
  logInfo s!"leanagent-sorry-sources {name}: [{{String.intercalate ", " (sources.toList.map toString)}}]"
"""
_SOURCES = re.compile(r"leanagent-sorry-sources (?P<name>\S+): \[(?P<list>[^\]]*)\]")
#: Auxiliary declarations Lean makes for a declaration ``f`` (``f.proof_1``, ``f.match_1``,
#: ``f._unary``, ``f.eq_1``...): a ``sorry`` inside ``f`` may land in one of them.
_AUXILIARY = re.compile(r"(?:_[^.]*|proof_\d+|match_\d+|eq_\d+|eq_def)(?:\..*)?")


def _is_placeholder(source: str, placeholders: Sequence[str]) -> str | None:
    """The placeholder ``source`` belongs to (itself, or one of its auxiliary declarations)."""
    for p in placeholders:
        if source == p or (source.startswith(p + ".") and _AUXILIARY.fullmatch(source[len(p) + 1:])):
            return p
    return None


def sorry_sources_report(messages: Sequence[LeanMessage], name: str) -> tuple[str, ...] | None:
    """The sorry sources `SORRY_SOURCES_PROBE` printed for ``name``, or None."""
    for m in messages:
        found = _SOURCES.search(m.text) if m.severity == "info" else None
        if found is not None and found["name"] == name:
            return tuple(a.strip() for a in found["list"].split(",") if a.strip())
    return None


def _placeholder_verdict(checker: FileChecker, theorem: TheoremRef, new_text: str, cut: int,
                         placeholders: Sequence[str], *, config: VerifyConfig, seconds: float,
                         axioms: tuple[str, ...], command: tuple[str, ...]) -> Verification:
    """``sorryAx`` is the only non-standard axiom and the repository has placeholders: ask
    Lean which declarations bring ``sorryAx`` in, and accept (flagged) only if all of them
    are placeholders. ``import Lean`` goes first in this copy only, so that the clean check
    above ran on the file exactly as the user has it."""
    probe = "import Lean\n" + new_text[:cut] + "\n\n" + SORRY_SOURCES_PROBE.format(name=theorem.full_name) \
        + new_text[cut:]
    refused = "the proof depends on sorryAx, and "
    try:
        result = checker.check_file(theorem.project, theorem.file, probe, timeout=config.timeout)
    except LeanEnvError as exc:
        return Verification(REJECTED, "sorry_source_unknown", refused + f"asking Lean where it comes from failed: {exc}",
                            seconds, axioms, command=command)
    seconds += result.seconds
    sources = None if result.timed_out else sorry_sources_report(result.messages, theorem.full_name)
    if sources is None:
        errors = [m for m in result.messages if m.severity == "error"]
        why = ("the check timed out" if result.timed_out else
               f"line {errors[0].line}: {errors[0].text}" if errors else "Lean printed no sorry-sources report")
        return Verification(REJECTED, "sorry_source_unknown",
                            refused + f"Lean's output cannot tell where it comes from ({why})", seconds, axioms,
                            command=command)
    owners = {s: _is_placeholder(s, placeholders) for s in sources}
    strays = [s for s, owner in owners.items() if owner is None]
    if not sources or strays:
        what = ", ".join(strays) if strays else "no declaration"
        return Verification(REJECTED, "axioms", refused + f"it comes from {what}, not from a sorry placeholder",
                            seconds, axioms, command=command)
    used = sorted({o for o in owners.values() if o is not None})
    return Verification(ACCEPTED, "sorry_placeholder",
                        "Lean accepts the proof, but it depends on sorry placeholder(s): " + ", ".join(used)
                        + " (the only sources of sorryAx)", seconds, axioms, depends_on_sorry=True,
                        command=command)


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
