"""Property-based robustness: random and mutated Lean never crashes the static indexer and
always leaves a consistent database."""

from __future__ import annotations

import itertools
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from database.records import RepoInfo
from database.store import Store
from leanagent.tracing.static import StaticIndexConfig, index_repository
from leanagent.tracing.static.parser import INTERNAL_ERROR_PREFIXES, parse_bytes, parse_text

FIXTURES = Path(__file__).parent / "fixtures" / "lean"
SEEDS = [p.read_bytes() for p in sorted(FIXTURES.rglob("*.lean"))]
PIECES = [
    "theorem", "lemma", "def", "instance", "structure", "inductive", "where", "namespace", "end", "section",
    "mutual", "open", "in", "by", ":=", "|", "=>", "·", "sorry", "/-", "-/", "/--", "--", '"', "'", "s!\"{",
    "}", "(", ")", "[", "]", "{", "⟨", "⟩", "@[simp]", "private", "protected", "_root_.", "«", "»", "\n", "\n  ",
    " ", "x", "Foo.bar", "h", ";", "<;>", "calc", "fun", "∀", "#exit", "`(tactic| sorry)", "r#\"", "\t", "\r\n",
]

lean_soup = st.lists(st.sampled_from(PIECES), max_size=80).map("".join)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(0, 6))):
        op = draw(st.integers(0, 2))
        i = draw(st.integers(0, len(data)))
        if op == 0:
            del data[i : i + draw(st.integers(1, 40))]
        elif op == 1:
            data[i:i] = draw(st.sampled_from(PIECES)).encode()
        else:
            data[i:i] = draw(st.binary(max_size=4))  # also invalid UTF-8
    return bytes(data)


@settings(max_examples=300, deadline=None)
@given(st.one_of(lean_soup.map(str.encode), mutated(), st.binary(max_size=200)))
def test_parser_never_raises(data: bytes) -> None:
    """No input reaches the safety nets of `parse_text` (an exception caught for the whole
    file or for one command): every input is understood or reported as a property of the
    input, never as a parser failure."""
    pf = parse_bytes(data, "Fuzz.lean")
    internal = [msg for _, msg in pf.diagnostics if msg.startswith(INTERNAL_ERROR_PREFIXES)]
    assert internal == []
    for d in pf.decls:
        assert d.start <= d.end or d.full_name is None


def test_parser_failures_become_diagnostics(monkeypatch) -> None:
    """The safety nets themselves: a parser bug costs one command (or one file), never the
    import."""
    from leanagent.tracing.static import declarations

    def boom(*args: object) -> None:
        raise ValueError("simulated parser bug")

    monkeypatch.setattr(declarations.FileParser, "_declaration", boom)
    pf = parse_text("theorem a : True := trivial\n\ntheorem b : True := trivial\n", "F.lean")
    assert [msg for _, msg in pf.diagnostics] == ["could not parse command: ValueError: simulated parser bug"] * 2
    monkeypatch.setattr(declarations.FileParser, "parse", boom)
    pf = parse_text("theorem a : True := trivial\n", "F.lean")
    assert pf.decls == [] and pf.diagnostics == [(None, "parser error: ValueError: simulated parser bug")]


_counter = itertools.count()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(lean_soup.map(str.encode), mutated()), min_size=1, max_size=4))
def test_index_keeps_database_consistent(tmp_path: Path, files: list[bytes]) -> None:
    n = next(_counter)
    root = tmp_path / f"repo{n}"
    (root / "Fz").mkdir(parents=True)
    for i, data in enumerate(files):
        (root / "Fz" / f"F{i}.lean").write_bytes(b"import Fz.F0\n" * (i > 0) + data)
    store = Store(tmp_path / "kb.db")
    try:
        index_repository(store, root, RepoInfo(url=str(root), name="fz", commit=f"{n:040d}"),
                         StaticIndexConfig(workers=1))
        assert store.conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert store.conn.execute("SELECT COUNT(*) FROM files").fetchone()[0] >= len(files)
    finally:
        store.close()
