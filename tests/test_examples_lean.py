"""`lake build` on each bundled example project, where a Lean toolchain exists.

The projects pin one toolchain (`lean-toolchain`) and depend on each other by path, so
building a project also builds the projects it requires. They are built in a copy so
that `.lake/build` never lands in the checkout. The declarations Lean warns about
("declaration uses 'sorry'") must be exactly those the static indexer reports.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from leanagent.cli import main

pytestmark = pytest.mark.lean

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
PROJECTS = ("arith", "logic", "lists", "orders", "algebra")
# conftest points HOME at a temporary directory for every test; elan keeps its
# toolchains under the real one.
_REAL_HOME = os.environ.get("HOME", "")


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("lake") is None:
        pytest.skip("no Lean toolchain: `lake` is not on PATH (install elan: https://github.com/leanprover/elan)")
    dest = tmp_path_factory.mktemp("examples")
    for name in PROJECTS:
        shutil.copytree(EXAMPLES / name, dest / name, symlinks=True)
    return dest


def _indexed_sorries(project_dir: Path, home: Path) -> set[tuple[str, int]]:
    runner = CliRunner()
    r = runner.invoke(main, ["--home", str(home), "add", str(project_dir)], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    r = runner.invoke(main, ["--home", str(home), "sorries", project_dir.name, "--json"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return {(s["file"], s["line"]) for s in json.loads(r.stdout) if not s["is_dependency"]}


@pytest.mark.parametrize("project", PROJECTS)
def test_example_project_builds(copy: Path, project: str, tmp_path: Path) -> None:
    env = {**os.environ, "HOME": _REAL_HOME}
    r = subprocess.run(["lake", "build"], cwd=copy / project, env=env, capture_output=True, text=True,
                       timeout=3600, check=False)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-6000:]
    assert not re.search(r"^error", out, re.M), out[-6000:]

    lib = project.capitalize()
    warned = {(m.group(1), int(m.group(2))) for m in re.finditer(
        rf"(?:^|[\s/])({lib}/[\w/]+\.lean):(\d+):\d+: declaration uses ['`]sorry['`]", out, re.M)}
    expected = _indexed_sorries(copy / project, tmp_path / "home")
    assert warned <= expected, sorted(warned - expected)
    if warned:  # the message format was recognised: then every indexed sorry must be one Lean saw
        assert expected <= warned, sorted(expected - warned)
