"""Cutting a Lean file into commands, the way Lean starts one.

A command starts at a line whose first token is a command keyword, an attribute `@[`, a
modifier or a docstring, at the command column (column 1, or deeper inside `mutual`) and
at bracket depth 0. A word Lean does not know there is a project's own command
(`problem`, `proof_wanted` ...) when the previous command cannot continue onto the line
(it does not end in `:=`, `=>`, `,`, an operator ...). The header (`module`, `prelude`,
`import`) comes first.
"""

from __future__ import annotations

import bisect
import re

from database.lean_text import (
    BRACKET,
    DECL_KEYWORDS,
    IDENT,
    KEYWORDS,
    MODIFIERS,
    OPEN_BRACKETS,
    TOKEN,
    strip_guillemets,
)

from .source import NONSPACE, Source

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
#: Words that always start a command at the command column.
STRONG = DECL_KEYWORDS | SCOPE_KEYWORDS | (OTHER_COMMANDS - {"termination_by", "decreasing_by", "where", "with",
                                                              "deriving", "scoped", "local", "noncomputable"})
# What an unfinished command can end with: the next column-0 word then continues it.
_CONTINUES = re.compile(r"(?:[=:,(\[{⟨⦃←→↔∧∨+*/<>|$·^∘∣≤≥≠∈∉⊆∪∩×-]|\b(?:by|fun|then|else|do|from|at|using|with|λ))\s*\Z")


class CommandCutter:
    """The header and the command boundaries of one file."""

    _HEADER_LINE = re.compile(
        r"[ \t]*(?:(module)\b|(prelude)\b|(?:(?:public|private|meta)\s+)*import\s+(?:all\s+)?((?:[^\s]+[ \t]*)+))"
    )

    def __init__(self, src: Source) -> None:
        self.src = src
        self.imports: list[str] = []  # module names, in the order written
        self.prelude = False

    def header(self, limit: int) -> int:
        """Read the header (`module`, `prelude`, `import` lines); return where it ends."""
        bl = self.src.blanked
        pos = 0
        while True:
            m = NONSPACE.search(bl, pos, limit)
            if m is None:
                return limit
            line_start = m.start() - self.src.col(m.start()) + 1
            hm = self._HEADER_LINE.match(bl, line_start)
            if hm is None or (hm.end() <= m.start() and not hm.group(0).strip()):
                return line_start
            if hm.group(2):
                self.prelude = True
            elif hm.group(3):
                for mod in hm.group(3).split():
                    if IDENT.fullmatch(mod):
                        self.imports.append(strip_guillemets(mod))
            pos = self.src.line_end(m.start())

    def split(self, a: int, limit: int) -> list[tuple[int, int]]:
        """Cut [a, limit) into commands; returns (start, end) pairs."""
        bl = self.src.blanked
        starts: list[int] = []
        depth = 0
        br = BRACKET.finditer(bl, a, limit)
        next_br = next(br, None)
        prev_end_code = a  # where the code of the current command ends so far
        docs = sorted(d for d in self.src.doc_starts if a <= d < limit)
        doc_i = 0
        ln = bisect.bisect_right(self.src.line_starts, a) - 1
        nlines = len(self.src.line_starts)
        mutual_col = None
        while ln < nlines:
            ls = self.src.line_starts[ln]
            if ls >= limit:
                break
            le = min(self.src.line_end(ls), limit)
            # bracket depth at the start of this line
            while next_br is not None and next_br.start() < ls:
                c = next_br.group()
                depth = depth + 1 if c in OPEN_BRACKETS else max(0, depth - 1)
                next_br = next(br, None)
            while doc_i < len(docs) and docs[doc_i] < ls:
                doc_i += 1
            m = NONSPACE.search(bl, ls, le)
            first = m.start() if m else None
            # a docstring at the command column starts the next command's prefix
            if doc_i < len(docs) and docs[doc_i] < le and (first is None or docs[doc_i] < first):
                d = docs[doc_i]
                at_column = d == ls or (mutual_col is not None and d - ls <= mutual_col)
                if depth == 0 and at_column and not self.continues(bl, prev_end_code, d):
                    starts.append(d)
            if first is not None:
                col0 = first - ls
                is_start = False
                if col0 == 0 or (mutual_col is not None and col0 <= mutual_col):
                    w = TOKEN.match(bl, first)
                    word = w.group() if w else ""
                    if word == "@" and bl.startswith("@[", first):
                        is_start = depth == 0 or True
                        depth = 0
                    elif word.startswith("#") or (word == "#" and bl[first + 1 : first + 2].isalpha()):
                        is_start = True
                    elif word in STRONG or word in MODIFIERS:
                        if word in ("instance",) and self.prev_word(bl, first) == "deriving":
                            is_start = False
                        else:
                            is_start = True
                            depth = 0
                    elif word == "deriving" and w is not None:
                        after = NONSPACE.search(bl, w.end(), limit)
                        is_start = after is not None and bl.startswith("instance", after.start())
                    elif w and w.lastgroup == "id" and word not in OTHER_COMMANDS and word not in KEYWORDS \
                            and col0 == 0:
                        # A Lean keyword (`extends`, `with`, `then` ...) never starts a
                        # project's own command: at column 1 it continues the previous one.
                        is_start = depth == 0 and not self.continues(bl, prev_end_code, first)
                    if is_start and starts and starts[-1] >= ls:
                        is_start = False  # the docstring on this line already started it
                    if is_start and not (starts and self.only_prefix_between(starts[-1], first)):
                        starts.append(first)
                    if word == "mutual" and col0 == 0:
                        mutual_col = 10**9  # set from the first declaration inside
                        nxt = NONSPACE.search(bl, le, limit)
                        if nxt:
                            mutual_col = self.src.col(nxt.start()) - 1
                    elif word == "end" and col0 == 0 and mutual_col is not None:
                        mutual_col = None
                prev_end_code = le
            ln += 1
        if not starts or starts[0] > a:
            starts.insert(0, a)
        bounds = [*starts, limit]
        return [(bounds[i], bounds[i + 1]) for i in range(len(starts)) if bounds[i] < bounds[i + 1]]

    def only_prefix_between(self, a: int, b: int) -> bool:
        """True if [a, b) holds only a docstring/attributes/modifiers (part of the next command)."""
        seg = self.src.blanked[a:b]
        if not seg.strip():
            return a in self.src.doc_starts
        j = self.skip_prefix(a, b)[0]
        return not self.src.blanked[j:b].strip()

    @staticmethod
    def prev_word(bl: str, off: int) -> str:
        m = re.search(r"(\S+)\s*\Z", bl[max(0, off - 200) : off])
        return m.group(1) if m else ""

    @staticmethod
    def continues(bl: str, prev_end: int, here: int) -> bool:
        seg = bl[max(0, here - 300) : here].rstrip()
        return bool(seg) and bool(_CONTINUES.search(seg))

    def skip_prefix(self, a: int, b: int) -> tuple[int, list[str]]:
        """Skip docstring, `@[...]` attributes and modifiers; returns (offset, modifiers)."""
        bl = self.src.blanked
        mods: list[str] = []
        pos = a
        while True:
            m = NONSPACE.search(bl, pos, b)
            if m is None:
                return b, mods
            p = m.start()
            if bl.startswith("@[", p):
                pos = self.src.match_bracket(p + 1, b)
                continue
            w = IDENT.match(bl, p)
            if w and w.group() in MODIFIERS:
                mods.append(w.group())
                pos = w.end()
                continue
            return p, mods
