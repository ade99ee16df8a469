"""`leanagent doctor` on this machine (no Lean) and with fake Lean tools on PATH."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from leanagent.cli import main
from leanagent.doctor import DoctorConfig, run_checks


def _fake_tools(bin_dir: Path, lean_version: str) -> None:
    bin_dir.mkdir(parents=True, exist_ok=True)
    outputs = {
        "lean": f"Lean (version {lean_version}, x86_64-unknown-linux-gnu, commit 0123abcd, Release)",
        "lake": f"Lake version 5.0.0-0123abcd (Lean version {lean_version})",
        "elan": "elan 4.1.2 (58e8d545e 2025-05-26)",
    }
    for name, text in outputs.items():
        p = bin_dir / name
        p.write_text(f'#!/bin/sh\n[ "$1" = "--version" ] && echo "{text}" && exit 0\nexit 2\n')
        p.chmod(0o755)


def _doctor(home: Path, *args: str):
    return CliRunner().invoke(main, ["--home", str(home), "doctor", *args], catch_exceptions=False)


def test_doctor_on_this_machine_measures_and_names_every_fix(home: Path):
    res = _doctor(home, "--json")
    assert res.exit_code == 0, res.output
    report = json.loads(res.output)
    checks = {c["name"]: c for c in report["checks"]}
    assert report["core_ok"] is True
    for name in ("python", "packages", "sqlite", "home"):
        assert checks[name]["required"] and checks[name]["status"] == "ok"
    for name in ("git", "lake", "lean", "elan", "repl", "lean-dojo", "torch", "cuda", "ray", "chromium"):
        assert name in checks
        if checks[name]["status"] != "ok" and name != "cuda":
            assert checks[name]["fix"], name  # every missing piece says how to get it
    if checks["lean"]["status"] == "missing":
        assert "elan" in checks["lean"]["fix"]
    probe = checks["bf16 cpu"]["data"]
    # a measurement, not a guess: both precisions were timed, and the verdict follows them
    assert probe["fp32_seconds"] > 0 and probe["repeats"] >= 3
    if probe["bf16_seconds"] is not None:
        assert probe["faster"] == ("bf16" if probe["bf16_seconds"] < probe["fp32_seconds"] else "fp32")
    if checks["lean-dojo"]["version"]:
        assert checks["lean-dojo"]["status"] == "ok", checks["lean-dojo"]["detail"]
        assert "import_seconds" in checks["lean-dojo"]["data"]
        assert "before v4.19" in checks["lean-dojo"]["data"]["dojo"]
    # the home is only looked at
    assert not home.exists()


@pytest.mark.parametrize(("lean_version", "dojo_ok"), [("4.9.0", True), ("4.20.0", False)])
def test_doctor_reads_fake_lean_tools_on_path(tmp_path, home, monkeypatch, lean_version, dojo_ok):
    _fake_tools(tmp_path / "bin", lean_version)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    report = run_checks(DoctorConfig(home=home, measure=False))
    assert report.get("lean").status == "ok" and report.get("lean").version == lean_version
    assert report.get("lake").version == "5.0.0-0123abcd"
    assert report.get("elan").version == "4.1.2"
    ld = report.get("lean-dojo")
    if ld.version:
        assert ld.data["installed_lean_dojo"] is dojo_ok
        assert ld.data["installed_lean_traceable"] is True
        assert ("NOT supported (use --backend repl)" in ld.detail) is (not dojo_ok)
    text = _doctor(home, "--no-measure").output
    assert f"lean {lean_version}" in text and "core works: yes" in text


def test_a_broken_lean_tool_is_reported_not_fatal(tmp_path, home, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "lean").write_text("#!/bin/sh\necho 'error: no default toolchain configured' >&2\nexit 1\n")
    (bin_dir / "lean").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    report = run_checks(DoctorConfig(home=home, measure=False))
    lean = report.get("lean")
    assert lean.status == "warning" and "no default toolchain" in lean.detail and lean.fix


def test_doctor_exits_1_when_the_core_is_broken(tmp_path, monkeypatch):
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    monkeypatch.setenv("LEANAGENT_HOME", str(not_a_dir))
    res = CliRunner().invoke(main, ["doctor", "--no-measure"])
    assert res.exit_code == 1
    assert "error    home" in res.output and "fix:" in res.output and "core works: NO" in res.output
