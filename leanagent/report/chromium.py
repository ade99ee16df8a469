"""Finding and launching a headless Chromium for the report's browser tests and its
benchmark (the product itself never needs a browser).

The flags keep Chromium quiet on a machine with no internet: without the background
networking switches it tries Google's hosts at start and keeps failing connections
(docs/report.md, "Browser tests").
"""

from __future__ import annotations

import os
import shutil

CHROMIUM_ARGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-quic",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
)
_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    """``$LEANAGENT_CHROMIUM`` if set, else the first Chromium on PATH (Debian's package
    installs /usr/bin/chromium); None when there is none."""
    explicit = os.environ.get("LEANAGENT_CHROMIUM")
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    return next((p for p in map(shutil.which, _NAMES) if p), None)


def missing_reason() -> str | None:
    """Why browser tests cannot run here, or None when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed: bash scripts/install.sh installs it (the dev extra)"
    if find_chromium() is None:
        return ("no Chromium found: `bash scripts/install.sh --browser` installs Debian's chromium "
                "(needs root and apt-get), or set LEANAGENT_CHROMIUM=/path/to/chromium")
    return None
