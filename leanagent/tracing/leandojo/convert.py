"""LeanDojo's traced objects -> `database.records`.

Input: a `lean_dojo.TracedRepo` (or anything with the same attributes: `LEANDOJO_API`
lists every attribute and method used here, and a test checks that list against the
installed lean-dojo, so an upstream rename fails a test rather than a user's trace).
Output, in the order `Store.ingest` needs it: every traced file (imports and premises:
LeanDojo's ``corpus.jsonl``), then theorems with their traced tactics (LeanDojo's
``random/*.json`` records), then non-theorem declarations holding `sorry`.

The records are what the export importer produces from a LeanDojo export of the same
repository (`database.leandojo_export`), so a traced repository and an imported export
are interchangeable downstream. That fixes the choices below:

* tactics are filtered as LeanDojo's benchmark generator filters them (steps whose
  ``state_before`` is ``no goals`` and tactics containing ``·`` are dropped; duplicates
  were already dropped by `TracedTheorem.get_traced_tactics`);
* theorems of Lean core (``.lake/packages/lean4/...``) are left out, as in every LeanDojo
  export; its files and premises are kept, since proofs use them;
* premises LeanDojo's own loaders drop (no name, ``user__.n``, ``[``-encoded mutual
  blocks) are dropped.

Unlike an export, the traced repository has the sources: `sorry` tokens and proof styles
come from each theorem's own text (``sorry_checked = "source"``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from database.lean_text import (
    LineIndex,
    blank_non_code,
    declaration_keyword,
    proof_style_of,
    sorry_offsets,
    sorry_positions,
)
from database.records import (
    DeclarationSorries,
    Diagnostic,
    FileRecord,
    LinkRecord,
    PremiseRecord,
    SorryRecord,
    StepRecord,
    TheoremRecord,
)

#: What this module reads from lean-dojo's classes: class -> attributes (properties and
#: fields) and methods with the parameters it passes (checked against the installed
#: lean-dojo by tests/test_leandojo_convert.py).
LEANDOJO_API: dict[str, dict[str, tuple[str, ...]]] = {
    "TracedRepo": {"attributes": ("repo", "traced_files", "traced_files_graph"), "methods": ()},
    "TracedFile": {
        "attributes": ("path", "abs_path", "lean_file"),
        "methods": ("get_traced_theorems()", "get_premise_definitions()", "get_direct_dependencies(repo)"),
    },
    "TracedTheorem": {
        "attributes": ("theorem", "start", "end"),
        "methods": ("get_theorem_statement()", "has_tactic_proof()", "get_traced_tactics()"),
    },
    "TracedTactic": {
        "attributes": ("tactic", "state_before", "state_after", "start"),
        "methods": ("get_annotated_tactic()",),
    },
    "Theorem": {"attributes": ("full_name",), "methods": ()},
    "LeanFile": {"attributes": ("num_lines",), "methods": ("__getitem__(key)",)},
}

#: Files of Lean core, copied by LeanDojo's tracer from ``lean --print-prefix``.
CORE_PREFIXES = (".lake/packages/lean4/", "lake-packages/lean4/")
_THEOREM_KEYWORDS = frozenset({"theorem", "lemma"})


@dataclass(frozen=True)
class ConvertConfig:
    #: The lean-dojo version that traced: part of each file's content hash, since two
    #: extractor versions may read the same file differently.
    leandojo_version: str
    #: Keep theorems of Lean core (LeanDojo's exports never do).
    include_core_theorems: bool = False


def _posix(path: Any) -> str:
    return PurePath(path).as_posix()


def _pos(p: Any) -> tuple[int, int]:
    line, col = tuple(p)
    return (int(line), int(col))


def is_core_path(path: str) -> bool:
    return path.startswith(CORE_PREFIXES)


def content_hash(data: bytes, leandojo_version: str) -> str:
    h = hashlib.sha256(f"lean-dojo {leandojo_version}\0".encode())
    h.update(data)
    return "leandojo:" + h.hexdigest()[:32]


def _keep_premise(full_name: Any) -> bool:
    return isinstance(full_name, str) and "user__.n" not in full_name and not full_name.startswith("[")


def file_record(tf: Any, traced_repo: Any, config: ConvertConfig) -> FileRecord:
    path = _posix(tf.path)
    graph = traced_repo.traced_files_graph
    if graph is not None and graph.has_node(str(tf.path)):
        imports = [_posix(p) for p in graph.successors(str(tf.path))]
    else:
        imports = sorted(_posix(p) for _, p in tf.get_direct_dependencies(traced_repo.repo))
    premises = [
        PremiseRecord(p["full_name"], p["code"], p["kind"], _pos(p["start"]), _pos(p["end"]))
        for p in tf.get_premise_definitions()
        if _keep_premise(p.get("full_name")) and isinstance(p.get("code"), str)
    ]
    data = _read_bytes(tf)
    return FileRecord(path, imports, premises, content_hash(data, config.leandojo_version), tf.lean_file.num_lines)


def _read_bytes(tf: Any) -> bytes:
    with open(tf.abs_path, "rb") as fh:
        return fh.read()


def _statement(thm: Any) -> str:
    text = str(thm.get_theorem_statement()).strip()
    if text.endswith(":="):
        text = text[:-2].rstrip()
    return text


def step_records(thm: Any) -> list[StepRecord]:
    steps = []
    for tac in thm.get_traced_tactics():
        # LeanDojo's benchmark generator drops these (see the module docstring).
        if tac.state_before == "no goals" or "·" in tac.tactic:
            continue
        marked, provenances = tac.get_annotated_tactic()
        links = [
            LinkRecord(
                full_name=p["full_name"],
                def_path=_posix(p["def_path"]),
                def_pos=_pos(p["def_pos"]),
                def_end_pos=_pos(p["def_end_pos"]),
                resolution="leandojo",
            )
            for p in provenances
        ]
        steps.append(StepRecord(
            tactic=tac.tactic,
            annotated_tactic=marked,
            state_before=tac.state_before,
            state_after=tac.state_after,
            links=links,
            start=_pos(tac.start),
        ))
    return steps


def theorem_record(tf: Any, thm: Any) -> TheoremRecord:
    path = _posix(tf.path)
    start, end = _pos(thm.start), _pos(thm.end)
    statement = _statement(thm)
    text = tf.lean_file[start:end]
    blanked = blank_non_code(text)
    index = LineIndex(text, start)
    sorries = [SorryRecord(*index.pos(o), "source") for o in sorry_offsets(text, blanked=blanked)]
    style = "tactic" if thm.has_tactic_proof() else proof_style_of(blanked)
    steps = step_records(thm)
    kind = declaration_keyword(statement) or "theorem"
    return TheoremRecord(
        file_path=path,
        full_name=thm.theorem.full_name,
        start=start,
        end=end,
        statement=statement,
        kind=kind if kind in _THEOREM_KEYWORDS else "theorem",
        proof_style=style,
        steps=steps,
        num_steps=len(steps),
        sorries=sorries,
        sorry_checked="source",
    )


def declaration_sorries(tf: Any, premises: list[PremiseRecord]) -> Iterator[DeclarationSorries]:
    """Definitions, instances ... (not theorems) whose text holds `sorry`."""
    path = _posix(tf.path)
    for p in premises:
        if "sorry" not in p.code:
            continue
        keyword = declaration_keyword(p.code)
        if keyword in _THEOREM_KEYWORDS:
            continue
        found = [SorryRecord(line, col, "body") for line, col in sorry_positions(tf.lean_file[p.start:p.end], p.start)]
        if found:
            yield DeclarationSorries(path, p.full_name, keyword or p.kind, p.start, found)


Record = FileRecord | TheoremRecord | DeclarationSorries | Diagnostic


def convert_traced_repo(traced_repo: Any, config: ConvertConfig) -> Iterator[Record]:
    """Every record of `traced_repo`, files first. A theorem LeanDojo cannot describe
    (its statement or tactics raise) becomes a `Diagnostic`, not a failed import."""
    files = sorted(traced_repo.traced_files, key=lambda tf: _posix(tf.path))
    premises: dict[str, list[PremiseRecord]] = {}
    for tf in files:
        rec = file_record(tf, traced_repo, config)
        premises[rec.path] = rec.premises
        yield rec
    for tf in files:
        path = _posix(tf.path)
        if is_core_path(path) and not config.include_core_theorems:
            continue
        for thm in tf.get_traced_theorems():
            try:
                yield theorem_record(tf, thm)
            except Exception as exc:  # an AST shape lean-dojo itself cannot handle
                line = _pos(thm.start)[0] if getattr(thm, "start", None) is not None else None
                name = getattr(getattr(thm, "theorem", None), "full_name", "?")
                yield Diagnostic(path, line, f"theorem {name} skipped: lean-dojo could not read it "
                                             f"({type(exc).__name__}: {exc})")
        yield from declaration_sorries(tf, premises[path])


__all__ = ["CORE_PREFIXES", "LEANDOJO_API", "ConvertConfig", "Record", "content_hash", "convert_traced_repo",
           "file_record", "is_core_path", "step_records", "theorem_record"]
