"""Reading the commands of one Lean file: the scope stack (`namespace`, `section`,
`mutual`, `open`, `variable`, `... in`), and declarations with their names, statements,
proof styles, sub-names (constructors, fields), `sorry`s, tactic steps and references.

The parts it drives: `cutting` (where commands start), `tactics` (proof structure),
`binders` (bound names and references), over one `source.Source`.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from database.lean_text import (
    CLOSE_BRACKETS,
    DECL_KEYWORDS,
    IDENT,
    KEYWORDS,
    MODIFIERS,
    NOT_IDENT_AFTER,
    OPEN_BRACKETS,
    SORRY_TOKEN,
    THEOREM_KEYWORDS,
    TOKEN,
    body_start,
    split_name,
    strip_guillemets,
)

from .binders import BinderScanner
from .cutting import OTHER_COMMANDS, SCOPE_KEYWORDS, CommandCutter
from .parsed import Decl, OpenDirective, SubName
from .source import NONSPACE, Source
from .tactics import TacticReader

#: Commands that can prefix another one with `... in`.
_IN_COMBINATORS = frozenset({"open", "set_option", "omit", "include", "variable", "#guard_msgs", "unseal", "attribute"})


def _tok_start(tok: tuple[str, bool, int]) -> int:
    return tok[2]


_BODY_BY = re.compile(r":=\s*by" + NOT_IDENT_AFTER)


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


class FileParser:
    """Parses one file's text (LF line ends) into `Decl`s and diagnostics."""

    def __init__(self, text: str, path: str) -> None:
        self.path = path
        self.src = Source(text)
        self.cutter = CommandCutter(self.src)
        self.tactics = TacticReader(self.src)
        self.binders = BinderScanner(self.src)
        self.diagnostics: list[tuple[int | None, str]] = []
        self.decls: list[Decl] = []
        self.state = _State()
        self._declared: set[str] = set()  # full names declared so far in this file

    @property
    def imports(self) -> list[str]:
        return self.cutter.imports

    @property
    def prelude(self) -> bool:
        return self.cutter.prelude

    # -- driver ------------------------------------------------------------------------

    def parse(self) -> None:
        bl = self.src.blanked
        exit_m = re.search(r"(?m)^#exit\b", bl)
        limit = exit_m.start() if exit_m else len(bl)
        self._unterminated()
        header_end = self.cutter.header(limit)
        chunks = self.cutter.split(header_end, limit)
        pending: _Scope | None = None
        i = 0
        while i < len(chunks):
            a, b = chunks[i]
            try:
                pending = self._command(a, b, pending)
            except Exception as exc:  # one bad command must not lose the file
                self.diagnostics.append((self.src.pos(a)[0], f"could not parse command: {type(exc).__name__}: {exc}"))
                pending = None
            i += 1

    def _unterminated(self) -> None:
        """A block comment or string literal left open runs to the end of the file (Lean
        rejects the file); say so instead of silently indexing nothing after it."""
        text = self.src.text
        for a, b in self.src.comment_spans:
            if text.startswith("/-", a) and not text[a:b].endswith("-/"):
                line = self.src.pos(a)[0]
                self.diagnostics.append((line, f"unterminated block comment: from line {line} to the end of the "
                                               "file everything is comment to Lean's lexer, and nothing in it is "
                                               "indexed (Lean rejects the file)"))
        for a, b in self.src.spans:
            if b >= len(text) and text[a] == '"' and not (b - a > 1 and text[:b].endswith('"')):
                line = self.src.pos(a)[0]
                self.diagnostics.append((line, f"unterminated string literal: from line {line} to the end of the "
                                               "file everything is inside it, and nothing is indexed (Lean rejects "
                                               "the file)"))

    def _command(self, a: int, b: int, pending: _Scope | None) -> _Scope | None:
        bl = self.src.blanked
        kpos, mods = self.cutter.skip_prefix(a, b)
        if kpos >= b:
            return pending
        tok = TOKEN.match(bl, kpos)
        word = tok.group() if tok else ""
        if word == "#" or word.startswith("#"):
            wm = re.match(r"#[\w_]+", bl[kpos:])
            word = wm.group() if wm else "#"
        if word == "class" and re.match(r"class\s+inductive\b", bl[kpos:b]):
            pass
        line = self.src.pos(kpos)[0]
        if word in _IN_COMBINATORS or (word.startswith("#") and word in _IN_COMBINATORS):
            inm = self._find_in(kpos, b)
            if inm is not None:
                temp = _Scope("in", None)
                if word == "open":
                    self._open(kpos + 4, inm, temp)
                elif word == "variable":
                    temp.variables |= self.binders.binder_names(kpos + len(word), inm)
                inner = NONSPACE.search(bl, inm + 2, b)
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
            self._current_scope().variables |= self.binders.binder_names(kpos + 8, b)
            return None
        if word in DECL_KEYWORDS:
            self._declaration(word, a, kpos, b, mods, pending, len(word))
            return None
        if word in OTHER_COMMANDS or word in SCOPE_KEYWORDS or word.startswith("#") or word in MODIFIERS:
            self._nondecl_sorries(word, a, kpos, b)
            return None
        if tok is not None and tok.lastgroup == "id":
            nm = NONSPACE.search(bl, tok.end(), b)
            next_ident = IDENT.match(bl, nm.start()) if nm else None
            if next_ident is not None and next_ident.group() not in KEYWORDS:
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
        for m in re.finditer(r"[()\[\]{}⟨⟩⦃⦄]|\bin\b", self.src.blanked[a:b]):
            g = m.group()
            if g == "in":
                if depth == 0:
                    return a + m.start()
            elif g in OPEN_BRACKETS:
                depth += 1
            else:
                depth -= 1
        return None

    def _current_scope(self) -> _Scope:
        if not self.state.scopes:
            self.state.scopes.append(_Scope("file", None))
        return self.state.scopes[-1]

    def _scope_command(self, word: str, kpos: int, b: int, mods: list[str]) -> None:
        bl = self.src.blanked
        rest = bl[kpos:b]
        line = self.src.pos(kpos)[0]
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
            for part in split_name(strip_guillemets(arg)):
                self.state.scopes.append(_Scope("namespace", part))
        elif word == "section":
            self._push("section", arg or None)
        elif word == "mutual":
            self.state.scopes.append(_Scope("mutual", None))
        elif word == "end":
            self._end(arg, line)

    def _push(self, kind: str, name: str | None) -> None:
        if name:
            for part in split_name(name):
                self.state.scopes.append(_Scope(kind, part))
        else:
            self.state.scopes.append(_Scope(kind, None))

    def _end(self, arg: str, line: int) -> None:
        scopes = self.state.scopes
        while scopes and scopes[-1].kind in ("file",):
            break
        parts = split_name(strip_guillemets(arg)) if arg else [None]
        for part in reversed(parts):
            if not scopes or scopes[-1].kind == "file":
                self.diagnostics.append((line, f"'end {arg}' closes nothing"))
                return
            top = scopes[-1]
            if top.name != part:
                self.diagnostics.append((line, f"'end {arg}' does not match the open {top.kind} {top.name or ''}"))
            scopes.pop()

    def _open(self, a: int, b: int, scope: _Scope) -> None:
        bl = self.src.blanked
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


    def _declaration(self, kind: str, a: int, kpos: int, b: int, mods: list[str], pending: _Scope | None,
                     kwlen: int) -> None:
        bl = self.src.blanked
        end = self.src.last_code(a, b)
        if end <= kpos:
            return
        p = kpos + kwlen
        class_inductive = re.match(r"\s+inductive\b", bl[p:b]) if kind == "class" else None
        if class_inductive is not None:
            p += class_inductive.end()
        name = None
        name_start = name_end = None
        nm = NONSPACE.search(bl, p, end)
        if kind == "instance" and nm and bl.startswith("(", nm.start()):
            # (priority := ...)
            q = self.src.match_bracket(nm.start(), end)
            if re.match(r"\(\s*priority\b", bl[nm.start():q]):
                p = q
                nm = NONSPACE.search(bl, p, end)
        if kind != "example" and nm:
            im = IDENT.match(bl, nm.start())
            if im and im.group() not in KEYWORDS and not (kind == "instance" and im.group() in ("where",)):
                name = im.group()
                name_start, name_end = im.start(), im.end()
                p = im.end()
        if kind == "alias" and name is None and nm and bl.startswith("⟨", nm.start()):
            # alias ⟨a, b⟩ := foo_iff: declares two names
            q = self.src.match_bracket(nm.start(), end)
            for im in IDENT.finditer(bl, nm.start(), q):
                if im.group() == "_":  # `alias ⟨_, mpr⟩ := h`: no name for that direction
                    continue
                self._simple_decl(kind, a, kpos, end, mods, pending, im.group(), im.start(), im.end())
            return
        body, style = body_start(bl, p, end, kind)
        ns = self.state.namespace
        scope_opens = self.state.opens() + (tuple(pending.opens) if pending else ())
        variables = self.state.variables() | (pending.variables if pending else frozenset())
        if name is not None:
            stripped = strip_guillemets(name)
            full = stripped[len("_root_."):] if stripped.startswith("_root_.") else ".".join((*ns, stripped))
        elif kind == "instance":
            full = self._unused(".".join((*ns, self._instance_name(p, body if body is not None else end))))
        elif kind == "example":
            full = None
        else:
            self.diagnostics.append((self.src.pos(kpos)[0], f"'{kind}' without a name"))
            full = None
        if full is not None:
            self._declared.add(full)
        is_thm = kind in THEOREM_KEYWORDS
        code_end = body if (is_thm and body is not None) else end
        code = self.src.code(a, code_end)
        if is_thm:
            code = re.sub(r"\s*:=\s*\Z", "", code)
        d = Decl(
            kind=kind,
            full_name=full,
            start=self.src.pos(a),
            keyword_pos=self.src.pos(kpos),
            end=self.src.pos(end),
            name_pos=self.src.pos(name_start) if name_start is not None else None,
            name_end=self.src.pos(name_end) if name_end is not None else None,
            code=code,
            modifiers=tuple(mods),
            namespace=ns,
            opens=scope_opens,
            locals_in_scope=frozenset(variables),
            is_theorem=is_thm,
            start_offset=kpos,
        )
        # premise start: the whole declaration including docstring/attributes/modifiers
        first = NONSPACE.search(self.src.text, a, end)
        d.start = self.src.pos(first.start() if first else a)
        if is_thm:
            d.statement = self.src.code(kpos, body if body is not None else end)
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
            ln, cl = self.src.pos(off)
            d.sorries.append((ln, cl, ctx))
        step_heads: set[int] = set()
        if style == "tactic" and body is not None:
            bym = _BODY_BY.match(bl, body)
            if bym:
                first_tok = NONSPACE.search(bl, bym.end(), end)
                if first_tok:
                    d.steps = self.tactics.block(first_tok.start(), self.tactics.proof_end(first_tok.start(), end), step_heads)
        elif body is not None:
            self.tactics.term_by_blocks(body, end, step_heads)
        if kind in ("inductive", "coinductive", "structure", "class") and full:
            d.sub_names = self._sub_names(kind, full, p, end, body)
        if is_thm and body is not None:
            # one tokenization of the declaration serves both passes (the hot path)
            toks = [(m.group(), m.lastgroup == "id", m.start()) for m in TOKEN.finditer(bl, kpos, end)]
            d.bound = frozenset(self.binders.bound_names(kpos, body, toks)) | variables
            first_body = bisect.bisect_left(toks, body, key=_tok_start)
            d.references = [(r, o) for r, o in self.binders.references(toks, first_body, step_heads)
                            if r.split(".", 1)[0] not in d.bound]
        self.decls.append(d)

    def _simple_decl(self, kind: str, a: int, kpos: int, end: int, mods: list[str], pending: _Scope | None,
                     name: str, ns_: int, ne_: int) -> None:
        ns = self.state.namespace
        stripped = strip_guillemets(name)
        full = stripped[len("_root_."):] if stripped.startswith("_root_.") else ".".join((*ns, stripped))
        self._declared.add(full)
        first = NONSPACE.search(self.src.text, a, end)
        self.decls.append(Decl(kind=kind, full_name=full, start=self.src.pos(first.start() if first else a),
                               keyword_pos=self.src.pos(kpos), end=self.src.pos(end), name_pos=self.src.pos(ns_),
                               name_end=self.src.pos(ne_), code=self.src.code(a, end), modifiers=tuple(mods),
                               namespace=ns, opens=self.state.opens(), locals_in_scope=frozenset(),
                               start_offset=kpos))

    def _unused(self, full: str) -> str:
        """Lean's rule for a generated name that is taken (`Lean.Elab.mkUnusedBaseName`):
        append ``_1``, ``_2``, ... (within this file: other files' names are not known
        while parsing)."""
        if full not in self._declared:
            return full
        i = 1
        while f"{full}_{i}" in self._declared:
            i += 1
        return f"{full}_{i}"

    def _instance_name(self, p: int, body: int) -> str:
        """Lean's generated name for an anonymous instance, approximately: `inst` followed
        by the capitalised constants of the class application (`instance : Add Nat` ->
        `instAddNat`)."""
        seg = self.src.blanked[p:body]
        depth = 0
        colon = None
        for t in TOKEN.finditer(seg):
            g = t.group()
            if g in OPEN_BRACKETS:
                depth += 1
            elif g in CLOSE_BRACKETS:
                depth -= 1
            elif g == ":" and depth == 0:
                colon = t.end()
        ty = seg[colon:] if colon is not None else seg
        heads = [split_name(strip_guillemets(x))[-1] for x in IDENT.findall(ty)]
        heads = [h for h in heads if h[:1].isupper()]
        return "inst" + "".join(heads) if heads else "inst"

    def _sub_names(self, kind: str, full: str, p: int, end: int, body: int | None) -> list[SubName]:
        bl = self.src.blanked
        out: list[SubName] = []
        if body is None:
            if kind in ("structure", "class"):
                return [SubName(f"{full}.mk", self.src.pos(p), self.src.pos(p))]
            return out
        if kind in ("inductive", "coinductive") or (kind == "class" and bl.startswith("|", body)):
            for m in re.finditer(r"(?m)(?:^|(?<=\s))\|\s*(?:(?:private|protected)\s+)?(" + IDENT.pattern + ")",
                                 bl[body:end]):
                s = body + m.start(1)
                e = body + m.end(1)
                # constructors only at bracket depth 0 of the declaration
                out.append(SubName(f"{full}.{strip_guillemets(m.group(1))}", self.src.pos(s), self.src.pos(e)))
            return out
        # structure / class fields
        after = re.compile(r"(where|:=)\s*").match(bl, body)
        q = after.end() if after else body
        cm = re.compile(rf"({IDENT.pattern})\s*::").match(bl, q)
        if cm:
            out.append(SubName(f"{full}.{cm.group(1)}", self.src.pos(cm.start(1)), self.src.pos(cm.end(1))))
            q = cm.end()
        else:
            out.append(SubName(f"{full}.mk", self.src.pos(body), self.src.pos(body)))
        first = NONSPACE.search(bl, q, end)
        if not first:
            return out
        fcol = self.src.col(first.start())
        for ln_start in self.src.line_starts[bisect.bisect_right(self.src.line_starts, first.start()) - 1 :]:
            if ln_start >= end:
                break
            field_m = NONSPACE.search(bl, ln_start, min(self.src.line_end(ln_start), end))
            if not field_m or field_m.start() < first.start():
                continue
            if self.src.col(field_m.start()) != fcol:
                continue
            seg_end = min(self.src.line_end(field_m.start()), end)
            fm = re.compile(rf"[({{]?\s*((?:{IDENT.pattern}\s+)*{IDENT.pattern})\s*(?::(?!=)|[(\[{{⦃])").match(
                bl, field_m.start(), seg_end)
            if fm:
                for im in IDENT.finditer(bl, fm.start(1), fm.end(1)):
                    if im.group() not in KEYWORDS:
                        out.append(SubName(f"{full}.{strip_guillemets(im.group())}", self.src.pos(im.start()),
                                           self.src.pos(im.end())))
        return out

    # -- tactic blocks -----------------------------------------------------------------
    def _nondecl_sorries(self, kind: str, a: int, kpos: int, b: int) -> None:
        """A command that declares nothing but holds `sorry` (e.g. `#check (sorry : P)`)."""
        end = self.src.last_code(a, b)
        seg = self.src.blanked[kpos:end]
        if "sorry" not in seg:
            return
        offs = [kpos + m.start() for m in SORRY_TOKEN.finditer(seg)]
        if offs:
            d = Decl(kind=kind, full_name=None, start=self.src.pos(kpos), keyword_pos=self.src.pos(kpos), end=self.src.pos(end),
                     name_pos=None, name_end=None, code="", modifiers=(), namespace=self.state.namespace, opens=(),
                     locals_in_scope=frozenset(), start_offset=kpos)
            d.sorries = [(*self.src.pos(o), "body") for o in offs]
            self.decls.append(d)
