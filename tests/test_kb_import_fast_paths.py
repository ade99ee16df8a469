"""The import's fast paths decide exactly what the full checks decide.

An import of a Mathlib-size export validates millions of fields and paths and meets
every theorem once per split scheme, so it takes shortcuts (`database.leandojo_export`):
a field of the expected type is accepted before the generic checks, a path already in
normal form is not rebuilt, and a record identical to one already validated is not
parsed again. These tests pin each shortcut to the full rule."""

from __future__ import annotations

import gc
import json
import shutil
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from database.errors import InputError
from database.leandojo_export import _get, _pos, _rel_path, _Where, import_export
from database.store import Store

WHERE = _Where("f.json", 0)


def _rel_path_full_rule(value: object) -> str | None:
    """The rule without the shortcut: str(PurePosixPath), refusing what escapes."""
    if not isinstance(value, str) or not value:
        return None
    p = PurePosixPath(value)
    if p.is_absolute() or ".." in p.parts or "\\" in value or value.startswith("~") or str(p) == ".":
        return None
    return str(p)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(["a", "B.lean", "", ".", "..", ".lake", "~x", "a\\b", "/"]), min_size=1, max_size=6))
def test_rel_path_shortcut_matches_the_full_rule(parts: list[str]) -> None:
    value = "/".join(parts)
    expected = _rel_path_full_rule(value)
    if expected is None:
        with pytest.raises(InputError):
            _rel_path(value, WHERE, "def_path")
    else:
        assert _rel_path(value, WHERE, "def_path") == expected


@pytest.mark.parametrize("value", [[True, 1], [1, False], [0, 1], [1, -1], [1.0, 2], [1, 2, 3], "(0, 1)"])
def test_positions_the_shortcut_must_not_accept(value: object) -> None:
    with pytest.raises(InputError, match="position"):
        _pos(value, WHERE, "start")


def test_fields_of_the_wrong_type_are_refused() -> None:
    assert _get({"n": 3}, "n", int, WHERE) == 3
    with pytest.raises(InputError, match="expected int, got bool"):
        _get({"n": True}, "n", int, WHERE)
    with pytest.raises(InputError, match="missing"):
        _get({}, "n", int, WHERE)
    assert _get({"s": None}, "s", str, WHERE, optional=True) is None


def _copy_toy(fixtures: Path, tmp_path: Path) -> Path:
    root = tmp_path / "export"
    shutil.copytree(fixtures / "exports/leanagent_toy", root)
    return root


def test_a_scheme_copy_that_differs_is_validated(store: Store, fixtures: Path, tmp_path: Path) -> None:
    """The same theorem in the second scheme, with a malformed field: refused, naming
    that file, and nothing is stored."""
    root = _copy_toy(fixtures, tmp_path)
    path = root / "novel_premises/train.json"
    records = json.loads(path.read_text(encoding="utf-8"))
    records[0]["traced_tactics"][0]["state_before"] = 7
    path.write_text(json.dumps(records), encoding="utf-8")
    with pytest.raises(InputError) as err:
        import_export(store, root)
    assert err.value.file == "novel_premises/train.json"
    assert err.value.field == "traced_tactics[0].state_before"
    assert store.repositories() == []


def test_a_scheme_copy_that_differs_in_position_is_its_own_theorem(
    store: Store, fixtures: Path, tmp_path: Path
) -> None:
    """A record that differs only in where it says the theorem is gets parsed and
    stored on its own, not mapped onto the theorem it resembles."""
    root = _copy_toy(fixtures, tmp_path)
    path = root / "novel_premises/train.json"
    records = json.loads(path.read_text(encoding="utf-8"))
    records[0]["start"] = [records[0]["start"][0] + 1, 1]
    path.write_text(json.dumps(records), encoding="utf-8")
    [s] = import_export(store, root)
    plain = Store(tmp_path / "plain.db")
    try:
        [p] = import_export(plain, fixtures / "exports/leanagent_toy")
        assert s.theorems == p.theorems + 1
    finally:
        plain.close()


def test_the_page_cache_is_restored_after_an_import(store: Store, fixtures: Path) -> None:
    before = store.conn.execute("PRAGMA cache_size").fetchone()[0]
    import_export(store, fixtures / "exports/leanagent_toy")
    assert store.conn.execute("PRAGMA cache_size").fetchone()[0] == before


def test_the_cycle_collector_resumes_after_an_import(store: Store, fixtures: Path, tmp_path: Path) -> None:
    """Paused while records stream (`_cyclic_gc_paused`), back on afterwards -- also
    when the import fails -- and left off when the caller had it off."""
    assert gc.isenabled()
    import_export(store, fixtures / "exports/leanagent_toy")
    assert gc.isenabled()
    root = _copy_toy(fixtures, tmp_path)
    (root / "random/train.json").write_text("[{", encoding="utf-8")
    with Store(tmp_path / "failing.db") as failing, pytest.raises(InputError, match=r"random/train\.json"):
        import_export(failing, root)
    assert gc.isenabled()
    gc.disable()
    try:
        with Store(tmp_path / "other.db") as other:
            import_export(other, fixtures / "exports/leanagent_toy")
        assert not gc.isenabled()
    finally:
        gc.enable()
