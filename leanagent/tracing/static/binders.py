"""Names bound inside a declaration, and the identifiers of its body that may refer to
other declarations.

Bound names (binder groups, `fun`/`∀` variables, hypotheses introduced by tactics,
pattern variables, set-builder variables) shadow everything: they are never linked.
References skip tactic names (step heads), keywords, projections (`.foo` after an
expression), metavariables (`?x`) and definition sites (`x := ...`).
"""

from __future__ import annotations

import re

from database.lean_text import CLOSE_BRACKETS, KEYWORDS, OPEN_BRACKETS, TOKEN

from .source import Source

#: A token of a declaration: (text, is an identifier, offset in the file).
Tok = tuple[str, bool, int]

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
_BINDER_STOP = frozenset({",", "=>", "↦", "∈", "∉", "<", "≤", ">", "≥", "≠", "⊆", "in", "|", ":=", "∣"})
_TACTIC_BIND_STOP = (":=", ":", "=>", ";", "<;>", "using", "from", "by")
_BIND_ALL_LINE = frozenset({"generalize", "choose", "choose!", "lift", "peel"})


class BinderScanner:
    """Bound names and references of declarations in one file."""

    def __init__(self, src: Source) -> None:
        self.src = src

    def binder_names(self, a: int, b: int) -> set[str]:
        """Names bound by binder groups `(x y : T)`, `{x}`, `[inst : C]`, `⦃x⦄` in [a, b)."""
        bl = self.src.blanked
        names: set[str] = set()
        for m in re.finditer(r"[(\{⦃\[⟨]", bl[a:b]):
            p = a + m.end()
            opener = m.group()
            # names up to ':' (or the closing bracket for `{x}`/`(x)`)
            toks = []
            for t in TOKEN.finditer(bl, p, b):
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

    def bound_names(self, kpos: int, body: int, toks: list[tuple[str, bool, int]]) -> set[str]:
        """Names bound inside the declaration; `toks` are its tokens (text, is_ident, offset)."""
        names = self.binder_names(kpos, body)
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
                    if h in OPEN_BRACKETS:
                        depth += 1
                        after_colon = False if h in "(⟨{⦃[" and depth else after_colon
                    elif h in CLOSE_BRACKETS:
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
                line_end = self.src.line_end(toks[i][2])
                stops = _TACTIC_BIND_STOP if g not in _BIND_ALL_LINE else ("using",)
                j = i + 1
                depth = 0
                while j < n:
                    h, is_id, start = toks[j]
                    if start >= line_end:
                        break
                    if h in OPEN_BRACKETS:
                        depth += 1
                    elif h in CLOSE_BRACKETS:
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

    def references(self, toks: list[tuple[str, bool, int]], first: int, heads: set[int]) -> list[tuple[str, int]]:
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
