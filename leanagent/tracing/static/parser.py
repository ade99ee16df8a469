"""Source-level parsing of one Lean 4 file: commands, scopes, declarations, tactic blocks.

Works on `database.lean_text.blank_non_code`'s view of the file (comments, strings,
char/name literals and syntax quotations replaced by spaces, offsets unchanged), so that
every token found is real code. The file is cut into *commands* at the lines where Lean
would start one: a command keyword, attribute `@[`, modifier or docstring at the command
column (column 1, or deeper inside `mutual`), at bracket depth 0. A word Lean does not
know at that place is a project's own command (`problem`, `proof_wanted` ...) when the
previous command cannot continue onto the line (it does not end in `:=`, `=>`, `,`, an
operator ...).

Everything here is pure (text in, picklable records out) so files can be parsed in a
process pool; name resolution, which needs every file, happens in `resolve`.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from database.lean_text import SORRY_TOKEN, blank_spans, non_code_spans

Pos = tuple[int, int]

# -- tokens ------------------------------------------------------------------------------

_IDENT_PART = r"(?:«[^»\n]*»|(?![λΠΣ])[^\W\d][\w'!?]*)"
IDENT = re.compile(rf"{_IDENT_PART}(?:\.{_IDENT_PART})*")
_TOKEN = re.compile(
    rf"(?P<id>{_IDENT_PART}(?:\.{_IDENT_PART})*)|(?P<num>\d[\w.]*)"
    r"|(?P<sym>:=|=>|<;>|::|<\||\|>|//|[()\[\]{}⟨⟩⦃⦄|,;:@·.?←→↦∈∉=<>!^$]|\S)"
)
_OPEN = "([{⟨⦃"
_CLOSE = ")]}⟩⦄"
_BRACKET = re.compile(r"[()\[\]{}⟨⟩⦃⦄]")
_NONSPACE = re.compile(r"\S")
_BODY_BY = re.compile(r":=\s*by(?![\w'!?])")
_BY = re.compile(r"by(?![\w'!?])")
_BY_ANY = re.compile(r"(?<![\w'.])by(?![\w'!?])")

MODIFIERS = frozenset(
    {"private", "protected", "noncomputable", "partial", "nonrec", "unsafe", "public", "meta", "scoped", "local"}
)
DECL_KEYWORDS = frozenset(
    {
        "theorem", "lemma", "def", "abbrev", "instance", "structure", "class", "inductive", "coinductive",
        "axiom", "opaque", "example", "irreducible_def", "alias",
    }
)
THEOREM_KEYWORDS = frozenset({"theorem", "lemma"})
SCOPE_KEYWORDS = frozenset({"namespace", "section", "end", "mutual", "open", "export", "universe", "variable",
                            "omit", "include", "set_option"})
# Commands that declare nothing a proof can refer to (or that we deliberately do not model).
OTHER_COMMANDS = frozenset(
    {
        "import", "prelude", "module", "notation", "notation3", "infix", "infixl", "infixr", "prefix", "postfix",
        "macro", "macro_rules", "syntax", "elab", "elab_rules", "declare_syntax_cat", "initialize_simps_projections",
        "attribute", "deriving", "initialize", "builtin_initialize", "run_cmd", "run_elab", "run_meta",
        "library_note", "add_decl_doc", "assert_not_exists", "assert_not_imported", "suppress_compilation",
        "unseal", "seal", "simproc", "dsimproc", "simproc_decl", "dsimproc_decl", "register_simp_attr",
        "register_option", "register_builtin_option", "register_label_attr", "declare_aesop_rule_sets",
        "compile_inductive%", "gen_injective_theorems%", "add_aesop_rules", "termination_by", "decreasing_by",
        "where", "with", "builtin_simproc", "grind_pattern", "recommended_spelling", "binder_predicate",
        "open_locale", "export_names", "scoped", "local", "lean_lib", "package", "require", "universes",
        "noncomputable", "mk_iff_of_inductive_prop", "init_quot", "insert_to_additive_translation",
        "variable?", "set_premise_selector", "show_panel_widgets", "elab_stx_quot", "addsimp",
    }
)
STRONG = DECL_KEYWORDS | SCOPE_KEYWORDS | (OTHER_COMMANDS - {"termination_by", "decreasing_by", "where", "with",
                                                              "deriving", "scoped", "local", "noncomputable"})
_IN_COMBINATORS = frozenset({"open", "set_option", "omit", "include", "variable", "#guard_msgs", "unseal", "attribute"})
# What an unfinished command can end with: the next column-0 word then continues it.
_CONTINUES = re.compile(r"(?:[=:,(\[{⟨⦃←→↔∧∨+*/<>|$·^∘∣≤≥≠∈∉⊆∪∩×-]|\b(?:by|fun|then|else|do|from|at|using|with|λ))\s*\Z")

BINDER_KEYWORDS = frozenset({"fun", "λ", "∀", "∃", "∃!", "Π", "Σ", "∑", "∏", "⋃", "⋂", "⨆", "⨅", "assume", "∫", "∮"})
# Tactics and term keywords whose following names (up to `:=`, `:` or the end of the
# line) are bound: hypotheses, pattern variables, let-names.
_BINDING_TACTICS = frozenset(
    {
        "intro", "intros", "rintro", "rintros", "introv", "obtain", "rcases", "rename_i", "ext", "funext",
        "case", "case'", "next", "by_contra", "by_contra!", "by_contra'", "by_cases", "choose", "choose!", "set",
        "generalize", "lift", "peel", "have", "haveI", "have'", "let", "letI", "replace", "suffices", "wlog",
        "induction'", "cases'", "ext1", "intro!", "contrapose!", "rsuffices", "exists", "refine_lift",
    }
)
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
_BINDER_STOP = frozenset({",", "=>", "↦", "∈", "∉", "<", "≤", ">", "≥", "≠", "⊆", "in", "|", ":=", "∣"})
_TACTIC_BIND_STOP = (":=", ":", "=>", ";", "<;>", "using", "from", "by")
_BIND_ALL_LINE = frozenset({"generalize", "choose", "choose!", "lift", "peel"})


def _tok_start(tok: tuple[str, bool, int]) -> int:
    return tok[2]


_BLOCK_KEYWORDS = frozenset({"all_goals", "any_goals", "try", "repeat", "focus", "iterate", "on_goal", "repeat'",
                            "classical", "first"})


# -- records -----------------------------------------------------------------------------


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

    def as_json(self) -> dict:
        return {"opener": self.opener, "line": self.start[0], "col": self.start[1],
                "steps": [s.as_json() for s in self.steps]}


@dataclass
class Step:
    tactic: str
    start: Pos
    offset: int
    blocks: list[Block] = field(default_factory=list)

    def as_json(self) -> dict:
        d: dict = {"tactic": self.tactic, "line": self.start[0], "col": self.start[1]}
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
    proof_style: str | None = None
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


# -- the scope stack ---------------------------------------------------------------------


@dataclass
class _Scope:
    kind: str  # namespace | section | mutual
    name: str | None
    opens: list[OpenDirective] = field(default_factory=list)
    variables: set[str] = field(default_factory=set)


class _State:
    def __init__(self) -> None:
        self.scopes: list[_Scope] = []

    @property
    def namespace(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.scopes if s.kind == "namespace" and s.name)

    def opens(self) -> tuple[OpenDirective, ...]:
        return tuple(o for s in self.scopes for o in s.opens)

    def variables(self) -> frozenset[str]:
        return frozenset(v for s in self.scopes for v in s.variables)

    def in_mutual(self) -> bool:
        return any(s.kind == "mutual" for s in self.scopes)


# -- helpers -----------------------------------------------------------------------------


def _split_name(name: str) -> list[str]:
    return [p for p in re.findall(r"«[^»]*»|[^.«»]+", name)]


def strip_guillemets(name: str) -> str:
    return ".".join(p[1:-1] if p.startswith("«") and p.endswith("»") and re.fullmatch(r"«[\w'!?]+»", p) else p
                    for p in _split_name(name))


class _FileParser:
    def __init__(self, text: str, path: str) -> None:
        self.text = text
        self.path = path
        spans = non_code_spans(text)
        self.comment_spans = [(a, b) for a, b in spans if text.startswith(("/-", "--"), a)]
        self.doc_starts = {a for a, _ in spans if text.startswith("/--", a)}
        self.blanked = self._blank(spans)
        # only comments blanked: where a declaration's code ends (a trailing string
        # literal is code, a trailing comment is not)
        self.uncommented = self._blank(self.comment_spans)
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.diagnostics: list[tuple[int | None, str]] = []
        self.decls: list[Decl] = []
        self.state = _State()
        self.imports: list[str] = []
        self.prelude = False

    def _blank(self, spans: list[tuple[int, int]]) -> str:
        return blank_spans(self.text, spans)

    # positions
    def pos(self, off: int) -> Pos:
        k = bisect.bisect_right(self.line_starts, off) - 1
        return (k + 1, off - self.line_starts[k] + 1)

    def col(self, off: int) -> int:
        k = bisect.bisect_right(self.line_starts, off) - 1
        return off - self.line_starts[k] + 1

    def line_end(self, off: int) -> int:
        e = self.text.find("\n", off)
        return len(self.text) if e < 0 else e

    def code(self, a: int, b: int) -> str:
        """Source of [a, b) with comments removed and blank lines dropped."""
        text = self.text
        i = bisect.bisect_left(self.comment_spans, (a, -1))
        if i > 0 and self.comment_spans[i - 1][1] > a:
            i -= 1
        parts = []
        pos = a
        while i < len(self.comment_spans) and self.comment_spans[i][0] < b:
            ca, cb = self.comment_spans[i]
            if ca > pos:
                parts.append(text[pos:ca])
            pos = max(pos, cb)
            i += 1
        if pos < b:
            parts.append(text[pos:b])
        raw = "".join(parts)
        lines = [ln.rstrip() for ln in raw.split("\n")]
        return "\n".join(ln for ln in lines if ln.strip()).strip()

    def last_code(self, a: int, b: int) -> int:
        """Offset just after the last code character in [a, b) (a if none)."""
        seg = self.uncommented[a:b].rstrip()
        return a + len(seg)

    # -- driver ------------------------------------------------------------------------

    def parse(self) -> None:
        bl = self.blanked
        exit_m = re.search(r"(?m)^#exit\b", bl)
        limit = exit_m.start() if exit_m else len(bl)
        header_end = self._header(limit)
        chunks = self._split(header_end, limit)
        pending: _Scope | None = None
        i = 0
        while i < len(chunks):
            a, b = chunks[i]
            try:
                pending = self._command(a, b, pending)
            except Exception as exc:  # one bad command must not lose the file
                self.diagnostics.append((self.pos(a)[0], f"could not parse command: {type(exc).__name__}: {exc}"))
                pending = None
            i += 1

    _HEADER_LINE = re.compile(
        r"[ \t]*(?:(module)\b|(prelude)\b|(?:(?:public|private|meta)\s+)*import\s+(?:all\s+)?((?:[^\s]+[ \t]*)+))"
    )

    def _header(self, limit: int) -> int:
        bl = self.blanked
        pos = 0
        while True:
            m = _NONSPACE.search(bl, pos, limit)
            if m is None:
                return limit
            line_start = m.start() - self.col(m.start()) + 1
            hm = self._HEADER_LINE.match(bl, line_start)
            if hm is None or (hm.end() <= m.start() and not hm.group(0).strip()):
                return line_start
            if hm.group(2):
                self.prelude = True
            elif hm.group(3):
                for mod in hm.group(3).split():
                    if IDENT.fullmatch(mod):
                        self.imports.append(strip_guillemets(mod))
            pos = self.line_end(m.start())

    def _split(self, a: int, limit: int) -> list[tuple[int, int]]:
        """Cut [a, limit) into commands; returns (start, end) pairs."""
        bl = self.blanked
        starts: list[int] = []
        depth = 0
        br = _BRACKET.finditer(bl, a, limit)
        next_br = next(br, None)
        prev_end_code = a  # where the code of the current command ends so far
        docs = sorted(d for d in self.doc_starts if a <= d < limit)
        doc_i = 0
        ln = bisect.bisect_right(self.line_starts, a) - 1
        nlines = len(self.line_starts)
        mutual_col = None
        while ln < nlines:
            ls = self.line_starts[ln]
            if ls >= limit:
                break
            le = min(self.line_end(ls), limit)
            # bracket depth at the start of this line
            while next_br is not None and next_br.start() < ls:
                c = next_br.group()
                depth = depth + 1 if c in _OPEN else max(0, depth - 1)
                next_br = next(br, None)
            while doc_i < len(docs) and docs[doc_i] < ls:
                doc_i += 1
            m = _NONSPACE.search(bl, ls, le)
            first = m.start() if m else None
            col0 = (first - ls) if first is not None else None
            # a docstring at the command column starts the next command's prefix
            if doc_i < len(docs) and docs[doc_i] < le and (first is None or docs[doc_i] < first):
                d = docs[doc_i]
                at_column = d == ls or (mutual_col is not None and d - ls <= mutual_col)
                if depth == 0 and at_column and not self._continues(bl, prev_end_code, d):
                    starts.append(d)
            if first is not None:
                is_start = False
                if col0 == 0 or (mutual_col is not None and col0 <= mutual_col):
                    w = _TOKEN.match(bl, first)
                    word = w.group() if w else ""
                    if word == "@" and bl.startswith("@[", first):
                        is_start = depth == 0 or True
                        depth = 0
                    elif word.startswith("#") or (word == "#" and bl[first + 1 : first + 2].isalpha()):
                        is_start = True
                    elif word in STRONG or word in MODIFIERS:
                        if word in ("instance",) and self._prev_word(bl, first) == "deriving":
                            is_start = False
                        else:
                            is_start = True
                            depth = 0
                    elif word == "deriving":
                        is_start = bl.startswith("instance", _NONSPACE.search(bl, w.end(), limit).start()) if \
                            _NONSPACE.search(bl, w.end(), limit) else False
                    elif w and w.lastgroup == "id" and word not in OTHER_COMMANDS and col0 == 0:
                        is_start = depth == 0 and not self._continues(bl, prev_end_code, first)
                    if is_start and starts and starts[-1] >= ls:
                        is_start = False  # the docstring on this line already started it
                    if is_start and not (starts and self._only_prefix_between(starts[-1], first)):
                        starts.append(first)
                    if word == "mutual" and col0 == 0:
                        mutual_col = 10**9  # set from the first declaration inside
                        nxt = _NONSPACE.search(bl, le, limit)
                        if nxt:
                            mutual_col = self.col(nxt.start()) - 1
                    elif word == "end" and col0 == 0 and mutual_col is not None:
                        mutual_col = None
                prev_end_code = le
            ln += 1
        if not starts or starts[0] > a:
            starts.insert(0, a)
        bounds = [*starts, limit]
        return [(bounds[i], bounds[i + 1]) for i in range(len(starts)) if bounds[i] < bounds[i + 1]]

    def _only_prefix_between(self, a: int, b: int) -> bool:
        """True if [a, b) holds only a docstring/attributes/modifiers (part of the next command)."""
        seg = self.blanked[a:b]
        if not seg.strip():
            return a in self.doc_starts
        j = self._skip_prefix(a, b)[0]
        return not self.blanked[j:b].strip()

    @staticmethod
    def _prev_word(bl: str, off: int) -> str:
        m = re.search(r"(\S+)\s*\Z", bl[max(0, off - 200) : off])
        return m.group(1) if m else ""

    @staticmethod
    def _continues(bl: str, prev_end: int, here: int) -> bool:
        seg = bl[max(0, here - 300) : here].rstrip()
        return bool(seg) and bool(_CONTINUES.search(seg))

    def _skip_prefix(self, a: int, b: int) -> tuple[int, list[str]]:
        """Skip docstring, `@[...]` attributes and modifiers; returns (offset, modifiers)."""
        bl = self.blanked
        mods: list[str] = []
        pos = a
        while True:
            m = _NONSPACE.search(bl, pos, b)
            if m is None:
                return b, mods
            p = m.start()
            if bl.startswith("@[", p):
                pos = self._match_bracket(p + 1, b)
                continue
            w = IDENT.match(bl, p)
            if w and w.group() in MODIFIERS:
                mods.append(w.group())
                pos = w.end()
                continue
            return p, mods

    def _match_bracket(self, p: int, b: int) -> int:
        """p is at an opening bracket; returns the offset after its match (or b)."""
        depth = 0
        for m in _BRACKET.finditer(self.blanked, p, b):
            if m.group() in _OPEN:
                depth += 1
            else:
                depth -= 1
                if depth == 0:
                    return m.end()
        return b

    # -- commands ----------------------------------------------------------------------

    def _command(self, a: int, b: int, pending: _Scope | None) -> _Scope | None:
        bl = self.blanked
        kpos, mods = self._skip_prefix(a, b)
        if kpos >= b:
            return pending
        tok = _TOKEN.match(bl, kpos)
        word = tok.group() if tok else ""
        if word == "#" or word.startswith("#"):
            wm = re.match(r"#[\w_]+", bl[kpos:])
            word = wm.group() if wm else "#"
        if word == "class" and re.match(r"class\s+inductive\b", bl[kpos:b]):
            pass
        line = self.pos(kpos)[0]
        if word in _IN_COMBINATORS or (word.startswith("#") and word in _IN_COMBINATORS):
            inm = self._find_in(kpos, b)
            if inm is not None:
                temp = _Scope("in", None)
                if word == "open":
                    self._open(kpos + 4, inm, temp)
                elif word == "variable":
                    temp.variables |= self._binder_names(kpos + len(word), inm)
                inner = _NONSPACE.search(bl, inm + 2, b)
                merged = self._merge(pending, temp)
                if inner is None:
                    return merged
                return self._command(inner.start(), b, merged)
        if word in ("namespace", "section", "end", "mutual", "noncomputable", "public") or (
            word == "section"
        ):
            self._scope_command(word, kpos, b, mods)
            return None
        if word == "open":
            self._open(kpos + 4, b, self._current_scope())
            return None
        if word == "export":
            return None
        if word == "variable":
            self._current_scope().variables |= self._binder_names(kpos + 8, b)
            return None
        if word in DECL_KEYWORDS:
            self._declaration(word, a, kpos, b, mods, pending, len(word))
            return None
        if word in OTHER_COMMANDS or word in SCOPE_KEYWORDS or word.startswith("#") or word in MODIFIERS:
            self._nondecl_sorries(word, a, kpos, b)
            return None
        if tok is not None and tok.lastgroup == "id":
            nm = _NONSPACE.search(bl, tok.end(), b)
            if nm and IDENT.match(bl, nm.start()) and IDENT.match(bl, nm.start()).group() not in KEYWORDS:
                self._declaration(word, a, kpos, b, mods, pending, len(word))
                return None
            self.diagnostics.append((line, f"unrecognized command '{word}' skipped"))
            self._nondecl_sorries(word, a, kpos, b)
            return None
        self.diagnostics.append((line, f"unexpected text at command level: {bl[kpos:kpos + 30].strip()!r}"))
        self._nondecl_sorries("unknown", a, kpos, b)
        return None

    @staticmethod
    def _merge(pending: _Scope | None, temp: _Scope) -> _Scope:
        if pending is None:
            return temp
        return _Scope("in", None, [*pending.opens, *temp.opens], pending.variables | temp.variables)

    def _find_in(self, a: int, b: int) -> int | None:
        depth = 0
        for m in re.finditer(r"[()\[\]{}⟨⟩⦃⦄]|\bin\b", self.blanked[a:b]):
            g = m.group()
            if g == "in":
                if depth == 0:
                    return a + m.start()
            elif g in _OPEN:
                depth += 1
            else:
                depth -= 1
        return None

    def _current_scope(self) -> _Scope:
        if not self.state.scopes:
            self.state.scopes.append(_Scope("file", None))
        return self.state.scopes[-1]

    def _scope_command(self, word: str, kpos: int, b: int, mods: list[str]) -> None:
        bl = self.blanked
        rest = bl[kpos:b]
        line = self.pos(kpos)[0]
        if word in ("noncomputable", "public"):
            m = re.match(r"(?:noncomputable|public)(?:\s+(?:noncomputable|public))*\s+section\b\s*(\S*)", rest)
            if not m:
                self._nondecl_sorries(word, kpos, kpos, b)
                return
            self._push("section", m.group(1) or None)
            return
        m = re.match(r"\w+\s*(\S*)", rest)
        arg = m.group(1) if m else ""
        if arg and not IDENT.fullmatch(arg):
            arg = ""
        if word == "namespace":
            if not arg:
                self.diagnostics.append((line, "namespace without a name"))
                return
            for part in _split_name(strip_guillemets(arg)):
                self.state.scopes.append(_Scope("namespace", part))
        elif word == "section":
            self._push("section", arg or None)
        elif word == "mutual":
            self.state.scopes.append(_Scope("mutual", None))
        elif word == "end":
            self._end(arg, line)

    def _push(self, kind: str, name: str | None) -> None:
        if name:
            for part in _split_name(name):
                self.state.scopes.append(_Scope(kind, part))
        else:
            self.state.scopes.append(_Scope(kind, None))

    def _end(self, arg: str, line: int) -> None:
        scopes = self.state.scopes
        while scopes and scopes[-1].kind in ("file",):
            break
        parts = _split_name(strip_guillemets(arg)) if arg else [None]
        for part in reversed(parts):
            if not scopes or scopes[-1].kind == "file":
                self.diagnostics.append((line, f"'end {arg}' closes nothing"))
                return
            top = scopes[-1]
            if top.name != part:
                self.diagnostics.append((line, f"'end {arg}' does not match the open {top.kind} {top.name or ''}"))
            scopes.pop()

    def _open(self, a: int, b: int, scope: _Scope) -> None:
        bl = self.blanked
        seg = bl[a:b]
        ns = self.state.namespace
        seg = re.sub(r"^\s*scoped\b", "", seg)
        # open A B (x y) / open A hiding x / open A renaming x → y
        m = re.match(r"\s*([^\s(]+)\s+hiding\s+(.*)", seg, re.S)
        if m:
            scope.opens.append(OpenDirective(strip_guillemets(m.group(1)), ns, hiding=tuple(IDENT.findall(m.group(2)))))
            return
        m = re.match(r"\s*([^\s(]+)\s+renaming\s+(.*)", seg, re.S)
        if m:
            pairs = tuple(re.findall(rf"({IDENT.pattern})\s*→\s*({IDENT.pattern})", m.group(2)))
            scope.opens.append(OpenDirective(strip_guillemets(m.group(1)), ns, renaming=pairs))
            return
        for om in re.finditer(rf"({IDENT.pattern})(\s*\(([^)]*)\))?", seg):
            name = om.group(1)
            if name in ("in", "scoped"):
                continue
            only = tuple(IDENT.findall(om.group(3))) if om.group(2) else None
            scope.opens.append(OpenDirective(strip_guillemets(name), ns, only=only))

    def _binder_names(self, a: int, b: int) -> set[str]:
        """Names bound by binder groups `(x y : T)`, `{x}`, `[inst : C]`, `⦃x⦄` in [a, b)."""
        bl = self.blanked
        names: set[str] = set()
        for m in re.finditer(r"[(\{⦃\[⟨]", bl[a:b]):
            p = a + m.end()
            opener = m.group()
            # names up to ':' (or the closing bracket for `{x}`/`(x)`)
            toks = []
            for t in _TOKEN.finditer(bl, p, b):
                g = t.group()
                if t.lastgroup == "id":
                    toks.append(g)
                    continue
                if g == "_":
                    continue
                if g == ":" or (g in ")}⦄" and opener != "["):
                    names.update(x for x in toks if x not in KEYWORDS)
                break
        return names

    # -- declarations ------------------------------------------------------------------

    def _declaration(self, kind: str, a: int, kpos: int, b: int, mods: list[str], pending: _Scope | None,
                     kwlen: int) -> None:
        bl = self.blanked
        end = self.last_code(a, b)
        if end <= kpos:
            return
        p = kpos + kwlen
        if kind == "class" and re.match(r"\s+inductive\b", bl[p:b]):
            p = re.match(r"\s+inductive", bl[p:b]).end() + p
        name = None
        name_start = name_end = None
        nm = _NONSPACE.search(bl, p, end)
        if kind == "instance" and nm and bl.startswith("(", nm.start()):
            # (priority := ...)
            q = self._match_bracket(nm.start(), end)
            if re.match(r"\(\s*priority\b", bl[nm.start():q]):
                p = q
                nm = _NONSPACE.search(bl, p, end)
        if kind != "example" and nm:
            im = IDENT.match(bl, nm.start())
            if im and im.group() not in KEYWORDS and not (kind == "instance" and im.group() in ("where",)):
                name = im.group()
                name_start, name_end = im.start(), im.end()
                p = im.end()
        if kind == "alias" and name is None and nm and bl.startswith("⟨", nm.start()):
            # alias ⟨a, b⟩ := foo_iff: declares two names
            q = self._match_bracket(nm.start(), end)
            for im in IDENT.finditer(bl, nm.start(), q):
                self._simple_decl(kind, a, kpos, end, mods, pending, im.group(), im.start(), im.end())
            return
        body, style = self._body_start(p, end, kind)
        ns = self.state.namespace
        scope_opens = self.state.opens() + (tuple(pending.opens) if pending else ())
        variables = self.state.variables() | (pending.variables if pending else frozenset())
        if name is not None:
            stripped = strip_guillemets(name)
            full = stripped[len("_root_."):] if stripped.startswith("_root_.") else ".".join((*ns, stripped))
        elif kind == "instance":
            full = ".".join((*ns, self._instance_name(p, body if body is not None else end)))
        elif kind == "example":
            full = None
        else:
            self.diagnostics.append((self.pos(kpos)[0], f"'{kind}' without a name"))
            full = None
        is_thm = kind in THEOREM_KEYWORDS
        code_end = body if (is_thm and body is not None) else end
        code = self.code(a, code_end)
        if is_thm:
            code = re.sub(r"\s*:=\s*\Z", "", code)
        d = Decl(
            kind=kind,
            full_name=full,
            start=self.pos(a),
            keyword_pos=self.pos(kpos),
            end=self.pos(end),
            name_pos=self.pos(name_start) if name_start is not None else None,
            name_end=self.pos(name_end) if name_end is not None else None,
            code=code,
            modifiers=tuple(mods),
            namespace=ns,
            opens=scope_opens,
            locals_in_scope=frozenset(variables),
            is_theorem=is_thm,
            start_offset=kpos,
        )
        # premise start: the whole declaration including docstring/attributes/modifiers
        first = _NONSPACE.search(self.text, a, end)
        d.start = self.pos(first.start() if first else a)
        if is_thm:
            d.statement = self.code(kpos, body if body is not None else end)
            d.statement = re.sub(r"\s*:=\s*\Z", "", d.statement)
        d.proof_style = style
        # sorries
        body_off = body if body is not None else end
        for sm in SORRY_TOKEN.finditer(bl[kpos:end]):
            off = kpos + sm.start()
            if off < body_off:
                ctx = "statement"
            elif is_thm:
                ctx = "tactic" if style == "tactic" else ("term" if style == "term" else "proof")
            else:
                ctx = "body"
            ln, cl = self.pos(off)
            d.sorries.append((ln, cl, ctx))
        step_heads: set[int] = set()
        if style == "tactic" and body is not None:
            bym = _BODY_BY.match(bl, body)
            if bym:
                first_tok = _NONSPACE.search(bl, bym.end(), end)
                if first_tok:
                    d.steps = self._block(first_tok.start(), self._proof_end(first_tok.start(), end), step_heads)
        elif body is not None:
            self._term_by_blocks(body, end, step_heads)
        if kind in ("inductive", "coinductive", "structure", "class") and full:
            d.sub_names = self._sub_names(kind, full, p, end, body)
        if is_thm and body is not None:
            # one tokenization of the declaration serves both passes (the hot path)
            toks = [(m.group(), m.lastgroup == "id", m.start()) for m in _TOKEN.finditer(bl, kpos, end)]
            d.bound = frozenset(self._bound_names(kpos, body, toks)) | variables
            first_body = bisect.bisect_left(toks, body, key=_tok_start)
            d.references = [(r, o) for r, o in self._references(toks, first_body, step_heads)
                            if r.split(".", 1)[0] not in d.bound]
        self.decls.append(d)

    def _simple_decl(self, kind, a, kpos, end, mods, pending, name, ns_, ne_) -> None:
        ns = self.state.namespace
        stripped = strip_guillemets(name)
        full = stripped[len("_root_."):] if stripped.startswith("_root_.") else ".".join((*ns, stripped))
        first = _NONSPACE.search(self.text, a, end)
        self.decls.append(Decl(kind=kind, full_name=full, start=self.pos(first.start() if first else a),
                               keyword_pos=self.pos(kpos), end=self.pos(end), name_pos=self.pos(ns_),
                               name_end=self.pos(ne_), code=self.code(a, end), modifiers=tuple(mods),
                               namespace=ns, opens=self.state.opens(), locals_in_scope=frozenset(),
                               start_offset=kpos))

    def _body_start(self, p: int, end: int, kind: str) -> tuple[int | None, str]:
        """Offset of the body (`:=`, first equation `|`, or `where`) and the proof style."""
        bl = self.blanked
        depth = 0
        pending_defs = 0
        seen_colon = False
        for t in _TOKEN.finditer(bl, p, end):
            g = t.group()
            if g in _OPEN:
                depth += 1
            elif g in _CLOSE:
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
                nxt = _NONSPACE.search(bl, t.end(), end)
                if nxt and _BY.match(bl, nxt.start()):
                    return t.start(), "tactic"
                return t.start(), "term"
            elif g == "|":
                ls = self.line_starts[bisect.bisect_right(self.line_starts, t.start()) - 1]
                after = bl[t.end() : t.end() + 1]
                first_on_line = not bl[ls : t.start()].strip()
                if first_on_line or (after in (" ", "\n", "") and bl[t.start() - 1 : t.start()] in (" ", "\n")):
                    if kind in ("inductive", "coinductive", "class", "structure"):
                        return t.start(), "equations"
                    if seen_colon or first_on_line:
                        return t.start(), "equations"
            elif g == "where" or (g == "with" and kind in ("inductive", "structure", "class")):
                return t.start(), "where"
            elif g in ("termination_by", "decreasing_by", "deriving"):
                return None, "none"
        return None, "none"

    def _term_by_blocks(self, body: int, end: int, heads: set[int]) -> None:
        """Tactic blocks inside a term or equation body (`fun x => by simp`): only their
        step heads matter here (tactic names are not premise references)."""
        pos = body
        while True:
            m = _BY_ANY.search(self.blanked, pos, end)
            if m is None:
                return
            inner = _NONSPACE.search(self.blanked, m.end(), end)
            if inner is None:
                return
            heads.add(inner.start())
            self._block(inner.start(), end, heads, 1)
            pos = max(m.end(), self._block_end_offset(inner.start(), end))

    def _proof_end(self, start: int, end: int) -> int:
        """End of a theorem's main tactic block: before `termination_by`/`decreasing_by`
        at a smaller column, or `end`."""
        m = re.compile(r"(?m)^[ \t]*(termination_by|decreasing_by)\b").search(self.blanked, start, end)
        return self.last_code(start, m.start()) if m else end

    def _instance_name(self, p: int, body: int) -> str:
        """Lean's generated name for an anonymous instance, approximately: `inst` followed
        by the capitalised constants of the class application (`instance : Add Nat` ->
        `instAddNat`)."""
        seg = self.blanked[p:body]
        depth = 0
        colon = None
        for t in _TOKEN.finditer(seg):
            g = t.group()
            if g in _OPEN:
                depth += 1
            elif g in _CLOSE:
                depth -= 1
            elif g == ":" and depth == 0:
                colon = t.end()
        ty = seg[colon:] if colon is not None else seg
        heads = [_split_name(strip_guillemets(x))[-1] for x in IDENT.findall(ty)]
        heads = [h for h in heads if h[:1].isupper()]
        return "inst" + "".join(heads) if heads else "inst"

    def _sub_names(self, kind: str, full: str, p: int, end: int, body: int | None) -> list[SubName]:
        bl = self.blanked
        out: list[SubName] = []
        if body is None:
            if kind in ("structure", "class"):
                return [SubName(f"{full}.mk", self.pos(p), self.pos(p))]
            return out
        if kind in ("inductive", "coinductive") or (kind == "class" and bl.startswith("|", body)):
            for m in re.finditer(r"(?m)(?:^|(?<=\s))\|\s*(?:(?:private|protected)\s+)?(" + IDENT.pattern + ")",
                                 bl[body:end]):
                s = body + m.start(1)
                e = body + m.end(1)
                # constructors only at bracket depth 0 of the declaration
                out.append(SubName(f"{full}.{strip_guillemets(m.group(1))}", self.pos(s), self.pos(e)))
            return out
        # structure / class fields
        after = re.compile(r"(where|:=)\s*").match(bl, body)
        q = after.end() if after else body
        cm = re.compile(rf"({IDENT.pattern})\s*::").match(bl, q)
        if cm:
            out.append(SubName(f"{full}.{cm.group(1)}", self.pos(cm.start(1)), self.pos(cm.end(1))))
            q = cm.end()
        else:
            out.append(SubName(f"{full}.mk", self.pos(body), self.pos(body)))
        first = _NONSPACE.search(bl, q, end)
        if not first:
            return out
        fcol = self.col(first.start())
        for ln_start in self.line_starts[bisect.bisect_right(self.line_starts, first.start()) - 1 :]:
            if ln_start >= end:
                break
            m = _NONSPACE.search(bl, ln_start, min(self.line_end(ln_start), end))
            if not m or m.start() < first.start():
                continue
            if self.col(m.start()) != fcol:
                continue
            seg_end = min(self.line_end(m.start()), end)
            fm = re.compile(rf"[({{]?\s*((?:{IDENT.pattern}\s+)*{IDENT.pattern})\s*(?::(?!=)|[(\[{{⦃])").match(
                bl, m.start(), seg_end)
            if fm:
                for im in IDENT.finditer(bl, fm.start(1), fm.end(1)):
                    if im.group() not in KEYWORDS:
                        out.append(SubName(f"{full}.{strip_guillemets(im.group())}", self.pos(im.start()),
                                           self.pos(im.end())))
        return out

    # -- tactic blocks -----------------------------------------------------------------

    def _block(self, start: int, limit: int, heads: set[int], depth: int = 0) -> list[Step]:
        """Steps of the tactic block whose first token is at `start`; stops at the first
        line indented less than that token, or at `limit`."""
        bl = self.blanked
        col = self.col(start)
        starts = [start]
        ln = bisect.bisect_right(self.line_starts, start)  # next line index
        bdepth = self._depth_delta(start, min(self.line_end(start), limit))
        block_end = self.last_code(start, min(self.line_end(start), limit))
        while ln < len(self.line_starts):
            ls = self.line_starts[ln]
            if ls >= limit:
                break
            le = min(self.line_end(ls), limit)
            m = _NONSPACE.search(bl, ls, le)
            if m is None:
                ln += 1
                continue
            c = m.start() - ls + 1
            if c < col and bdepth <= 0:
                break
            if c == col and bdepth <= 0 and bl[m.start()] != "|":
                # `| alt =>` lines at the step column are alternatives of the previous
                # step (induction/cases/match/rcases), not steps of their own
                starts.append(m.start())
            bdepth = max(0, bdepth + self._depth_delta(m.start(), le))
            block_end = self.last_code(ls, le)
            ln += 1
        steps: list[Step] = []
        bounds = [*starts, block_end]
        for i in range(len(starts)):
            s, e = bounds[i], self.last_code(bounds[i], bounds[i + 1])
            if i + 1 < len(starts):
                e = self.last_code(s, starts[i + 1])
            for ss, se in self._split_semicolons(s, e):
                heads.add(ss)
                steps.append(self._step(ss, se, heads, depth))
        return steps

    def _depth_delta(self, a: int, b: int) -> int:
        d = 0
        for m in _BRACKET.finditer(self.blanked, a, b):
            d += 1 if m.group() in _OPEN else -1
        return d

    def _split_semicolons(self, s: int, e: int) -> list[tuple[int, int]]:
        bl = self.blanked
        if bl.startswith(("·", ". "), s):
            return [(s, e)]
        out = []
        depth = 0
        cur = s
        for t in _TOKEN.finditer(bl, s, e):
            g = t.group()
            if g in _OPEN:
                depth += 1
            elif g in _CLOSE:
                depth -= 1
            elif depth == 0 and g in ("=>", "by"):
                break  # a nested block owns the rest of the line
            elif depth == 0 and g == ";":
                if t.start() > cur:
                    out.append((cur, self.last_code(cur, t.start())))
                nxt = _NONSPACE.search(bl, t.end(), e)
                cur = nxt.start() if nxt else e
        if cur < e:
            out.append((cur, e))
        return out or [(s, e)]

    _OPENER = re.compile(r"=>|\bby\b|\bcalc\b|(?<![\w'])(?:all_goals|any_goals|try|repeat|focus|iterate)\b(?=[ \t]*\n)")

    def _step(self, s: int, e: int, heads: set[int], depth: int) -> Step:
        bl = self.blanked
        col = self.col(s)
        raw = self.code(s, e)
        lines = raw.split("\n")
        text = "\n".join([lines[0]] + [ln[col - 1 :] if ln[: col - 1].strip() == "" else ln.lstrip()
                                        for ln in lines[1:]])
        step = Step(text, self.pos(s), s)
        if depth > 24:
            return step
        pos = s
        if bl.startswith(("·", ". "), s):
            inner = _NONSPACE.search(bl, s + 1, e)
            if inner:
                heads.add(inner.start())
                step.blocks.append(Block("·", self.pos(inner.start()),
                                         self._block(inner.start(), e, heads, depth + 1)))
            return step
        while pos < e:
            m = self._OPENER.search(bl, pos, e)
            if m is None:
                break
            inner = _NONSPACE.search(bl, m.end(), e)
            if inner is None:
                break
            heads.add(inner.start())
            if m.group() == "calc" and self.line_end(inner.start()) < e:
                sub, nxt = self._calc_block(inner.start(), e, heads, depth + 1)
            else:
                sub = self._block(inner.start(), e, heads, depth + 1)
                nxt = self._block_end_offset(inner.start(), e)
            step.blocks.append(Block(m.group(), self.pos(inner.start()), sub))
            pos = max(nxt, m.end()) if sub else m.end()
        return step

    def _calc_block(self, start: int, limit: int, heads: set[int], depth: int) -> tuple[list[Step], int]:
        """`calc a = b := p` with the next steps `_ = c := q` on the lines below, aligned
        with each other but not with the first one. Returns the steps and where they end
        (the caller must not look for further blocks inside them)."""
        first_end = self.last_code(start, self.line_end(start))
        steps = [self._step(start, first_end, heads, depth)]
        end = self.line_end(start)
        nxt = _NONSPACE.search(self.blanked, first_end, limit)
        if nxt is not None and self.col(nxt.start()) > self.col(self.line_starts[
                bisect.bisect_right(self.line_starts, start) - 1]) + 0 and self.col(nxt.start()) <= self.col(start):
            steps.extend(self._block(nxt.start(), limit, heads, depth))
            end = self._block_end_offset(nxt.start(), limit)
        return steps, min(end, limit)

    def _block_end_offset(self, start: int, limit: int) -> int:
        col = self.col(start)
        bl = self.blanked
        ln = bisect.bisect_right(self.line_starts, start)
        end = self.line_end(start)
        while ln < len(self.line_starts):
            ls = self.line_starts[ln]
            if ls >= limit:
                break
            m = _NONSPACE.search(bl, ls, min(self.line_end(ls), limit))
            if m is not None and m.start() - ls + 1 < col:
                break
            end = min(self.line_end(ls), limit)
            ln += 1
        return min(end, limit)

    # -- names bound inside a declaration ----------------------------------------------

    def _bound_names(self, kpos: int, body: int, toks: list[tuple[str, bool, int]]) -> set[str]:
        """Names bound inside the declaration; `toks` are its tokens (text, is_ident, offset)."""
        names = self._binder_names(kpos, body)
        n = len(toks)
        i = 0
        while i < n:
            g = toks[i][0]
            if g in BINDER_KEYWORDS:
                j = i + 1
                depth = 0
                after_colon = False
                while j < n:
                    h, is_id, _ = toks[j]
                    if h in _OPEN:
                        depth += 1
                        after_colon = False if h in "(⟨{⦃[" and depth else after_colon
                    elif h in _CLOSE:
                        depth -= 1
                        after_colon = False
                        if depth < 0:
                            break
                    elif depth == 0 and h in _BINDER_STOP:
                        break
                    elif h == ":":
                        after_colon = True
                        if depth == 0:
                            break
                    elif is_id and not after_colon:
                        names.add(h)
                    j += 1
                i += 1
                continue
            if g in _BINDING_TACTICS or g == "with" or g == "at":
                line_end = self.line_end(toks[i][2])
                stops = _TACTIC_BIND_STOP if g not in _BIND_ALL_LINE else ("using",)
                j = i + 1
                depth = 0
                while j < n:
                    h, is_id, start = toks[j]
                    if start >= line_end:
                        break
                    if h in _OPEN:
                        depth += 1
                    elif h in _CLOSE:
                        depth -= 1
                    elif depth <= 0 and h in stops:
                        break
                    elif is_id and h not in KEYWORDS:
                        names.add(h)
                    j += 1
                i += 1
                continue
            if g == "|":
                # a match / induction alternative: pattern variables up to `=>`
                j = i + 1
                found = False
                pats = []
                while j < n and j < i + 40:
                    h, is_id, _ = toks[j]
                    if h == "=>":
                        found = True
                        break
                    if h in (":=", "|") and j > i + 1:
                        break
                    if is_id:
                        pats.append(h)
                    j += 1
                if found:
                    names.update(pats)
                i += 1
                continue
            if g == "{":
                # set-builder {x | p x} / subtype {x // p}: names before | or //
                j = i + 1
                pats = []
                while j < n and j < i + 12:
                    h, is_id, _ = toks[j]
                    if h in ("|", "//"):
                        names.update(pats)
                        break
                    if h in ("}", ":=", "{"):
                        break
                    if is_id:
                        pats.append(h)
                    j += 1
            i += 1
        return {x for x in names if x not in KEYWORDS}

    def _references(self, toks: list[tuple[str, bool, int]], first: int, heads: set[int]) -> list[tuple[str, int]]:
        """Identifiers of the body (tokens from index `first` on) that may name declarations."""
        refs: list[tuple[str, int]] = []
        seen: set[str] = set()
        prev = ""
        prev_end = -1
        n = len(toks)
        for i in range(first, n):
            g, is_id, s = toks[i]
            if not is_id:
                prev = g
                prev_end = s + len(g)
                continue
            e = s + len(g)
            skip = (
                s in heads
                or g in KEYWORDS
                or (prev in (".", "?") and prev_end == s)  # projection / metavariable ?x
                or prev in ("<;>", "first", "|")  # `first | tac | tac`; `|x|` is lost, rarely a premise
                # a definition site: named argument, field, let-name
                or (i + 1 < n and toks[i + 1][0] == ":=" and toks[i + 1][2] < e + 4)
            )
            prev = g
            prev_end = e
            if skip or g in seen:
                continue
            seen.add(g)
            refs.append((g, s))
        return refs

    def _nondecl_sorries(self, kind: str, a: int, kpos: int, b: int) -> None:
        """A command that declares nothing but holds `sorry` (e.g. `#check (sorry : P)`)."""
        end = self.last_code(a, b)
        seg = self.blanked[kpos:end]
        if "sorry" not in seg:
            return
        offs = [kpos + m.start() for m in SORRY_TOKEN.finditer(seg)]
        if offs:
            d = Decl(kind=kind, full_name=None, start=self.pos(kpos), keyword_pos=self.pos(kpos), end=self.pos(end),
                     name_pos=None, name_end=None, code="", modifiers=(), namespace=self.state.namespace, opens=(),
                     locals_in_scope=frozenset(), start_offset=kpos)
            d.sorries = [(*self.pos(o), "body") for o in offs]
            self.decls.append(d)


def parse_text(text: str, path: str, content_hash: str = "") -> ParsedFile:
    """Parse one file's text. Never raises: what cannot be understood becomes a diagnostic."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    num_lines = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
    try:
        fp = _FileParser(text, path)
        fp.parse()
        return ParsedFile(path, content_hash, num_lines, fp.imports, fp.decls, fp.diagnostics, fp.prelude)
    except RecursionError:
        return ParsedFile(path, content_hash, num_lines, [], [], [(None, "nesting too deep to parse")])
    except Exception as exc:  # never crash on a file: report it and index the rest
        return ParsedFile(path, content_hash, num_lines, [], [], [(None, f"parser error: {type(exc).__name__}: {exc}")])


def parse_bytes(data: bytes, path: str) -> ParsedFile:
    import hashlib

    digest = hashlib.sha256(data).hexdigest()
    try:
        text = data.decode("utf-8")
        bad = False
    except UnicodeDecodeError as exc:
        text = data.decode("utf-8", errors="replace")
        bad = exc
    pf = parse_text(text, path, digest)
    if bad:
        line = data[: bad.start].count(b"\n") + 1
        pf.diagnostics.insert(0, (line, "invalid UTF-8 (decoded with replacement characters)"))
    return pf
