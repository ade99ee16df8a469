"""Malformed exports stop with exit 1, an error naming file / record / field, and an
unchanged database -- also when the database already holds other repositories."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from leanagent.cli import main


def _dump_db(home: Path) -> list:
    import sqlite3

    conn = sqlite3.connect(home / "leanagent.db")
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return [(t, conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall()) for t in tables]
    finally:
        conn.close()


def _edit_split(path: Path, fn: Callable[[list], None]) -> None:
    data = json.loads(path.read_text())
    fn(data)
    path.write_text(json.dumps(data, ensure_ascii=False))


def _set(record: int, key_path: list, value) -> Callable[[list], None]:
    def fn(data: list) -> None:
        obj = data[record]
        for k in key_path[:-1]:
            obj = obj[k]
        obj[key_path[-1]] = value

    return fn


def _delete(record: int, key: str) -> Callable[[list], None]:
    def fn(data: list) -> None:
        del data[record][key]

    return fn


CASES = {
    "bad json": ("random/train.json", lambda p: p.write_text('[{"url": "x", oops}]'),
                 ["random/train.json", "invalid or truncated JSON"]),
    "truncated json": ("random/train.json", lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]),
                       ["random/train.json", "truncated"]),
    "not an array": ("random/val.json", lambda p: p.write_text('{"a": 1}'),
                     ["random/val.json", "JSON array"]),
    "missing field": ("random/train.json", lambda p: _edit_split(p, _delete(1, "full_name")),
                      ["random/train.json", "record 1", "field 'full_name'", "missing"]),
    "wrong type": ("random/train.json", lambda p: _edit_split(p, _set(0, ["traced_tactics"], "rw [foo]")),
                   ["random/train.json", "record 0 (Toy.add_swap)", "field 'traced_tactics'", "expected list"]),
    "bad position": ("random/train.json", lambda p: _edit_split(p, _set(0, ["start"], [12])),
                     ["record 0 (Toy.add_swap)", "field 'start'", "[line, col]"]),
    "bad nested position": (
        "random/train.json",
        lambda p: _edit_split(p, _set(0, ["traced_tactics", 0, "annotated_tactic", 1, 0, "def_pos"], "12:3")),
        ["field 'traced_tactics[0].annotated_tactic[1][0].def_pos'", "[line, col]"],
    ),
    "escaping file path": ("random/test.json", lambda p: _edit_split(p, _set(0, ["file_path"], "../../etc/passwd")),
                           ["random/test.json", "record 0", "field 'file_path'", "escapes the export directory"]),
    "absolute def_path": (
        "random/train.json",
        lambda p: _edit_split(p, _set(0, ["traced_tactics", 0, "annotated_tactic", 1, 0, "def_path"], "/etc/x.lean")),
        ["field 'traced_tactics[0].annotated_tactic[1][0].def_path'", "escapes"],
    ),
    "corpus bad line": ("corpus.jsonl", lambda p: p.write_text(p.read_text() + "{not json\n"),
                        ["corpus.jsonl", "line 5", "invalid JSON"]),
    "corpus wrong type": ("corpus.jsonl", lambda p: p.write_text(p.read_text().replace('"imports": []', '"imports": 3', 1)),
                          ["corpus.jsonl", "line 1", "field 'imports'", "expected list"]),
    "boolean as position": ("random/val.json", lambda p: _edit_split(p, _set(0, ["end"], [True, 3])),
                            ["random/val.json", "field 'end'"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_malformed_export(case: str, fixtures: Path, tmp_path: Path) -> None:
    rel, mutate, expected = CASES[case]
    home = tmp_path / "home"
    runner = CliRunner()
    # a database that already holds another repository must stay exactly as it was
    ok = runner.invoke(main, ["--home", str(home), "add", str(fixtures / "exports/official_toy")])
    assert ok.exit_code == 0, ok.output
    before = _dump_db(home)
    bad = tmp_path / "bad"
    shutil.copytree(fixtures / "exports/leanagent_toy", bad)
    mutate(bad / rel)
    result = runner.invoke(main, ["--home", str(home), "add", str(bad)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    for fragment in expected:
        assert fragment in result.output, (fragment, result.output)
    assert _dump_db(home) == before
    # and after fixing the input, the import goes through
    shutil.rmtree(bad)
    shutil.copytree(fixtures / "exports/leanagent_toy", bad)
    again = runner.invoke(main, ["--home", str(home), "add", str(bad)])
    assert again.exit_code == 0, again.output


def test_not_an_export(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(
        main, ["--home", str(tmp_path / "h"), "add", "--tracer", "export", str(tmp_path / "empty")]
    )
    assert result.exit_code == 1
    assert "is not a LeanDojo export" in result.output
