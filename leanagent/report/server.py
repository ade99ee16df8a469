"""The live dashboard: the report's pages rendered from the database at every request.

* Read-only: every request opens the database with SQLite's ``mode=ro`` (`Store(...,
  readonly=True)`), which refuses any write; nothing is migrated or cached on disk.
* Live: pages poll ``api/version`` and re-fetch themselves when it changes. The version
  is SQLite's ``PRAGMA data_version`` on one watching connection, which changes exactly
  when another connection (a running `leanagent run`, an import, the prover) commits.
* Loopback by default; another ``--host`` is the user's explicit choice and is warned
  about, since the dashboard has no authentication.
* Only GET and HEAD, only the report's own page names and assets: no file is served
  by path.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import sqlite3
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from database.errors import LeanAgentError
from database.report_reads import DataVersionWatcher
from database.store import Store

from .assets import ReportError, all_assets, asset_bytes
from .data import ReportData
from .render import PageMode, Renderer

log = logging.getLogger(__name__)

#: Plotly injects style elements, so inline styles are allowed; scripts come only from
#: this server (the data blocks are JSON, never executed).
CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# The watcher's connection lives with the other report reads (no SQL outside database/).
_Watcher = DataVersionWatcher


class Dashboard:
    """``Dashboard(db_path).serve()`` blocks until interrupted; ``start()`` serves from a
    background thread (tests, notebooks) and ``stop()`` ends it."""

    def __init__(self, db_path: str | Path, *, host: str = "127.0.0.1", port: int = 8765,
                 run: str | None = None, refresh: float = 5.0, window: int = 5) -> None:
        if refresh <= 0:
            raise ReportError(f"--refresh must be a positive number of seconds, not {refresh}")
        self.db_path = str(db_path)
        # Fail now, with the store's message, if there is no database or it is too new.
        with Store(self.db_path, readonly=True) as store:
            ReportData(store, run_name=run, window=window).focus_run()
        self.run, self.refresh, self.window = run, refresh, window
        self.renderer = Renderer()
        self.watcher = _Watcher(self.db_path)
        handler = _handler(self)
        try:
            self.httpd = ThreadingHTTPServer((host, port), handler)
        except OSError as exc:
            self.watcher.close()
            raise ReportError(
                f"cannot listen on {host}:{port} ({exc.strerror or exc}): pass --port with another number "
                "(0 picks a free one) or another --host") from exc
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = str(self.httpd.server_address[0]), self.httpd.server_address[1]
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}/"

    @property
    def loopback(self) -> bool:
        return is_loopback(str(self.httpd.server_address[0]))

    def page(self, path: str) -> str | None:
        version = self.watcher.version()  # before reading: a later commit is never missed
        with Store(self.db_path, readonly=True) as store:
            data = ReportData(store, run_name=self.run, window=self.window)
            mode = PageMode(live=True, refresh=self.refresh, source=self.db_path, version=version)
            return self.renderer.render(data, path, mode)

    def serve(self) -> None:
        try:
            self.httpd.serve_forever(poll_interval=0.2)
        finally:
            self.close()

    def start(self) -> Dashboard:
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="leanagent-dashboard", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.close()

    def close(self) -> None:
        self.httpd.server_close()
        self.watcher.close()


def _handler(app: Dashboard) -> Callable[..., BaseHTTPRequestHandler]:
    assets = {f"/assets/{name}": name for name in all_assets()}

    class Handler(BaseHTTPRequestHandler):
        server_version = "leanagent-dashboard"
        sys_version = ""

        def log_message(self, format: str, *args: object) -> None:
            log.debug("%s %s", self.address_string(), format % args)

        def _send(self, status: int, body: bytes, content_type: str, *, cache: str = "no-store") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", cache)
            self.send_header("Content-Security-Policy", CSP)
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Referrer-Policy", "no-referrer")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _text(self, status: int, message: str) -> None:
            self._send(status, message.encode("utf-8"), "text/plain; charset=utf-8")

        def do_GET(self) -> None:
            path = urlsplit(self.path).path
            try:
                if path == "/api/version":
                    body = json.dumps({"version": app.watcher.version()}).encode()
                    self._send(HTTPStatus.OK, body, "application/json")
                    return
                if path in assets:
                    name = assets[path]
                    self._send(HTTPStatus.OK, asset_bytes(name), _TYPES[Path(name).suffix], cache="max-age=600")
                    return
                html = app.page(path.lstrip("/")) if "/" not in path.lstrip("/") else None
                if html is None:
                    self._text(HTTPStatus.NOT_FOUND, f"no page {path}: start from / (the overview)")
                    return
                self._send(HTTPStatus.OK, html.encode("utf-8"), "text/html; charset=utf-8")
            except (LeanAgentError, sqlite3.Error) as exc:
                log.warning("dashboard: %s failed: %s", path, exc)
                self._text(HTTPStatus.SERVICE_UNAVAILABLE, f"cannot read the database now: {exc}")
            except (BrokenPipeError, ConnectionResetError):
                pass  # the browser went away
            except Exception as exc:  # a bug: say so, keep serving the other pages
                log.exception("dashboard: %s failed", path)
                self._text(HTTPStatus.INTERNAL_SERVER_ERROR, f"internal error rendering {path}: {exc!r}")

        do_HEAD = do_GET

        def _refuse(self) -> None:
            self._text(HTTPStatus.METHOD_NOT_ALLOWED, "the dashboard is read-only: only GET and HEAD")

        do_POST = do_PUT = do_DELETE = do_PATCH = _refuse

    return Handler
