"""What parsing one file hands to the rest of the pipeline: compact, cheap-to-pickle rows.

A parser process sends its result back to the indexer through a pipe; unpickling tens of
thousands of dataclass instances (declarations, steps, blocks, scope sets) cost more
than the parsing saved on two cores. `prepare` therefore reduces a `ParsedFile`, in the
worker, to named tuples of strings, ints and tuples -- only what the indexer writes or
needs for name resolution -- and does there the per-file half of name resolution
(splitting reference names, dropping the ones bound in the declaration, computing the
namespace chain), so that the sets of bound names never cross the pipe. The serial path
goes through the same function, so both paths produce the same records by construction.
"""

from __future__ import annotations

from typing import NamedTuple

from database.lean_text import split_name
from database.records import ProofStyle

from .parsed import Decl, OpenDirective, ParsedFile

Pos = tuple[int, int]


class OpenRow(NamedTuple):
    namespace: str  # as written
    at: tuple[str, ...]  # the namespace in which it was written
    only: tuple[str, ...] | None
    hiding: tuple[str, ...]
    renaming: tuple[tuple[str, str], ...]


class NameRow(NamedTuple):
    """A name a proof may refer to: a declaration, constructor or field."""

    full_name: str
    offset: int  # the declaration's keyword offset ("earlier in the same file")
    pos: Pos  # the name's position (LeanDojo's def_pos)
    end: Pos
    private: bool
    protected: bool


class PremiseRow(NamedTuple):
    full_name: str
    code: str
    kind: str
    start: Pos
    end: Pos


class StepRow(NamedTuple):
    tactic: str
    start: Pos
    structure: list | None  # nested blocks, JSON-ready


class TheoremRow(NamedTuple):
    full_name: str
    kind: str
    start: Pos  # keyword position
    end: Pos
    statement: str | None
    proof_style: ProofStyle | None
    steps: tuple[StepRow, ...]
    sorries: tuple[tuple[int, int, str], ...]
    #: Referenced names split into parts, `@` dropped, names bound in the declaration
    #: (binders, hypotheses, pattern variables, `variable`s) already removed.
    refs: tuple[tuple[str, ...], ...]
    chain: tuple[str, ...]  # namespaces searched for a name, innermost first
    opens: tuple[OpenRow, ...]
    offset: int


class SorryDeclRow(NamedTuple):
    """A declaration that is not a theorem but holds `sorry`."""

    full_name: str
    kind: str
    start: Pos
    sorries: tuple[tuple[int, int, str], ...]


class PreparedFile(NamedTuple):
    path: str
    content_hash: str
    num_lines: int
    imports: tuple[str, ...]  # module names
    prelude: bool
    diagnostics: tuple[tuple[int | None, str], ...]
    premises: tuple[PremiseRow, ...]
    names: tuple[NameRow, ...]
    #: Theorems and sorry-holding declarations, in file order (the order they are written).
    decls: tuple[TheoremRow | SorryDeclRow, ...]


def prepare(pf: ParsedFile) -> PreparedFile:
    premises: list[PremiseRow] = []
    names: list[NameRow] = []
    decls: list[TheoremRow | SorryDeclRow] = []
    open_rows: dict[int, tuple[OpenRow, ...]] = {}  # declarations of one scope share their opens
    for d in pf.decls:
        if d.full_name and d.code:
            premises.append(PremiseRow(d.full_name, d.code, d.kind, d.start, d.end))
        if d.full_name:
            names.append(NameRow(d.full_name, d.start_offset, d.name_pos or d.keyword_pos,
                                 d.name_end or d.keyword_pos, d.is_private, d.is_protected))
            names.extend(NameRow(s.full_name, d.start_offset, s.pos, s.end, d.is_private, False)
                         for s in d.sub_names)
        if d.is_theorem and d.full_name:
            key = id(d.opens)
            opens = open_rows.get(key)
            if opens is None:
                opens = open_rows[key] = tuple(_open_row(o) for o in d.opens)
            decls.append(TheoremRow(
                d.full_name, d.kind, d.keyword_pos, d.end, d.statement, d.proof_style,
                tuple(StepRow(s.tactic, s.start, [b.as_json() for b in s.blocks] or None) for s in d.steps),
                tuple(d.sorries), _reference_parts(d), namespace_chain(d), opens, d.start_offset,
            ))
        elif d.sorries:
            decls.append(SorryDeclRow(d.full_name or d.kind, d.kind, d.keyword_pos, tuple(d.sorries)))
    return PreparedFile(pf.path, pf.content_hash, pf.num_lines, tuple(pf.imports), pf.prelude,
                        tuple(pf.diagnostics), tuple(premises), tuple(names), tuple(decls))


def _open_row(o: OpenDirective) -> OpenRow:
    return OpenRow(o.namespace, o.at, o.only, o.hiding, o.renaming)


def _reference_parts(decl: Decl) -> tuple[tuple[str, ...], ...]:
    out = []
    for name, _off in decl.references:
        if name.startswith("@"):
            name = name[1:]
        parts = split_name(name)
        if not parts or parts[0] in decl.bound or parts[0] in decl.locals_in_scope:
            continue
        out.append(tuple(parts))
    return tuple(out)


def namespace_chain(decl: Decl) -> tuple[str, ...]:
    """Namespaces searched for a name, innermost first. A declaration `Foo.bar` written in
    namespace `A` also sees `A.Foo` (Lean opens the declaration's own namespace)."""
    ns = list(decl.namespace)
    if decl.full_name:
        own = split_name(decl.full_name)[:-1]
        if own[: len(ns)] == ns:
            ns = own
    return tuple(".".join(ns[:i]) for i in range(len(ns), 0, -1))
