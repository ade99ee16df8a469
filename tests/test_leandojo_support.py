"""The lean-dojo version gate, the isolation of `import lean_dojo`, and the contract
between leanagent's conversion and the installed lean-dojo's classes."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from leandojo_fixture import HAS_LEANDOJO, NO_LEANDOJO

from prover.lean.leandojo_support import (
    LeanDojoImportError,
    LeanDojoNotInstalled,
    LeanDojoSettings,
    LeanVersion,
    UnsupportedLeanVersion,
    check_support,
    leandojo_environment,
    parse_toolchain,
)

# -- versions and the gate -------------------------------------------------------------------


def test_lean_versions_order_release_candidates_before_releases():
    def v(text: str) -> LeanVersion | None:
        return LeanVersion.parse(text)

    versions = [v(t) for t in ("v4.3.0-rc2", "v4.3.0", "v4.10.0", "v4.22.0-rc1", "v4.22.0")]
    assert all(x is not None for x in versions) and versions == sorted(versions)  # type: ignore[type-var]
    assert v("4.9.0") == v("v4.9.0") and str(v("4.9.0")) == "v4.9.0"
    assert v("nightly-2024-05-01") is None and v("v4.9") is None
    tc = parse_toolchain("leanprover/lean4:v4.20.0\n")
    assert (tc.origin, tc.release, tc.version) == ("leanprover/lean4", "v4.20.0", v("v4.20.0"))
    assert parse_toolchain("leanprover/lean4:nightly-2024-05-01").is_nightly


@pytest.mark.parametrize("toolchain", ["leanprover/lean4:v4.20.0", "leanprover/lean4:v4.9.0",
                                       "leanprover/lean4:v4.21.0", "leanprover/lean4:v4.3.0-rc2"])
def test_trace_gate_accepts_the_supported_range(toolchain):
    result = check_support("trace", parse_toolchain(toolchain), leandojo_version="4.20.0")
    assert result.lean_version == toolchain.split(":")[1]
    # only the release's own target counts as tested upstream
    assert bool(result.warnings) == (toolchain != "leanprover/lean4:v4.20.0")


@pytest.mark.parametrize(("toolchain", "reason"), [
    ("leanprover/lean4:v4.22.0-rc3", "can trace only Lean v4.3.0-rc2 or later, before v4.22"),
    ("leanprover/lean4:v4.29.1", "uses Lean v4.29.1"),
    ("leanprover/lean4:v4.3.0-rc1", "uses Lean v4.3.0-rc1"),
    ("leanprover/lean4:nightly-2024-05-01", "not a released Lean version"),
    ("v4.9.0", "reads only toolchains written `leanprover/lean4:vX.Y.Z`"),
])
def test_trace_gate_refuses_with_the_reason_and_the_alternatives(toolchain, reason):
    with pytest.raises(UnsupportedLeanVersion) as err:
        check_support("trace", parse_toolchain(toolchain), Path("/p"), leandojo_version="4.20.0")
    msg = str(err.value)
    assert reason in msg
    assert "/p/lean-toolchain" in msg
    assert "--tracer static" in msg and "--commit C" in msg and "--backend repl" in msg


def test_no_toolchain_file_is_refused():
    with pytest.raises(UnsupportedLeanVersion, match="no lean-toolchain file"):
        check_support("trace", None, leandojo_version="4.20.0")


@pytest.mark.parametrize("toolchain", ["leanprover/lean4:v4.19.0", "leanprover/lean4:v4.20.0",
                                       "leanprover/lean4:v4.19.0-rc1"])
def test_dojo_gate_points_at_the_repl_backend_from_lean_4_19_on(toolchain):
    with pytest.raises(UnsupportedLeanVersion) as err:
        check_support("dojo", parse_toolchain(toolchain), leandojo_version="4.20.0")
    msg = str(err.value)
    assert "--backend repl" in msg and "#250" in msg and "before v4.19" in msg


def test_dojo_gate_accepts_older_lean():
    assert check_support("dojo", parse_toolchain("leanprover/lean4:v4.18.0"), leandojo_version="4.20.0")


def test_an_unknown_lean_dojo_release_is_tried_with_a_warning():
    result = check_support("trace", parse_toolchain("leanprover/lean4:v4.30.0"), leandojo_version="4.30.0")
    assert result.warnings and "no support data for lean-dojo 4.30.0" in result.warnings[0]


def test_missing_lean_dojo_names_the_extra(monkeypatch):
    import prover.lean.leandojo_support as sup

    monkeypatch.setattr(sup, "installed_leandojo_version", lambda: None)
    with pytest.raises(LeanDojoNotInstalled, match=r"leanagent\[leandojo\]"):
        check_support("trace", parse_toolchain("leanprover/lean4:v4.20.0"))


def test_environment_points_lean_dojo_into_the_home(tmp_path):
    settings = LeanDojoSettings.for_home(tmp_path, num_procs=3)
    env = leandojo_environment(settings, {"GITHUB_ACCESS_TOKEN": "t", "PATH": "/bin"})
    assert env["CACHE_DIR"] == str(tmp_path / "leandojo" / "cache")
    assert env["TMP_DIR"] == str(tmp_path / "tmp" / "leandojo")
    assert env["DISABLE_REMOTE_CACHE"] == "1" and env["PYTHON_DOTENV_DISABLED"] == "1"
    assert env["NUM_PROCS"] == "3" and env["GITHUB_ACCESS_TOKEN"] == "t"
    no_token = LeanDojoSettings(tmp_path / "c", tmp_path / "t", keep_github_token=False)
    assert "GITHUB_ACCESS_TOKEN" not in leandojo_environment(no_token, {"GITHUB_ACCESS_TOKEN": "t"})


# -- isolation -------------------------------------------------------------------------------


def _child(code: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    import os

    full = {**os.environ, "HOME": str(tmp_path / "user-home"), "LEANAGENT_HOME": str(tmp_path / "home"), **env}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=tmp_path, env=full,
                          capture_output=True, text=True, timeout=240)


def test_cli_never_imports_lean_dojo_outside_leandojo_commands(tmp_path, fixtures):
    # A .env that lean-dojo would read if it were imported (it must not be).
    (tmp_path / ".env").write_text("NUM_PROCS=7\n")
    code = f"""
        import sys
        from click.testing import CliRunner
        from leanagent.cli import main
        r = CliRunner()
        for name in main.commands:
            assert r.invoke(main, [name, "--help"]).exit_code == 0, name
        for args in (["--help"], ["add", "--help"], ["repos"], ["sorries"],
                     ["add", {str(fixtures / 'lean' / 'proj')!r}, "--tracer", "static"], ["repos", "--json"],
                     ["theorems", "proj"], ["doctor", "--json", "--no-measure"]):
            res = r.invoke(main, args, catch_exceptions=False)
            assert res.exit_code == 0, (args, res.output)
        bad = sorted(m for m in sys.modules if m.split(".")[0] in ("lean_dojo", "loguru", "ray", "github", "dotenv"))
        print("LEAKED", bad)
    """
    res = _child(code, tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "LEAKED []" in res.stdout, res.stdout
    assert not (tmp_path / "user-home" / ".cache").exists()


def test_import_lean_dojo_applies_and_guards_its_settings(tmp_path):
    if not HAS_LEANDOJO:
        pytest.skip(NO_LEANDOJO)
    code = f"""
        import os, sys
        from pathlib import Path
        from prover.lean.leandojo_support import LeanDojoSettings, LeanDojoImportError, import_lean_dojo
        from loguru import logger
        seen = []
        logger.add(seen.append)   # a handler of the host application
        s = LeanDojoSettings(Path({str(tmp_path / 'c')!r}), Path({str(tmp_path / 't')!r}))
        ld = import_lean_dojo(s)
        import lean_dojo.constants as C
        print("CACHE", C.CACHE_DIR, "REMOTE", C.DISABLE_REMOTE_CACHE, "PROCS", C.NUM_PROCS)
        print("ENV_RESTORED", "CACHE_DIR" not in os.environ and "DISABLE_REMOTE_CACHE" not in os.environ)
        assert import_lean_dojo(s) is ld
        try:
            import_lean_dojo(LeanDojoSettings(Path("/elsewhere"), Path("/tmp")))
        except LeanDojoImportError as exc:
            print("GUARD", "already imported" in str(exc))
    """
    (tmp_path / ".env").write_text("NUM_PROCS=7\n")
    res = _child(code, tmp_path, NUM_PROCS="2")
    assert res.returncode == 0, res.stderr[-3000:]
    assert f"CACHE {tmp_path / 'c'} REMOTE True PROCS 2" in res.stdout
    assert "ENV_RESTORED True" in res.stdout and "GUARD True" in res.stdout
    assert not (tmp_path / "user-home" / ".cache").exists()


def test_import_failure_with_a_token_offline_names_the_cause(tmp_path):
    if not HAS_LEANDOJO:
        pytest.skip(NO_LEANDOJO)
    code = f"""
        from pathlib import Path
        from prover.lean.leandojo_support import LeanDojoSettings, LeanDojoImportError, import_lean_dojo
        try:
            import_lean_dojo(LeanDojoSettings(Path({str(tmp_path / 'c')!r}), Path({str(tmp_path / 't')!r})))
        except LeanDojoImportError as exc:
            print("ERR", exc)
    """
    # An unroutable proxy makes the GitHub call fail fast and without touching the network.
    res = _child(code, tmp_path, GITHUB_ACCESS_TOKEN="not-a-token", HTTPS_PROXY="http://127.0.0.1:9",
                 https_proxy="http://127.0.0.1:9")
    assert res.returncode == 0, res.stderr[-3000:]
    assert "ERR importing lean_dojo failed" in res.stdout
    assert "GITHUB_ACCESS_TOKEN is set" in res.stdout


def test_import_error_without_lean_dojo(monkeypatch, tmp_path):
    import prover.lean.leandojo_support as sup

    monkeypatch.setattr(sup, "installed_leandojo_version", lambda: None)
    with pytest.raises(LeanDojoNotInstalled):
        sup.import_lean_dojo(LeanDojoSettings(tmp_path, tmp_path))
    from prover.lean.interface import LeanEnvError

    assert issubclass(LeanDojoImportError, LeanEnvError)


# -- the conversion's contract with lean-dojo's classes ----------------------------------------


def test_conversion_uses_only_attributes_the_installed_lean_dojo_has(tmp_path):
    if not HAS_LEANDOJO:
        pytest.skip(NO_LEANDOJO)
    code = """
        import dataclasses, inspect, json
        import lean_dojo
        from leanagent.tracing.leandojo.convert import LEANDOJO_API
        problems = []
        for cls_name, spec in LEANDOJO_API.items():
            cls = getattr(lean_dojo, cls_name)
            fields = {f.name for f in dataclasses.fields(cls)} if dataclasses.is_dataclass(cls) else set()
            for attr in spec["attributes"]:
                if attr not in fields and not hasattr(cls, attr):
                    problems.append(f"{cls_name}.{attr} missing")
            for m in spec["methods"]:
                name, params = m.split("(")[0], [p for p in m[:-1].split("(")[1].split(",") if p]
                fn = getattr(cls, name, None)
                if fn is None:
                    problems.append(f"{cls_name}.{name}() missing")
                    continue
                sig = [p for p in inspect.signature(fn).parameters if p != "self"]
                required = [p for p, v in inspect.signature(fn).parameters.items()
                            if p != "self" and v.default is inspect.Parameter.empty]
                if sig[:len(params)] != params or len(required) > len(params):
                    problems.append(f"{cls_name}.{name}{tuple(sig)} does not take {params}")
        print(json.dumps(problems))
    """
    res = _child(code, tmp_path, CACHE_DIR=str(tmp_path / "cache"))
    assert res.returncode == 0, res.stderr[-3000:]
    assert res.stdout.strip() == "[]", res.stdout
