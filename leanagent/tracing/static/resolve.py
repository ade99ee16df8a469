"""Name resolution: which declaration an identifier in a proof refers to.

A deliberately strict subset of Lean's rules (`Lean.ResolveName`), because a wrong link
is worse than a missing one (links are the retrieval training signal when there are no
goal states):

* only declarations *accessible* at the theorem count: earlier in the same file, or in
  a file the theorem's file imports, directly or transitively (private ones only from
  their own file);
* the candidates for ``x.y`` written in namespace ``A.B`` are ``A.B.x.y``, ``A.x.y``,
  ``x.y`` (the innermost that exists wins, as in Lean), plus ``O.x.y`` for every
  namespace ``O`` opened in scope (respecting ``open O (a b)``, ``hiding``, ``renaming``);
  a protected declaration is never reached through a namespace or an `open` by its last
  component alone;
* if the namespace candidate and an `open` candidate disagree, or two opens give
  different declarations, Lean would need types to choose: no link;
* names bound in the declaration (binders, `fun`/`∀` variables, hypotheses introduced by
  tactics, pattern variables, `variable`s in scope) shadow everything: never linked;
* ``h.foo`` whose head does not resolve, but whose prefix does, links the prefix (the
  rest is a projection: ``foo_iff.mp``), recorded as ``+proj``.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

from .rows import OpenRow, PreparedFile, TheoremRow


class Target(NamedTuple):
    full_name: str
    file_idx: int
    path: str
    offset: int  # the declaration's keyword offset: "earlier in the same file" compares it
    pos: tuple[int, int]  # the name's position (LeanDojo's def_pos)
    end: tuple[int, int]
    private: bool
    protected: bool


class NameTable:
    def __init__(self, files: list[PreparedFile], closures: list[int]) -> None:
        self.closures = closures  # bitmask of transitively imported file indices
        self.by_name: dict[str, list[Target]] = {}
        self.namespaces: set[str] = set()
        by_name = self.by_name
        for idx, pf in enumerate(files):
            path = pf.path
            for n in pf.names:
                t = Target(n.full_name, idx, path, n.offset, n.pos, n.end, n.private, n.protected)
                lst = by_name.get(n.full_name)
                if lst is None:
                    by_name[n.full_name] = [t]
                    self._add_namespaces(n.full_name)
                else:
                    lst.append(t)

    def _add_namespaces(self, full_name: str) -> None:
        i = full_name.find(".")
        while i > 0:
            self.namespaces.add(full_name[:i])
            i = full_name.find(".", i + 1)

    def lookup(self, name: str, file_idx: int, before: int) -> Target | Literal[False] | None:
        """The accessible declaration called `name`; None if there is none, False if
        several different ones are accessible (ambiguous)."""
        cands = self.by_name.get(name)
        if not cands:
            return None
        mask = self.closures[file_idx]
        found = [
            t for t in cands
            if (t.file_idx == file_idx and t.offset < before) or (not t.private and (mask >> t.file_idx) & 1)
        ]
        if not found:
            return None
        if len(found) > 1:
            return False
        return found[0]

    def open_namespace(self, o: OpenRow) -> str:
        """`open Foo` inside namespace A.B opens A.B.Foo, A.Foo or Foo: the innermost that exists."""
        for i in range(len(o.at), -1, -1):
            cand = ".".join((*o.at[:i], o.namespace))
            if cand in self.namespaces:
                return cand
        return o.namespace


def resolve_references(table: NameTable, file_idx: int, thm: TheoremRow) -> list[tuple[Target, str]]:
    """(target, how) for each identifier of the theorem's proof that resolves; in order
    of first use, each target once."""
    if not thm.refs:
        return []
    chain = thm.chain
    opens = [(table.open_namespace(o), o) for o in thm.opens]
    out: list[tuple[Target, str]] = []
    seen: set[str] = set()
    for parts in thm.refs:
        for k in range(len(parts), 0, -1):
            res = _resolve_one(table, file_idx, thm.offset, ".".join(parts[:k]), k, chain, opens)
            if res is False:
                break  # ambiguous: better no link than a wrong one
            if res is not None:
                target, how = res
                if k < len(parts):
                    how += "+proj"
                if target.full_name != thm.full_name and target.full_name not in seen:
                    seen.add(target.full_name)
                    out.append((target, "static:" + how))
                break
    return out


def _resolve_one(table: NameTable, file_idx: int, before: int, name: str, nparts: int, chain: tuple[str, ...],
                 opens: list[tuple[str, OpenRow]]) -> tuple[Target, str] | Literal[False] | None:
    """(target, how) for one name; None when nothing resolves, False when ambiguous."""
    if name.startswith("_root_."):
        t = table.lookup(name[len("_root_."):], file_idx, before)
        return (t, "root") if t else t
    ns_hit: tuple[Target, str] | None = None
    for ns in chain:
        t = table.lookup(f"{ns}.{name}", file_idx, before)
        if t is False:
            return False
        if t is not None:
            if nparts == 1 and t.protected:
                continue
            ns_hit = (t, "namespace")
            break
    if ns_hit is None:
        t = table.lookup(name, file_idx, before)
        if t is False:
            return False
        if t is not None:
            ns_hit = (t, "exact")
    open_hits: dict[str, Target] = {}
    last = name.split(".", 1)[0]
    for ons, o in opens:
        if o.only is not None and last not in o.only:
            continue
        if last in o.hiding:
            continue
        written = name
        for old, new in o.renaming:
            if last == new:
                written = old + name[len(last):]
        t = table.lookup(f"{ons}.{written}", file_idx, before)
        if t is False:
            return False
        if t is not None and not (nparts == 1 and t.protected):
            open_hits[t.full_name] = t
    if ns_hit is not None:
        if any(n != ns_hit[0].full_name for n in open_hits):
            return False
        return ns_hit
    if len(open_hits) == 1:
        return (next(iter(open_hits.values())), "open")
    if len(open_hits) > 1:
        return False
    return None


def import_closures(imports: list[list[int]]) -> list[int]:
    """Bitmask of the files each file imports, directly or transitively (iterative DFS;
    an import cycle, which Lean rejects, just stops the walk)."""
    n = len(imports)
    closure: list[int | None] = [None] * n
    for root in range(n):
        if closure[root] is not None:
            continue
        stack = [(root, 0)]
        on_stack = {root}
        while stack:
            node, i = stack[-1]
            deps = imports[node]
            if i < len(deps):
                stack[-1] = (node, i + 1)
                d = deps[i]
                if closure[d] is None and d not in on_stack:
                    stack.append((d, 0))
                    on_stack.add(d)
                continue
            mask = 0
            for d in deps:
                mask |= 1 << d
                c = closure[d]
                if c is not None:
                    mask |= c
            closure[node] = mask & ~(1 << node)
            stack.pop()
            on_stack.discard(node)
    return [c or 0 for c in closure]
