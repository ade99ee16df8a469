"""What leanagent knows about lean-dojo without importing it: Lean versions, which of them
each lean-dojo release can trace and interact with, and how to import it safely.

`import lean_dojo` is not free (lean-dojo 4.20.0, ``lean_dojo/constants.py`` and
``lean_dojo/data_extraction/lean.py``): it runs ``git --version`` and fails without git,
reads a ``.env`` file from the folders above its own package (`load_dotenv()`), replaces
every loguru handler of the host process, creates its cache directory (``~/.cache/lean_dojo``
unless ``CACHE_DIR`` is set) and, when ``GITHUB_ACCESS_TOKEN`` is set, calls the GitHub API
-- so offline the import itself fails. Its settings are environment variables read once, at
import time. Hence: nothing in leanagent imports lean_dojo at module level; the tracer runs
it in a child process whose environment leanagent sets (`trace_environment`), and the
``leandojo`` proving backend imports it through `import_lean_dojo`, which sets the same
variables for the duration of the import.

The support table (`RELEASES`) records, per lean-dojo release, the Lean versions its
tracer (``ExtractData.lean``, compiled by the repository's own toolchain) and its `Dojo`
(the ``Lean4Repl`` tactic) are known to work with, and where that knowledge comes from.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import total_ordering
from pathlib import Path
from typing import Any

from database.errors import LeanDojoImportError, LeanDojoNotInstalled, LeanEnvError, UnsupportedLeanVersion

#: pip requirement that installs a lean-dojo leanagent knows (pyproject's ``leandojo`` extra).
INSTALL_HINT = "pip install 'leanagent[leandojo]'  (lean-dojo needs Python < 3.13)"


# -- Lean versions -------------------------------------------------------------------------

_VERSION = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)(?:-rc(\d+))?$")
_TOOLCHAIN = re.compile(r"^(?P<origin>[\w.-]+/[\w.-]+):(?P<version>\S+)$")


@total_ordering
@dataclass(frozen=True)
class LeanVersion:
    """A released Lean 4 version, e.g. ``v4.20.0`` or ``v4.3.0-rc2``. Release candidates
    sort before their release."""

    major: int
    minor: int
    patch: int
    rc: int | None = None

    @classmethod
    def parse(cls, text: str) -> LeanVersion | None:
        m = _VERSION.match(text.strip())
        if m is None:
            return None
        rc = int(m.group(4)) if m.group(4) is not None else None
        return cls(int(m.group(1)), int(m.group(2)), int(m.group(3)), rc)

    def _key(self) -> tuple[int, int, int, float]:
        return (self.major, self.minor, self.patch, float("inf") if self.rc is None else self.rc)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, LeanVersion):
            return NotImplemented
        return self._key() < other._key()

    def __str__(self) -> str:
        return f"v{self.major}.{self.minor}.{self.patch}" + (f"-rc{self.rc}" if self.rc is not None else "")


@dataclass(frozen=True)
class Toolchain:
    """A project's ``lean-toolchain`` file, parsed."""

    text: str  # the file's content, stripped
    origin: str | None  # "leanprover/lean4"
    release: str  # what follows the colon (or the whole text): "v4.20.0", "nightly-2024-05-01"
    version: LeanVersion | None  # None for nightlies, commit hashes and unparsable text

    @property
    def is_nightly(self) -> bool:
        return self.release.startswith("nightly")


def parse_toolchain(text: str) -> Toolchain:
    text = text.strip()
    m = _TOOLCHAIN.match(text)
    origin, release = (m.group("origin"), m.group("version")) if m else (None, text)
    return Toolchain(text, origin, release, LeanVersion.parse(release))


