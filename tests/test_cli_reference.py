"""The README's CLI reference is the CLI's own help (scripts/cli_reference.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "cli_reference.py"


def _check(readme: Path) -> subprocess.CompletedProcess[str]:
    # A fresh process with a hostile environment: neither a configuration file nor a
    # terminal width may change the text.
    env = {"PATH": "/usr/bin:/bin", "HOME": str(readme.parent), "COLUMNS": "37", "LEANAGENT_RUN_EPOCHS": "9"}
    return subprocess.run([sys.executable, str(SCRIPT), "--check", "--readme", str(readme)], capture_output=True,
                          text=True, env=env, cwd=ROOT)


def test_readme_cli_reference_is_current():
    res = _check(ROOT / "README.md")
    assert res.returncode == 0, (
        "README.md's CLI reference does not match the CLI's --help; regenerate it with\n"
        "    .venv/bin/python scripts/cli_reference.py\n" + res.stderr)


def test_stale_reference_is_caught_and_the_fix_named(tmp_path):
    text = (ROOT / "README.md").read_text()
    assert "  --epochs INTEGER" in text  # an option the reference shows
    for stale in (text.replace("  --epochs INTEGER", "  --epochz INTEGER", 1),  # an option renamed
                  text.replace("<details>\n<summary><code>leanagent train</code>", "<details>\n<summary>x", 1)):
        readme = tmp_path / "README.md"
        readme.write_text(stale)
        res = _check(readme)
        assert res.returncode == 1
        assert "the CLI reference is stale" in res.stderr
        assert f".venv/bin/python scripts/cli_reference.py --readme {readme}" in res.stderr
    # and rewriting puts it right, touching nothing outside the markers
    readme.write_text(text.replace("  --epochs INTEGER", "  --epochz INTEGER", 1) + "\nafter\n")
    subprocess.run([sys.executable, str(SCRIPT), "--readme", str(readme)], check=True, capture_output=True)
    assert readme.read_text() == text + "\nafter\n"


def test_every_command_is_in_the_reference():
    from leanagent.cli import main
    from leanagent.cli.configfile import walk

    text = (ROOT / "README.md").read_text()
    for path, _ in walk(main):
        assert f"$ {' '.join(('leanagent', *path))} --help\n" in text, path
