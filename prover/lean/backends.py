"""Lean backends by name.

A backend is created by a *factory* ``(project: Path, options: Mapping[str, Any]) ->
LeanEnv``: ``project`` is the repository root the backend works in, ``options`` the
backend's own settings (strings from ``--backend-option key=value`` or values from a
config), which the factory validates (unknown keys are a `ConfigError`).

Built-in backends are listed in `BUILTIN` as ``"module:attribute"`` strings, imported
only when used. Other packages add backends through the ``leanagent.backends``
entry-point group (``name = "module:factory"``); a built-in name cannot be replaced.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from database.errors import ConfigError

from .interface import LeanEnv

BackendFactory = Callable[[Path, Mapping[str, Any]], LeanEnv]

#: name -> "module:factory". Add a line here for a backend that ships with leanagent.
BUILTIN: Mapping[str, str] = {
    "repl": "prover.lean.repl:create",
    "leandojo": "prover.lean.backends:create_leandojo",
}

ENTRY_POINTS = "leanagent.backends"


def backend_names() -> list[str]:
    from importlib.metadata import entry_points

    names = list(BUILTIN)
    names.extend(ep.name for ep in entry_points(group=ENTRY_POINTS) if ep.name not in BUILTIN)
    return names


def backend_factory(name: str) -> BackendFactory:
    """The factory registered under ``name``; `ConfigError` listing the known names."""
    target = BUILTIN.get(name)
    if target is not None:
        module, _, attr = target.partition(":")
        return getattr(importlib.import_module(module), attr)  # type: ignore[no-any-return]
    from importlib.metadata import entry_points

    for ep in entry_points(group=ENTRY_POINTS):
        if ep.name == name:
            return ep.load()  # type: ignore[no-any-return]
    raise ConfigError(f"unknown Lean backend '{name}': choose one of {', '.join(backend_names())}")


def create_backend(name: str, project: Path, options: Mapping[str, Any] | None = None) -> LeanEnv:
    """A new backend ``name`` working in ``project``."""
    return backend_factory(name)(Path(project), dict(options or {}))


def create_leandojo(project: Path, options: Mapping[str, Any]) -> LeanEnv:
    """Factory of the ``leandojo`` backend (`prover.lean.leandojo.LeanDojoEnv`). Options:
    ``home`` (the leanagent home whose lean-dojo cache holds the project's trace; the
    command line sets it), ``open_timeout`` (seconds, default 600), ``build_deps``
    (``true``/``false``, as the project was traced)."""
    from .leandojo import LeanDojoBackendConfig, LeanDojoEnv
    from .leandojo_support import LeanDojoSettings

    known = {"home", "open_timeout", "build_deps"}
    unknown = sorted(set(options) - known)
    if unknown:
        raise ConfigError(f"unknown option(s) {', '.join(unknown)} for the leandojo backend "
                          f"(known: {', '.join(sorted(known))})")
    if not options.get("home"):
        raise ConfigError("the leandojo backend needs the leanagent home that holds its lean-dojo cache: "
                          "--backend-option home=DIR")
    try:
        timeout = int(options.get("open_timeout", 600))
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"leandojo option open_timeout must be an integer, not {options['open_timeout']!r}") from exc
    build_deps = options.get("build_deps", True)
    if isinstance(build_deps, str):
        if build_deps.lower() not in ("true", "false", "1", "0", "yes", "no"):
            raise ConfigError(f"leandojo option build_deps must be true or false, not {build_deps!r}")
        build_deps = build_deps.lower() in ("true", "1", "yes")
    settings = LeanDojoSettings.for_home(Path(str(options["home"])))
    return LeanDojoEnv(LeanDojoBackendConfig(settings=settings, project=Path(project), open_timeout=timeout,
                                             build_deps=bool(build_deps)))