def read_toolchain(project: Path) -> Toolchain | None:
    """The project's ``lean-toolchain``, or None when it has none."""
    path = project / "lean-toolchain"
    try:
        return parse_toolchain(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise LeanEnvError(f"cannot read {path}: {exc}") from exc


# -- what each lean-dojo release supports ----------------------------------------------------


@dataclass(frozen=True)
class Range:
    """Lean versions ``low <= v < below`` (either bound optional), with the evidence."""

    low: LeanVersion | None
    below: LeanVersion | None
    source: str

    def contains(self, v: LeanVersion) -> bool:
        return (self.low is None or v >= self.low) and (self.below is None or v < self.below)

    def describe(self) -> str:
        below = self.below
        # "before v4.22" reads better than "below v4.22.0-rc1", and means the same.
        bound = (f"v{below.major}.{below.minor}" if below is not None and below.patch == 0 and below.rc == 1
                 else str(below))
        if self.low and below:
            return f"Lean {self.low} or later, before {bound}"
        if self.low:
            return f"Lean {self.low} or later"
        if below:
            return f"Lean before {bound}"
        return "any Lean version"


def _v(text: str) -> LeanVersion:
    v = LeanVersion.parse(text)
    assert v is not None, text
    return v


@dataclass(frozen=True)
class Release:
    """One lean-dojo release line (matched on major.minor of its version)."""

    series: str  # "4.20": every 4.20.x release
    trace: Range
    dojo: Range
    tested: LeanVersion | None = None  # the Lean version the release was bumped to and tested with
    notes: tuple[str, ...] = field(default=())

    def matches(self, version: str) -> bool:
        parts = version.split(".")
        return ".".join(parts[:2]) == self.series


RELEASES: tuple[Release, ...] = (
    Release(
        series="4.20",
        tested=_v("v4.20.0"),
        trace=Range(
            _v("v4.3.0-rc2"),
            _v("v4.22.0-rc1"),
            # Lower bound: lean_dojo.data_extraction.lean.is_supported_version (4.20.0).
            # Upper bound: its ExtractData.lean panics in Path.findLean (`assert!` at line
            # 266) on Lean v4.22.0-rc3 (lean-dojo/LeanDojo#247); LeanDojo-v2 had to port the
            # extractor to the String.Pos.Raw API of later Lean versions.
            "lean-dojo 4.20.0's own version check (>= v4.3.0-rc2); ExtractData.lean fails on "
            "v4.22 (lean-dojo/LeanDojo#247)",
        ),
        dojo=Range(
            _v("v4.3.0-rc2"),
            _v("v4.19.0-rc1"),
            # lean-dojo/LeanDojo#250 "lean_dojo_repl not working" (open; the maintainers:
            # related to #211, "will not be solved anytime soon"); on Lean >= 4.19 the
            # `--memory` flag Dojo passes is rejected and the REPL tactic's output no longer
            # reaches the pipe.
            "lean-dojo/LeanDojo#250 and #211: Dojo does not work on Lean >= 4.19",
        ),
    ),
)

def installed_leandojo_version() -> str | None:
    """The installed lean-dojo's version, read from package metadata (no import)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("lean-dojo")
    except PackageNotFoundError:
        return None


def release_for(leandojo_version: str) -> Release | None:
    return next((r for r in RELEASES if r.matches(leandojo_version)), None)


@dataclass(frozen=True)
class GateResult:
    """The outcome of a support check that passed, with what the caller should tell the
    user (a version accepted but never tested upstream, an unknown lean-dojo release)."""

    lean_version: str
    leandojo_version: str
    warnings: tuple[str, ...] = ()


def _alternatives(what: str) -> str:
    if what == "trace":
        return (
            "Alternatives: `leanagent add SOURCE --tracer static` (no Lean needed: source-level "
            "theorems, premises and links, without goal states); `--commit C` at a commit whose "
            "lean-toolchain is in the supported range; for proving, `--backend repl`."
        )
    return "Use `--backend repl` instead: the Lean REPL, built for the project's own toolchain."


def check_support(what: str, toolchain: Toolchain | None, project: Path | None = None,
                  leandojo_version: str | None = None) -> GateResult:
    """Check that the installed lean-dojo can `what` ("trace" or "dojo") a project with
    `toolchain`; raise `UnsupportedLeanVersion` (exact reason and alternatives) if not,
    `LeanDojoNotInstalled` if lean-dojo is missing."""
    where = f" ({project / 'lean-toolchain'})" if project is not None else ""
    ld = leandojo_version or installed_leandojo_version()
    if ld is None:
        raise LeanDojoNotInstalled(f"lean-dojo is not installed: {INSTALL_HINT}")
    label = "trace" if what == "trace" else "interact with (Dojo)"
    if toolchain is None:
        raise UnsupportedLeanVersion(
            f"the project has no lean-toolchain file{where}: lean-dojo needs a Lake project whose "
            "lean-toolchain names its Lean version. " + _alternatives(what),
            lean_version=None, leandojo_version=ld,
        )
    if toolchain.origin is None:
        # lean_dojo.data_extraction.lean.get_lean4_version_from_config asserts the
        # `leanprover/lean4:` prefix.
        raise UnsupportedLeanVersion(
            f"lean-toolchain{where} says {toolchain.text!r}: lean-dojo {ld} reads only toolchains "
            "written `leanprover/lean4:vX.Y.Z` (write it that way, as `elan` does). "
            + _alternatives(what),
            lean_version=toolchain.text, leandojo_version=ld,
        )
    if toolchain.version is None:
        raise UnsupportedLeanVersion(
            f"lean-toolchain{where} names {toolchain.text!r}, not a released Lean version "
            "(vX.Y.Z or vX.Y.Z-rcN): which lean-dojo can handle it is unknown. "
            + _alternatives(what),
            lean_version=toolchain.text, leandojo_version=ld,
        )
    release = release_for(ld)
    lean = str(toolchain.version)
    if release is None:
        newest = max(RELEASES, key=lambda r: tuple(int(x) for x in r.series.split(".")))
        return GateResult(lean, ld, (
            f"leanagent has no support data for lean-dojo {ld} (it knows {newest.series}.x); "
            f"trying to {label} Lean {lean} anyway",
        ))
    rng = release.trace if what == "trace" else release.dojo
    if not rng.contains(toolchain.version):
        raise UnsupportedLeanVersion(
            f"the project uses Lean {lean}{where}, but lean-dojo {ld} can {label} only "
            f"{rng.describe()} ({rng.source}). " + _alternatives(what),
            lean_version=lean, leandojo_version=ld,
        )
    warnings: tuple[str, ...] = ()
    if release.tested is not None and toolchain.version != release.tested:
        warnings = (
            f"lean-dojo {ld} was released for Lean {release.tested}; Lean {lean} is within the "
            "range it accepts but was not tested upstream",
        )
    return GateResult(lean, ld, warnings)


# -- environment and import -----------------------------------------------------------------


@dataclass(frozen=True)
class LeanDojoSettings:
    """The environment lean-dojo runs with; every path inside the leanagent home."""

    cache_dir: Path  # CACHE_DIR: traced repositories and local-repository copies
    tmp_dir: Path  # TMP_DIR: where lean-dojo clones and traces
    num_procs: int | None = None  # NUM_PROCS (lean --threads, Ray workers = NUM_PROCS - 1)
    verbose: bool = False  # VERBOSE: lean-dojo's loguru level DEBUG
    #: Keep the user's GITHUB_ACCESS_TOKEN. lean-dojo then authenticates its GitHub calls
    #: (higher rate limits) but also calls GitHub while importing, which fails offline.
    keep_github_token: bool = True

    @classmethod
    def for_home(cls, home_root: Path, **kw: Any) -> LeanDojoSettings:
        return cls(cache_dir=home_root / "leandojo" / "cache", tmp_dir=home_root / "tmp" / "leandojo", **kw)


def leandojo_environment(settings: LeanDojoSettings, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment variables lean-dojo reads, set from `settings` over `base`."""
    env = dict(os.environ if base is None else base)
    env["CACHE_DIR"] = str(settings.cache_dir)
    env["TMP_DIR"] = str(settings.tmp_dir)
    # Local repositories only: the remote cache is keyed by GitHub URL, and a LeanGitRepo for
    # a local path without this variable makes a network request in its constructor.
    env["DISABLE_REMOTE_CACHE"] = "1"
    # lean_dojo.constants calls load_dotenv() at import: no .env of whatever directory is
    # above the installed package may change lean-dojo's settings behind our back.
    env["PYTHON_DOTENV_DISABLED"] = "1"
    # Ray (lean-dojo parses traced files in a Ray actor pool when NUM_PROCS > 2).
    env.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    env.setdefault("RAY_AUTH_MODE", "disabled")
    if settings.num_procs is not None:
        env["NUM_PROCS"] = str(settings.num_procs)
    if settings.verbose:
        env["VERBOSE"] = "1"
    if not settings.keep_github_token:
        env.pop("GITHUB_ACCESS_TOKEN", None)
    return env


_LEANDOJO_VARIABLES = ("CACHE_DIR", "TMP_DIR", "DISABLE_REMOTE_CACHE", "PYTHON_DOTENV_DISABLED", "NUM_PROCS",
                       "VERBOSE", "GITHUB_ACCESS_TOKEN", "RAY_USAGE_STATS_ENABLED", "RAY_AUTH_MODE")


@contextlib.contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in _LEANDOJO_VARIABLES}
    try:
        for k in _LEANDOJO_VARIABLES:
            if k in values:
                os.environ[k] = values[k]
            else:
                os.environ.pop(k, None)
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def import_lean_dojo(settings: LeanDojoSettings) -> Any:
    """Import lean_dojo in this process with `settings`, and return the module.

    lean-dojo reads its settings once, when first imported; a second call with other
    settings cannot take effect and raises `LeanDojoImportError` instead of silently using
    another cache. The variables are set only for the import, then restored.
    """
    import sys

    if installed_leandojo_version() is None:
        raise LeanDojoNotInstalled(f"lean-dojo is not installed: {INSTALL_HINT}")
    existing = sys.modules.get("lean_dojo")
    if existing is None:
        if shutil.which("git") is None:
            raise LeanDojoImportError("lean-dojo needs git >= 2.25 on PATH (it runs `git --version` "
                                      "when imported): install git")
        settings.cache_dir.mkdir(parents=True, exist_ok=True)
        settings.tmp_dir.mkdir(parents=True, exist_ok=True)
        env = leandojo_environment(settings)
        with _environment(env):
            try:
                import lean_dojo
            except Exception as exc:  # lean-dojo fails its import with asserts, subprocess and network errors
                raise LeanDojoImportError(_import_failure(exc, env)) from exc
        _route_loguru()
        return lean_dojo
    constants = sys.modules.get("lean_dojo.constants")
    cache = getattr(constants, "CACHE_DIR", None)
    if cache is not None and Path(cache).resolve() != settings.cache_dir.resolve():
        raise LeanDojoImportError(
            f"lean_dojo was already imported in this process with its cache at {cache}, not "
            f"{settings.cache_dir}: lean-dojo reads its settings only once; run leanagent in a fresh process"
        )
    return existing


