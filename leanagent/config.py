"""Where leanagent keeps its state, resolved in one place.

Precedence: the ``--home`` flag, then ``LEANAGENT_HOME``, then the default
``$XDG_DATA_HOME/leanagent`` (``~/.local/share/leanagent`` when XDG_DATA_HOME is unset).
Nothing is written outside the home directory.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from database.errors import ConfigError
from database.home import Home

HOME_ENV = "LEANAGENT_HOME"


def default_home(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    xdg = env.get("XDG_DATA_HOME")
    base = Path(xdg) if xdg else Path(env.get("HOME", str(Path.home()))) / ".local" / "share"
    return base / "leanagent"


def resolve_home(flag: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None) -> Home:
    env = os.environ if environ is None else environ
    raw = flag if flag is not None else env.get(HOME_ENV)
    if raw is not None and str(raw).strip() == "":
        raise ConfigError(f"{HOME_ENV} is set but empty: unset it or give a directory")
    root = Path(raw).expanduser() if raw is not None else default_home(env)
    root = root.resolve()
    if root.exists() and not root.is_dir():
        raise ConfigError(f"home {root} exists and is not a directory: pass another with --home")
    # The nearest existing ancestor must be a directory too (`--home FILE/sub` cannot be
    # created).
    for parent in root.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ConfigError(f"home {root} cannot be created: {parent} is a file, not a directory; "
                                  "pass another with --home")
            break
    return Home(root)
