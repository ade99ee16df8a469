"""One Lean file as the parser reads it: the text, its blanked views, and positions.

`blanked` is `database.lean_text.blank_non_code`'s view (comments, strings, char/name
literals and syntax quotations replaced by spaces, offsets unchanged), so every token
found in it is real code; `uncommented` blanks only comments (a trailing string literal
is code, a trailing comment is not: where a declaration's code ends). Positions are
LeanDojo's: 1-based lines and columns (`pos`).
"""

from __future__ import annotations

import bisect
import re

from database.lean_text import BRACKET, OPEN_BRACKETS, blank_spans, non_code_spans

Pos = tuple[int, int]

NONSPACE = re.compile(r"\S")


class Source:
    def __init__(self, text: str) -> None:
        self.text = text
        spans = non_code_spans(text)
        self.spans = spans  # comments, literals, quotations
        self.comment_spans = [(a, b) for a, b in spans if text.startswith(("/-", "--"), a)]
        self.doc_starts = {a for a, _ in spans if text.startswith("/--", a)}
        self.blanked = blank_spans(text, spans)
        self.uncommented = blank_spans(text, self.comment_spans)
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

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

    def match_bracket(self, p: int, b: int) -> int:
        """p is at an opening bracket; returns the offset after its match (or b)."""
        depth = 0
        for m in BRACKET.finditer(self.blanked, p, b):
            if m.group() in OPEN_BRACKETS:
                depth += 1
            else:
                depth -= 1
                if depth == 0:
                    return m.end()
        return b

    def depth_delta(self, a: int, b: int) -> int:
        """Opening minus closing brackets in [a, b)."""
        d = 0
        for m in BRACKET.finditer(self.blanked, a, b):
            d += 1 if m.group() in OPEN_BRACKETS else -1
        return d
