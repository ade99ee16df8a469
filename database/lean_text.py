"""Lean 4's lexical syntax, in one place: identifiers and tokens, brackets, keywords,
comments, string/char/name literals and syntax quotations, `sorry` tokens.

`blank_non_code` replaces comments, string and char literals, name literals and syntax
quotations with spaces (newlines kept), so that offsets, lines and columns of the
result are those of the original text and anything found in it is real code. On top of
it, `sorry_positions` finds `sorry` *tokens* -- never inside comments, strings,
docstrings, `#guard_msgs` expected output or `` `(tactic| sorry) `` quotations, and
never as part of a longer identifier (`exact not_sorry_lemma` holds no sorry). `IDENT`
and `TOKEN` cut blanked code into identifiers (dotted, «guillemet»-quoted parts
included), numbers and symbols; the keyword sets say which words declare, modify or
never name a declaration.

It is regex-driven (the interpreter jumps from one special character to the next)
because the static indexer runs it over every file it indexes. The rules follow Lean's
own scanner (``src/Lean/Parser/Basic.lean`` in leanprover/lean4: ``isIdFirst``,
``isIdRest``, ``isLetterLike``, ``idBeginEscape``).
"""

from __future__ import annotations

import bisect
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .records import ProofStyle

# Characters that may continue an identifier. `str.isalnum` covers unicode letters,
# digits and subscript digits; Lean adds `_`, `'` (primes), `!` and `?`.
_IDENT_EXTRA = frozenset("_'!?")


def is_ident_char(c: str) -> bool:
    return c.isalnum() or c in _IDENT_EXTRA or c in "ₐₑₒₓₔₕₖₗₘₙₚₛₜᵢᵣᵤᵥⱼ"


# -- identifiers and tokens (of blanked code) ----------------------------------------------

#: One part of a dotted name: «anything» or a letter-like start (not the binders λ Π Σ)
#: then identifier characters.
IDENT_PART = r"(?:«[^»\n]*»|(?![λΠΣ])[^\W\d][\w'!?]*)"
IDENT = re.compile(rf"{IDENT_PART}(?:\.{IDENT_PART})*")
#: Identifiers (``id``), numbers (``num``) and symbols (``sym``), multi-character ones first.
TOKEN = re.compile(
    rf"(?P<id>{IDENT_PART}(?:\.{IDENT_PART})*)|(?P<num>\d[\w.]*)"
    r"|(?P<sym>:=|=>|<;>|::|<\||\|>|//|[()\[\]{}⟨⟩⦃⦄|,;:@·.?←→↦∈∉=<>!^$]|\S)"
)
OPEN_BRACKETS = "([{⟨⦃"
CLOSE_BRACKETS = ")]}⟩⦄"
BRACKET = re.compile(r"[()\[\]{}⟨⟩⦃⦄]")
#: What may follow a keyword for it to be the keyword and not the start of a longer name.
NOT_IDENT_AFTER = r"(?![\w'!?])"

#: Declaration modifiers (they precede the declaration keyword).
MODIFIERS = frozenset(
    {"private", "protected", "noncomputable", "partial", "nonrec", "unsafe", "public", "meta", "scoped", "local"}
)
#: Keywords that start a declaration.
DECL_KEYWORDS = frozenset(
    {
        "theorem", "lemma", "def", "abbrev", "instance", "structure", "class", "inductive", "coinductive",
        "axiom", "opaque", "example", "irreducible_def", "alias",
    }
)
#: LeanDojo's notion of a theorem: a declaration written `theorem` or `lemma`.
THEOREM_KEYWORDS = frozenset({"theorem", "lemma"})
#: Words that never name a declaration a proof refers to: Lean's keywords, and tactic and
#: term words that look like identifiers.
KEYWORDS = frozenset(
    {
        "fun", "by", "at", "with", "using", "only", "then", "else", "if", "do", "let", "have", "show", "from", "in",
        "match", "return", "this", "where", "calc", "for", "unless", "mut", "Type", "Sort", "Prop", "deriving",
        "instance", "open", "set_option", "termination_by", "decreasing_by", "generalizing", "says", "to", "as",
        "haveI", "letI", "suffices", "obtain", "sorry", "admit", "nomatch", "nofun", "try", "catch", "finally",
        "extends", "structure", "class", "inductive", "theorem", "lemma", "def", "abbrev", "true", "false",
        "_", "fun_prop", "macro", "syntax", "local", "scoped", "private", "protected", "noncomputable", "end",
    }
)


