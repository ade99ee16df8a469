"""What parsing one file produces: declarations with their scope, proof structure,
`sorry` positions and the identifiers they use (pure data, picklable)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from database.records import ProofStyle

Pos = tuple[int, int]


@dataclass
class OpenDirective:
    namespace: str  # as written
    at: tuple[str, ...]  # the namespace in which it was written
    only: tuple[str, ...] | None = None
    hiding: tuple[str, ...] = ()
    renaming: tuple[tuple[str, str], ...] = ()


@dataclass
class Block:
    opener: str
    start: Pos
    steps: list[Step]

    def as_json(self) -> dict[str, Any]:
        return {"opener": self.opener, "line": self.start[0], "col": self.start[1],
                "steps": [s.as_json() for s in self.steps]}


@dataclass
class Step:
    tactic: str
    start: Pos
    offset: int
    blocks: list[Block] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"tactic": self.tactic, "line": self.start[0], "col": self.start[1]}
        if self.blocks:
            d["blocks"] = [b.as_json() for b in self.blocks]
        return d


@dataclass
class SubName:
    """A name a declaration introduces besides its own (constructor, field)."""

    full_name: str
    pos: Pos
    end: Pos


@dataclass
class Decl:
    kind: str
    full_name: str | None
    start: Pos  # including docstring, attributes, modifiers
    keyword_pos: Pos
    end: Pos  # exclusive
    name_pos: Pos | None
    name_end: Pos | None
    code: str  # premise code (statement only for theorems), comments removed
    modifiers: tuple[str, ...]
    namespace: tuple[str, ...]
    opens: tuple[OpenDirective, ...]
    locals_in_scope: frozenset[str]
    is_theorem: bool = False
    statement: str | None = None
    proof_style: ProofStyle | None = None
    steps: list[Step] = field(default_factory=list)
    sorries: list[tuple[int, int, str]] = field(default_factory=list)  # line, col, context
    # identifiers of the proof/body that may refer to declarations: (name, offset)
    references: list[tuple[str, int]] = field(default_factory=list)
    bound: frozenset[str] = frozenset()
    sub_names: list[SubName] = field(default_factory=list)
    start_offset: int = 0

    @property
    def is_private(self) -> bool:
        return "private" in self.modifiers

    @property
    def is_protected(self) -> bool:
        return "protected" in self.modifiers


@dataclass
class ParsedFile:
    path: str
    content_hash: str
    num_lines: int
    imports: list[str]  # module names
    decls: list[Decl]
    diagnostics: list[tuple[int | None, str]]  # (line, message)
    prelude: bool = False
