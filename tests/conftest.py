"""Shared fixtures. Every test runs with a scrubbed environment: its own home directory,
no network-reaching settings, no user configuration leaking in."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"

_SCRUBBED = ("LEANAGENT_HOME", "GITHUB_ACCESS_TOKEN", "GITHUB_TOKEN", "XDG_DATA_HOME", "LEANAGENT_RAY_ADDRESS",
             "LEANAGENT_RAY_TMPDIR", "RAY_ADDRESS")
# Every LEANAGENT_* variable can set a CLI option (docs/configuration.md), so all are
# cleared but these, which say where things are on this machine, not what to do.
_KEPT = ("LEANAGENT_CHROMIUM", "LEANAGENT_TEST_ARTIFACTS")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `lean` need a Lean 4 toolchain; without one they are skipped, saying so."""
    if shutil.which("lake") is not None and shutil.which("lean") is not None:
        return
    skip = pytest.mark.skip(reason="needs a Lean 4 toolchain (lake and lean on PATH; install with elan)")
    for item in items:
        if item.get_closest_marker("lean") is not None:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for var in _SCRUBBED:
        monkeypatch.delenv(var, raising=False)
    for var in [v for v in os.environ if v.startswith("LEANAGENT_") and v not in _KEPT]:
        monkeypatch.delenv(var)
    # Anything that would default to ~ lands in the test's temp dir instead.
    monkeypatch.setenv("HOME", str(tmp_path / "user-home"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    monkeypatch.setenv("RAY_USAGE_STATS_ENABLED", "0")


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def store(home: Path):
    from database.store import Store

    s = Store(home / "leanagent.db")
    yield s
    s.close()


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def ray_local(tmp_path_factory: pytest.TempPathFactory):
    """One local Ray (2 CPUs) for the whole session, started and stopped by leanagent's
    own runtime: Ray's start-up costs 4-5 s. Teardown fails the session if any of its
    processes or its temporary directory outlive it."""
    pytest.importorskip("ray")
    from ray_helpers import session_ray

    yield from session_ray(tmp_path_factory.mktemp("ray-user-home"))