def split_name(name: str) -> list[str]:
    """The parts of a dotted name, «quoted» parts kept whole: ``A.«b.c».d`` -> A, «b.c», d."""
    return list(re.findall(r"«[^»]*»|[^.«»]+", name))


def strip_guillemets(name: str) -> str:
    """``«foo».bar`` -> ``foo.bar`` where the quotes are not needed (the part is a plain word)."""
    return ".".join(p[1:-1] if p.startswith("«") and p.endswith("»") and re.fullmatch(r"«[\w'!?]+»", p) else p
                    for p in split_name(name))


# Functions and macros whose string argument is interpolated in Lean 4.
_INTERPOLATING = frozenset(
    {
        "throwError",
        "throwErrorAt",
        "logInfo",
        "logInfoAt",
        "logWarning",
        "logWarningAt",
        "logError",
        "logErrorAt",
        "trace",
        "withTraceNode",
        "panic!",
    }
)

_TOP = re.compile(r'/-|--|\br#*"|"|\'|`')
_IN_BRACES = re.compile(r'/-|--|\br#*"|"|\'|`|[{}]')
_IN_PARENS = re.compile(r'/-|--|\br#*"|"|\'|`|[()]')
_COMMENT_DELIM = re.compile(r"/-|-/")
_STRING_STOP = re.compile(r'[\\"{]')
_CHAR_LIT = re.compile(r"'(?:\\(?:x[0-9a-fA-F]{2}|u[0-9a-fA-F]{1,4}|u\{[0-9a-fA-F]+\}|.)|[^'\\\n])'")
_NAME_LIT = re.compile(r"``?(?:«[^»\n]*»|[^\s()\[\]{},«»`]+)(?:\.(?:«[^»\n]*»|[^\s()\[\]{},.«»`]+))*")
_WORD_BEFORE = re.compile(r"([A-Za-z_][A-Za-z0-9_!?']*)\s*$")
_MAX_NESTING = 64


