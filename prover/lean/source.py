"""Lean source surgery shared by the REPL backend, verification and write-back.

Given a file's text and a theorem's indexed positions (`TheoremRef.start` at the
declaration keyword, `TheoremRef.end` exclusive), this module finds

* where the declaration really begins: attributes (``@[simp]``), modifiers
  (``private``, ``protected``...), docstrings and ``set_option … in`` / ``open … in``
  prefixes belong to it, so a command sent to Lean must start before them;
* where its proof begins (the ``:=`` at bracket depth 0 that is not a ``have``/``let``,
  the first equation ``|``, or ``where``), so that the proof can be replaced;
* the command boundaries of the text before it, so that a file prefix can be
  elaborated one command group at a time and each group's environment reused by every
  later theorem of the file (docs/proving.md, "Opening a theorem").

Everything works on `database.lean_text.blank_non_code` output, in which comments,
strings and quotations are spaces, so nothing inside them is mistaken for code.
Positions are 1-based lines and 1-based columns counted in code points (the knowledge
base's convention); Python string offsets count code points too.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from database.lean_text import DECL_KEYWORDS, IDENT, SORRY_TOKEN, blank_non_code, is_ident_char
from database.lean_text import body_start as lean_body_start

#: Modifiers that may precede a declaration keyword (lean-source.md, "Commands and scopes").
MODIFIERS = frozenset(
    {"private", "protected", "noncomputable", "partial", "nonrec", "unsafe", "public", "meta"}
)
#: Commands that combine with the next one through a trailing ``in``.
IN_COMBINATORS = frozenset(
    {"open", "set_option", "omit", "include", "variable", "#guard_msgs", "unseal", "attribute", "local", "scoped"}
)
#: First tokens of lines (at column 0) that start a new command. Only safe ones: a
#: missed boundary merely makes a chunk larger, a false one breaks elaboration.
_COMMAND_STARTS = frozenset(
    {
        "theorem", "lemma", "def", "abbrev", "instance", "structure", "class", "inductive", "axiom",
        "opaque", "example", "irreducible_def", "namespace", "section", "end", "open", "variable",
        "universe", "set_option", "attribute", "export", "notation", "infix", "infixl", "infixr",
        "prefix", "postfix", "macro", "macro_rules", "syntax", "elab", "elab_rules",
        "noncomputable", "private", "protected", "partial", "nonrec", "unsafe", "mutual",
    }
)
_HEADER_TOKENS = frozenset({"import", "module", "prelude"})
_IDENT = re.compile(r"[^\s()\[\]{},⟨⟩]+")
_WS = re.compile(r"\s+")


class SourceError(ValueError):
    """A position or declaration cannot be found in a source text."""


def line_starts(text: str) -> list[int]:
    return [0] + [m.end() for m in re.finditer("\n", text)]


def offset_of(starts: list[int], text: str, pos: tuple[int, int]) -> int:
    """Offset of the 1-based (line, column) ``pos`` in ``text``."""
    line, col = pos
    if line < 1 or line > len(starts) or col < 1:
        raise SourceError(f"position {line}:{col} is outside the file ({len(starts)} lines)")
    off = starts[line - 1] + col - 1
    line_end = starts[line] - 1 if line < len(starts) else len(text)
    if off > line_end:
        raise SourceError(f"position {line}:{col} is past the end of line {line}")
    return off


def position_of(starts: list[int], offset: int) -> tuple[int, int]:
    """1-based (line, column) of ``offset``."""
    lo, hi = 0, len(starts) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if starts[mid] <= offset:
            lo = mid
        else:
            hi = mid - 1
    return lo + 1, offset - starts[lo] + 1


@dataclass(frozen=True)
class Declaration:
    """Offsets of one declaration in its file's text."""

    start: int  # where its command begins (docstring, attributes, modifiers, `… in` prefixes)
    keyword: int  # the `theorem`/`lemma` keyword
    body: int | None  # the `:=` (or `|`, `where`) its proof starts with; None if none
    end: int  # exclusive

    def statement(self, text: str) -> str:
        """The declaration from its keyword up to its proof."""
        return text[self.keyword : self.body if self.body is not None else self.end].rstrip()