def _import_failure(exc: BaseException, env: Mapping[str, str]) -> str:
    text = f"{type(exc).__name__}: {exc}".strip()
    hint = ""
    if env.get("GITHUB_ACCESS_TOKEN") and ("github" in text.lower() or "connection" in text.lower()):
        hint = (" -- GITHUB_ACCESS_TOKEN is set, so lean-dojo calls api.github.com while being imported; "
                "unset it when GitHub is unreachable")
    elif "git --version" in text or "Git version" in text:
        hint = " -- lean-dojo needs git >= 2.25 on PATH"
    elif "TACTIC_MEMORY_LIMIT" in text or "\\d+g" in text:
        hint = " -- TACTIC_MEMORY_LIMIT must be a number followed by a lowercase g, e.g. 32g"
    return f"importing lean_dojo failed: {text[-800:]}{hint}"


def _route_loguru() -> None:
    """lean-dojo replaced every loguru handler with one of its own on stderr at INFO; send
    its records to Python logging instead, so that leanagent's ``-v`` decides what shows."""
    import logging

    from loguru import logger

    log = logging.getLogger("lean_dojo")

    def sink(message: Any) -> None:
        record = message.record
        level = logging.getLevelName(record["level"].name)
        log.log(level if isinstance(level, int) else logging.INFO, record["message"])

    logger.remove()
    logger.add(sink, level="DEBUG", format="{message}")


__all__ = [
    "INSTALL_HINT", "RELEASES", "GateResult", "LeanDojoImportError", "LeanDojoNotInstalled",
    "LeanDojoSettings", "LeanVersion", "Range", "Release", "Toolchain", "UnsupportedLeanVersion",
    "check_support", "import_lean_dojo", "installed_leandojo_version", "leandojo_environment",
    "parse_toolchain", "read_toolchain", "release_for",
]