class _Scanner:
    """Collects the (start, end) spans of `text` that are not code."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.n = len(text)
        self.spans: list[tuple[int, int]] = []

    def block_comment_end(self, i: int) -> int:
        depth = 0
        pos = i
        while True:
            m = _COMMENT_DELIM.search(self.text, pos)
            if m is None:
                return self.n  # unterminated: the rest of the file is comment
            if m.group() == "/-":
                depth += 1
            else:
                depth -= 1
                if depth == 0:
                    return m.end()
            pos = m.end()

    def string_end(self, i: int, interpolated: bool, nesting: int) -> int:
        """`i` is the index of the opening quote; returns the index after the closing one.
        Interpolated parts `{...}` are code: they are scanned as such."""
        text = self.text
        seg_start = i
        pos = i + 1
        while True:
            m = _STRING_STOP.search(text, pos)
            if m is None:
                self.spans.append((seg_start, self.n))
                return self.n
            c = m.group()
            if c == "\\":
                pos = m.end() + 1
            elif c == '"':
                self.spans.append((seg_start, m.end()))
                return m.end()
            elif interpolated and nesting < _MAX_NESTING:
                self.spans.append((seg_start, m.end()))
                pos = self.scan(m.end(), "}", nesting + 1)
                seg_start = pos - 1 if pos <= self.n and pos > 0 else pos
            else:
                pos = m.end()

    def interpolated_at(self, i: int) -> bool:
        if i > 0 and self.text[i - 1] == "!":
            return True
        m = _WORD_BEFORE.search(self.text, max(0, i - 40), i)
        return bool(m and m.group(1) in _INTERPOLATING)

    def scan(self, i: int, closer: str | None, nesting: int = 0) -> int:
        """Scan code from `i`. With a closer (`}` or `)`), stop after the matching one and
        return the index after it; at top level, scan to the end."""
        text = self.text
        pattern = _TOP if closer is None else (_IN_BRACES if closer == "}" else _IN_PARENS)
        opener = "{" if closer == "}" else "("
        depth = 0
        pos = i
        while True:
            m = pattern.search(text, pos)
            if m is None:
                return self.n
            tok = m.group()
            j = m.start()
            if tok == "/-":
                end = self.block_comment_end(j)
                self.spans.append((j, end))
                pos = end
            elif tok == "--":
                end = text.find("\n", j)
                end = self.n if end < 0 else end
                self.spans.append((j, end))
                pos = end
            elif tok == '"':
                pos = self.string_end(j, self.interpolated_at(j), nesting)
            elif tok[0] == "r":  # raw string r"..." / r#"..."#
                close = '"' + tok[1:-1]
                end = text.find(close, m.end())
                end = self.n if end < 0 else end + len(close)
                self.spans.append((j, end))
                pos = end
            elif tok == "'":
                if j > 0 and is_ident_char(text[j - 1]):
                    pos = m.end()  # a prime in an identifier: h'
                    continue
                cm = _CHAR_LIT.match(text, j)
                if cm:
                    self.spans.append((j, cm.end()))
                    pos = cm.end()
                else:
                    pos = m.end()
            elif tok == "`":
                if text.startswith("`(", j) and nesting < _MAX_NESTING:
                    # Syntax quotation: metaprogram data, not code of this declaration.
                    inner = _Scanner(text)
                    end = inner.scan(j + 2, ")", nesting + 1)
                    self.spans.append((j, end))
                    pos = end
                else:
                    nm = _NAME_LIT.match(text, j)
                    end = nm.end() if nm else m.end()
                    self.spans.append((j, end))
                    pos = end
            elif tok == opener:
                depth += 1
                pos = m.end()
            else:  # the closer
                if depth == 0:
                    return m.end()
                depth -= 1
                pos = m.end()


def non_code_spans(text: str) -> list[tuple[int, int]]:
    """Sorted (start, end) character spans of `text` that are comments, literals or
    quotations."""
    scanner = _Scanner(text)
    scanner.scan(0, None)
    return scanner.spans


_NOT_NEWLINE = re.compile(r"[^\n]")


def blank_spans(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` with the characters of the sorted `spans` replaced by spaces (newlines
    kept, so offsets, lines and columns do not move)."""
    if not spans:
        return text
    out = []
    pos = 0
    for start, end in spans:
        start = max(start, pos)  # nested spans (interpolation) are already covered
        if end <= start:
            continue
        out.append(text[pos:start])
        out.append(_NOT_NEWLINE.sub(" ", text[start:end]))
        pos = end
    out.append(text[pos:])
    return "".join(out)


def blank_non_code(text: str) -> str:
    """`text` with every non-code character replaced by a space (newlines kept)."""
    return blank_spans(text, non_code_spans(text))


def comment_spans(text: str) -> list[tuple[int, int]]:
    """The sorted spans of `text` that are comments (docstrings included)."""
    return [(a, b) for a, b in non_code_spans(text) if text.startswith(("/-", "--"), a)]


def blank_comments(text: str) -> str:
    """`text` with comments blanked and strings kept (e.g. a lakefile, whose URLs and
    revisions are strings)."""
    return blank_spans(text, comment_spans(text))


#: A `sorry` token in blanked code: not part of a longer or dotted name, nor a name literal.
SORRY_TOKEN = re.compile(r"(?<![\w.'!?`])sorry(?![\w'!?])")


class LineIndex:
    """Converts character offsets of a text into 1-based (line, column) pairs."""

    def __init__(self, text: str, base: tuple[int, int] = (1, 1)) -> None:
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.base_line, self.base_col = base

    def pos(self, offset: int) -> tuple[int, int]:
        k = bisect.bisect_right(self.starts, offset) - 1
        col = offset - self.starts[k] + 1
        if k == 0:
            col += self.base_col - 1
        return (self.base_line + k, col)


def sorry_offsets(text: str, *, blanked: str | None = None) -> list[int]:
    """Character offsets of the `sorry` tokens of `text`."""
    if "sorry" not in text:
        return []
    code = blanked if blanked is not None else blank_non_code(text)
    return [m.start() for m in SORRY_TOKEN.finditer(code)]


def sorry_positions(text: str, base: tuple[int, int] = (1, 1)) -> list[tuple[int, int]]:
    """(line, column) of each `sorry` token; `base` is the position of text[0]."""
    offsets = sorry_offsets(text)
    if not offsets:
        return []
    index = LineIndex(text, base)
    return [index.pos(o) for o in offsets]


