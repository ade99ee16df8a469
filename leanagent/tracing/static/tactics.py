"""The structure of tactic proofs: blocks of steps, nested blocks, `calc` chains.

A block's steps are the lines at its first step's column (continuation lines are
indented further); `;` separates steps on one line; `·`, `=> `, `by`, `calc` and the
block combinators (`all_goals`, `try` ...) open nested blocks. Every step's first token
is recorded in ``heads``: a tactic's name is never a premise reference.
"""

from __future__ import annotations

import bisect
import re

from database.lean_text import CLOSE_BRACKETS, NOT_IDENT_AFTER, OPEN_BRACKETS, TOKEN

from .parsed import Block, Step
from .source import NONSPACE, Source

_BY_ANY = re.compile(r"(?<![\w'.])by" + NOT_IDENT_AFTER)


class TacticReader:
    """Tactic blocks of one file."""

    _OPENER = re.compile(r"=>|\bby\b|\bcalc\b|(?<![\w'])(?:all_goals|any_goals|try|repeat|focus|iterate)\b(?=[ \t]*\n)")

    def __init__(self, src: Source) -> None:
        self.src = src

    def block(self, start: int, limit: int, heads: set[int], depth: int = 0) -> list[Step]:
        """Steps of the tactic block whose first token is at `start`; stops at the first
        line indented less than that token, or at `limit`."""
        bl = self.src.blanked
        col = self.src.col(start)
        starts = [start]
        ln = bisect.bisect_right(self.src.line_starts, start)  # next line index
        bdepth = self.src.depth_delta(start, min(self.src.line_end(start), limit))
        block_end = self.src.last_code(start, min(self.src.line_end(start), limit))
        while ln < len(self.src.line_starts):
            ls = self.src.line_starts[ln]
            if ls >= limit:
                break
            le = min(self.src.line_end(ls), limit)
            m = NONSPACE.search(bl, ls, le)
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
            bdepth = max(0, bdepth + self.src.depth_delta(m.start(), le))
            block_end = self.src.last_code(ls, le)
            ln += 1
        steps: list[Step] = []
        bounds = [*starts, block_end]
        for i in range(len(starts)):
            s, e = bounds[i], self.src.last_code(bounds[i], bounds[i + 1])
            if i + 1 < len(starts):
                e = self.src.last_code(s, starts[i + 1])
            for ss, se in self.split_semicolons(s, e):
                heads.add(ss)
                steps.append(self.step(ss, se, heads, depth))
        return steps

    def split_semicolons(self, s: int, e: int) -> list[tuple[int, int]]:
        bl = self.src.blanked
        if bl.startswith(("·", ". "), s):
            return [(s, e)]
        out = []
        depth = 0
        cur = s
        for t in TOKEN.finditer(bl, s, e):
            g = t.group()
            if g in OPEN_BRACKETS:
                depth += 1
            elif g in CLOSE_BRACKETS:
                depth -= 1
            elif depth == 0 and g in ("=>", "by"):
                break  # a nested block owns the rest of the line
            elif depth == 0 and g == ";":
                if t.start() > cur:
                    out.append((cur, self.src.last_code(cur, t.start())))
                nxt = NONSPACE.search(bl, t.end(), e)
                cur = nxt.start() if nxt else e
        if cur < e:
            out.append((cur, e))
        return out or [(s, e)]

    def step(self, s: int, e: int, heads: set[int], depth: int) -> Step:
        bl = self.src.blanked
        col = self.src.col(s)
        raw = self.src.code(s, e)
        lines = raw.split("\n")
        text = "\n".join([lines[0]] + [ln[col - 1 :] if ln[: col - 1].strip() == "" else ln.lstrip()
                                        for ln in lines[1:]])
        step = Step(text, self.src.pos(s), s)
        if depth > 24:
            return step
        pos = s
        if bl.startswith(("·", ". "), s):
            inner = NONSPACE.search(bl, s + 1, e)
            if inner:
                heads.add(inner.start())
                step.blocks.append(Block("·", self.src.pos(inner.start()),
                                         self.block(inner.start(), e, heads, depth + 1)))
            return step
        while pos < e:
            m = self._OPENER.search(bl, pos, e)
            if m is None:
                break
            inner = NONSPACE.search(bl, m.end(), e)
            if inner is None:
                break
            heads.add(inner.start())
            if m.group() == "calc" and self.src.line_end(inner.start()) < e:
                sub, nxt = self.calc_block(inner.start(), e, heads, depth + 1)
            else:
                sub = self.block(inner.start(), e, heads, depth + 1)
                nxt = self.block_end_offset(inner.start(), e)
            step.blocks.append(Block(m.group(), self.src.pos(inner.start()), sub))
            pos = max(nxt, m.end()) if sub else m.end()
        return step

    def calc_block(self, start: int, limit: int, heads: set[int], depth: int) -> tuple[list[Step], int]:
        """`calc a = b := p` with the next steps `_ = c := q` on the lines below, aligned
        with each other but not with the first one. Returns the steps and where they end
        (the caller must not look for further blocks inside them)."""
        first_end = self.src.last_code(start, self.src.line_end(start))
        steps = [self.step(start, first_end, heads, depth)]
        end = self.src.line_end(start)
        nxt = NONSPACE.search(self.src.blanked, first_end, limit)
        if nxt is not None and self.src.col(nxt.start()) > self.src.col(self.src.line_starts[
                bisect.bisect_right(self.src.line_starts, start) - 1]) + 0 and self.src.col(nxt.start()) <= self.src.col(start):
            steps.extend(self.block(nxt.start(), limit, heads, depth))
            end = self.block_end_offset(nxt.start(), limit)
        return steps, min(end, limit)

    def block_end_offset(self, start: int, limit: int) -> int:
        col = self.src.col(start)
        bl = self.src.blanked
        ln = bisect.bisect_right(self.src.line_starts, start)
        end = self.src.line_end(start)
        while ln < len(self.src.line_starts):
            ls = self.src.line_starts[ln]
            if ls >= limit:
                break
            m = NONSPACE.search(bl, ls, min(self.src.line_end(ls), limit))
            if m is not None and m.start() - ls + 1 < col:
                break
            end = min(self.src.line_end(ls), limit)
            ln += 1
        return min(end, limit)

    # -- names bound inside a declaration ----------------------------------------------

    def term_by_blocks(self, body: int, end: int, heads: set[int]) -> None:
        """Tactic blocks inside a term or equation body (`fun x => by simp`): only their
        step heads matter here (tactic names are not premise references)."""
        pos = body
        while True:
            m = _BY_ANY.search(self.src.blanked, pos, end)
            if m is None:
                return
            inner = NONSPACE.search(self.src.blanked, m.end(), end)
            if inner is None:
                return
            heads.add(inner.start())
            self.block(inner.start(), end, heads, 1)
            pos = max(m.end(), self.block_end_offset(inner.start(), end))

    def proof_end(self, start: int, end: int) -> int:
        """End of a theorem's main tactic block: before `termination_by`/`decreasing_by`
        at a smaller column, or `end`."""
        m = re.compile(r"(?m)^[ \t]*(termination_by|decreasing_by)\b").search(self.src.blanked, start, end)
        return self.src.last_code(start, m.start()) if m else end