class SourceFile:
    """A file's text with its blanked twin and line index, computed once."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.blanked = blank_non_code(text)
        self.starts = line_starts(text)

    # -- positions ----------------------------------------------------------------

    def offset(self, pos: tuple[int, int]) -> int:
        return offset_of(self.starts, self.text, pos)

    def position(self, offset: int) -> tuple[int, int]:
        return position_of(self.starts, offset)

    def _line_of(self, offset: int) -> int:
        return self.position(offset)[0] - 1  # 0-based

    # -- declarations -------------------------------------------------------------

    def declaration(self, start: tuple[int, int], end: tuple[int, int]) -> Declaration:
        """The declaration whose keyword is at ``start`` and which ends at ``end``."""
        keyword = self.offset(start)
        stop = self.offset(end) if end[0] <= len(self.starts) else len(self.text)
        if stop <= keyword:
            raise SourceError(f"declaration end {end} is not after its start {start}")
        return Declaration(
            start=self.command_start(keyword), keyword=keyword, body=self.body_start(keyword, stop), end=stop
        )

    def extend_back(self, offset: int) -> int:
        """The earliest offset whose text belongs to the command whose first token is at
        ``offset``: preceding attributes, modifiers and ``… in`` prefixes."""
        bl = self.blanked
        s = offset
        while True:
            j = s - 1
            while j >= 0 and bl[j].isspace():
                j -= 1
            if j < 0:
                return s
            if bl[j] == "]":
                k = self._matching_open(j)
                if k is not None and k > 0 and bl[k - 1] == "@":
                    s = k - 1
                    continue
                return s
            w = j
            while w >= 0 and is_ident_char(bl[w]):
                w -= 1
            word = bl[w + 1 : j + 1]
            if word in MODIFIERS:
                s = w + 1
                continue
            if word == "in":
                ls = self.starts[self._line_of(j)]
                m = _IDENT.search(bl, ls, j + 1)
                if m and m.group() in IN_COMBINATORS and m.start() < w + 1:
                    s = m.start()
                    continue
            return s

    def _matching_open(self, close: int) -> int | None:
        bl = self.blanked
        depth = 0
        for k in range(close, -1, -1):
            c = bl[k]
            if c == "]":
                depth += 1
            elif c == "[":
                depth -= 1
                if depth == 0:
                    return k
        return None

    def command_start(self, first_token: int) -> int:
        """Where the command of ``first_token`` should be cut from the text before it: at
        the first non-blank character after the line of the previous code, so that the
        comments and docstrings in between go with the command (a docstring cannot end
        a command)."""
        s = self.extend_back(first_token)
        bl = self.blanked
        j = s - 1
        while j >= 0 and bl[j].isspace():
            j -= 1
        nl = self.text.find("\n", j + 1, s) if j >= 0 else -1
        if j >= 0 and nl < 0:
            return s  # code before it on the same line: cut right at it
        k = nl + 1 if j >= 0 else 0
        while k < s and self.text[k].isspace():
            k += 1
        return k

    def body_start(self, keyword: int, end: int) -> int | None:
        """Offset of the ``:=`` / first equation ``|`` / ``where`` that starts the body of
        the declaration whose keyword is at ``keyword`` (`database.lean_text.body_start`,
        the static indexer's rule, for that declaration's kind)."""
        m = IDENT.match(self.blanked, keyword, end)
        kind = m.group() if m is not None and m.group() in DECL_KEYWORDS else "theorem"
        return lean_body_start(self.blanked, keyword, end, kind)[0]

    # -- header chunks ------------------------------------------------------------

    def header_end(self) -> int:
        """Offset just after the import block (``module``, ``prelude``, ``import`` lines):
        everything before it must go to Lean in one command without an environment."""
        bl = self.blanked
        end = 0
        for i, ls in enumerate(self.starts):
            le = self.starts[i + 1] if i + 1 < len(self.starts) else len(bl)
            line = bl[ls:le].strip()
            if not line:
                continue
            toks = line.split()
            if toks[0] in _HEADER_TOKENS or (len(toks) > 1 and toks[0] in ("public", "meta", "private")
                                             and toks[1] == "import"):
                end = le
                continue
            break
        return end

    def boundaries(self, upto: int) -> list[int]:
        """Command boundaries in ``[0, upto]``, ascending, starting with 0 and ending
        with ``upto``: cutting the text there yields whole commands (imports only in
        the first piece; nothing cut inside ``mutual … end``)."""
        bl = self.blanked
        head = self.header_end()
        out = [0]
        in_mutual = False
        for ls in self.starts:
            if ls >= upto:
                break
            if ls < head or ls >= len(bl) or bl[ls].isspace():
                continue
            m = _IDENT.match(bl, ls)
            if m is None:
                continue
            tok = m.group()
            if in_mutual:
                if tok == "end":
                    in_mutual = False
                continue
            if tok == "mutual":
                in_mutual = True
            elif not (tok in _COMMAND_STARTS or tok.startswith("@[") or tok.startswith("#")):
                continue
            b = max(self.command_start(ls), head)
            if out[-1] < b < upto:
                out.append(b)
        if out[-1] != upto:
            out.append(upto)
        return out


def chunk_key(previous: str, chunk: str) -> str:
    """Chained digest identifying a file prefix (the digest of the prefix before a chunk
    and the chunk's text), so that the environment after a prefix is found again."""
    return hashlib.sha256(previous.encode() + b"\x00" + chunk.encode()).hexdigest()


def is_blank_code(text: str) -> bool:
    """True if ``text`` holds nothing but whitespace and comments."""
    return not blank_non_code(text).strip()


_SORRY_BODY = re.compile(r"\A:=\s*(?:by\s+)?sorry\s*\Z")


def sorry_command(src: SourceFile, decl: Declaration) -> tuple[str, int]:
    """The command that states the declaration with its proof replaced by ``sorry``, and
    the offset (in the command) of that ``sorry``. A body that already is ``sorry`` or
    ``by sorry`` is kept as written, so Lean sees the file's own text."""
    if decl.body is None:
        raise SourceError("the declaration has no proof to replace (no `:=`, equation or `where` found)")
    body = src.text[decl.body : decl.end]
    if _SORRY_BODY.match(blank_non_code(body)):
        command = src.text[decl.start : decl.end]
        m = SORRY_TOKEN.search(blank_non_code(command), decl.body - decl.start)
        assert m is not None  # the body matched `sorry` above
        return command, m.start()
    prefix = src.text[decl.start : decl.body]
    if not prefix.endswith((" ", "\n")):
        prefix += " "
    command = prefix + ":= by sorry"
    return command, len(command) - len("sorry")


def normalize(code: str) -> str:
    """Code with comments removed and whitespace collapsed, for comparing statements."""
    return _WS.sub(" ", blank_non_code(code)).strip()


def statement_matches(src: SourceFile, decl: Declaration, statement: str) -> bool:
    """True if the file's statement at ``decl`` is ``statement`` (comments and layout
    aside): the file has not changed under the knowledge base."""
    return normalize(decl.statement(src.text)) == normalize(statement)


def has_sorry_in_statement(src: SourceFile, decl: Declaration) -> bool:
    stop = decl.body if decl.body is not None else decl.end
    return bool(SORRY_TOKEN.search(src.blanked, decl.keyword, stop))


def render_proof(tactics: list[str] | tuple[str, ...], indent: int) -> str:
    """``:= by`` and one tactic per line at ``indent`` spaces. A multi-line tactic's later
    lines keep their own indentation on top of ``indent``: in tactic mode the REPL read
    them relative to column 0 of the tactic, so the block reads the same in the file."""
    pad = " " * indent
    lines = [":= by"]
    for tactic in tactics:
        parts = tactic.strip("\n").split("\n")
        lines.append(pad + parts[0].strip())
        lines.extend(pad + p.rstrip() if p.strip() else "" for p in parts[1:])
    return "\n".join(lines)


def keyword_indent(src: SourceFile, decl: Declaration) -> int:
    """The column (0-based) of the first code on the line of the declaration's keyword:
    the proof's tactics go two spaces further in."""
    ls = src.starts[src.position(decl.keyword)[0] - 1]
    line = src.text[ls : decl.keyword]
    return len(line) - len(line.lstrip(" \t"))


def replace_proof(src: SourceFile, decl: Declaration, tactics: list[str] | tuple[str, ...]) -> str:
    """The file's text with the declaration's proof replaced by ``tactics``."""
    if decl.body is None:
        raise SourceError("the declaration has no proof to replace")
    head = src.text[: decl.body]
    if not head.endswith((" ", "\n")):
        head += " "
    return head + render_proof(tactics, keyword_indent(src, decl) + 2) + src.text[decl.end :]