def has_sorry(text: str | None) -> bool:
    return bool(text) and bool(sorry_offsets(text or ""))


_DECL_KEYWORD = re.compile(
    r"(?<![\w.])(" + "|".join(sorted(DECL_KEYWORDS, key=lambda k: (-len(k), k))) + r")(?![\w'])"
)


def declaration_keyword(code: str) -> str | None:
    """The declaration keyword of a declaration's source (after attributes, modifiers and
    docstrings), e.g. ``def`` for ``@[simp] private def f ...``."""
    m = _DECL_KEYWORD.search(blank_non_code(code))
    return m.group(1) if m else None


_BODY_START = re.compile(r":=\s*by\b|:=|\bwhere\b|^\s*\|", re.M)


def proof_style_of(blanked: str) -> ProofStyle | None:
    """How a declaration's proof is written, from its blanked source (`blank_non_code`):
    "tactic" (``:= by``), "term" (``:=``), "where" or "equations" (``| pat => ...``); None
    when no body is visible."""
    m = _BODY_START.search(blanked)
    if m is None:
        return None
    tok = m.group().strip()
    if tok.startswith(":=") and tok.endswith("by"):
        return "tactic"
    if tok == ":=":
        return "term"
    if tok == "where":
        return "where"
    return "equations"


# -- where a declaration's body starts -----------------------------------------------------

_BODY_BY = re.compile(r"by" + NOT_IDENT_AFTER)
#: Kinds whose body may be constructors (``| c``) or ``with`` (Lean 3 style mutual blocks).
_TYPE_KINDS = frozenset({"inductive", "coinductive", "class", "structure"})


def body_start(blanked: str, start: int, end: int, kind: str = "theorem") -> tuple[int | None, ProofStyle]:
    """Where the body of a declaration begins, and how the proof is written.

    ``blanked`` is a file's `blank_non_code` text; the declaration's header is scanned
    from ``start`` (its keyword, or just after its name) to ``end``; ``kind`` is its
    keyword (`DECL_KEYWORDS`). The body is the first, at bracket depth 0 (all of
    `OPEN_BRACKETS`, ``⦃⦄`` included), of:

    * ``:=`` that is not a ``have``/``let`` definition of the statement -- style
      "tactic" when ``by`` follows, else "term";
    * an equation ``|`` (first on its line, or spaced on both sides after the type's
      ``:``; for inductive types and structures any such ``|``) -- "equations";
    * ``where`` (and ``with`` for inductive types and structures) -- "where".

    ``termination_by``/``decreasing_by``/``deriving`` before any of them ends the
    header without a body: then ``(None, "none")``, as when nothing is found. The static indexer
    and the REPL backend's source surgery both ask this function, so the statement a
    proof is searched for is the one that was indexed."""
    depth = 0
    pending_defs = 0
    seen_colon = False
    for t in TOKEN.finditer(blanked, start, end):
        g = t.group()
        if g in OPEN_BRACKETS:
            depth += 1
        elif g in CLOSE_BRACKETS:
            depth = max(0, depth - 1)
        elif depth:
            continue
        elif g in ("have", "haveI", "let", "letI"):
            pending_defs += 1
        elif g == ":":
            seen_colon = True
        elif g == ":=":
            if pending_defs:
                pending_defs -= 1
                continue
            nxt = _NONSPACE.search(blanked, t.end(), end)
            if nxt and _BODY_BY.match(blanked, nxt.start()):
                return t.start(), "tactic"
            return t.start(), "term"
        elif g == "|":
            s = t.start()
            first_on_line = not blanked[blanked.rfind("\n", 0, s) + 1 : s].strip()
            spaced = blanked[s - 1 : s] in (" ", "\n") and blanked[t.end() : t.end() + 1] in (" ", "\n", "")
            # `|x|` (absolute value) is not an equation; `| 0 => …` after the type is.
            if first_on_line or (spaced and (seen_colon or kind in _TYPE_KINDS)):
                return s, "equations"
        elif g == "where" or (g == "with" and kind in ("inductive", "structure", "class")):
            return t.start(), "where"
        elif g in ("termination_by", "decreasing_by", "deriving"):
            return None, "none"
    return None, "none"


_NONSPACE = re.compile(r"\S")
