"""A local HTTP server that answers like GitHub, for the crawler's tests.

* ``/api/v3/search/repositories``: the search API over a configured list of
  repositories (sorted by stars, paginated with ``per_page``/``page`` and a ``Link``
  header as GitHub sends it), with ``x-ratelimit-*`` headers;
* everything else: real git over smart HTTP (``git http-backend``) for the bare
  repositories under ``root/<owner>/<name>.git``, so clones, shallow fetches and
  ``--unshallow`` work as against github.com;
* ``script``: canned responses served, one per API request, before the normal ones
  (rate limits, malformed JSON, server errors).

Only 127.0.0.1 is used; the server stops with its context manager.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


@dataclass
class Canned:
    status: int
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class FakeGitHub:
    root: Path  # bare repositories: root/owner/name.git
    repos: list[dict[str, Any]] = field(default_factory=list)  # search items (GitHub's fields)
    script: list[Canned] = field(default_factory=list)
    rate_remaining: int = 5000
    requests: list[dict[str, Any]] = field(default_factory=list)
    port: int = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api(self) -> str:
        return f"{self.base}/api/v3"

    def clone_url(self, full_name: str) -> str:
        return f"{self.base}/{full_name}.git"

    def add_item(self, full_name: str, stars: int, size: int = 100, **extra: Any) -> None:
        self.repos.append({
            "full_name": full_name, "html_url": f"{self.base}/{full_name}", "clone_url": self.clone_url(full_name),
            "stargazers_count": stars, "size": size, "default_branch": "main", "fork": False, "archived": False,
            **extra,
        })

    # -- serving -------------------------------------------------------------------

    def __enter__(self) -> FakeGitHub:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                fake._handle(self)

            def do_POST(self) -> None:
                fake._handle(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)

    def _send(self, h: BaseHTTPRequestHandler, status: int, body: bytes, headers: dict[str, str]) -> None:
        h.send_response(status)
        for k, v in headers.items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        path, _, query = h.path.partition("?")
        if path.startswith("/api/v3/"):
            self.requests.append({"path": path, "query": urllib.parse.parse_qs(query),
                                  "authorization": h.headers.get("Authorization"),
                                  "user_agent": h.headers.get("User-Agent")})
            if self.script:
                c = self.script.pop(0)
                body = c.body.encode() if isinstance(c.body, str) else c.body
                self._send(h, c.status, body, c.headers)
                return
            if path == "/api/v3/search/repositories":
                self._search(h, urllib.parse.parse_qs(query))
                return
            self._send(h, 404, b'{"message": "Not Found"}', {"Content-Type": "application/json"})
            return
        self._git(h, path, query)

    def _search(self, h: BaseHTTPRequestHandler, q: dict[str, list[str]]) -> None:
        per_page = int(q.get("per_page", ["30"])[0])
        page = int(q.get("page", ["1"])[0])
        items = sorted(self.repos, key=lambda r: -r["stargazers_count"])
        chunk = items[(page - 1) * per_page: page * per_page]
        last = max(1, -(-len(items) // per_page))
        headers = {"Content-Type": "application/json", "x-ratelimit-limit": "30",
                   "x-ratelimit-remaining": str(self.rate_remaining),
                   "x-ratelimit-reset": str(int(time.time()) + 60)}
        base = f"{self.api}/search/repositories?" + urllib.parse.urlencode(
            {k: v[0] for k, v in q.items() if k != "page"})
        links = []
        if page < last:
            links.append(f'<{base}&page={page + 1}>; rel="next"')
            links.append(f'<{base}&page={last}>; rel="last"')
        if page > 1:
            links.append(f'<{base}&page=1>; rel="first"')
        if links:
            headers["Link"] = ", ".join(links)
        body = json.dumps({"total_count": len(items), "incomplete_results": False, "items": chunk}).encode()
        self._send(h, 200, body, headers)

    def _git(self, h: BaseHTTPRequestHandler, path: str, query: str) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GIT_PROJECT_ROOT": str(self.root), "GIT_HTTP_EXPORT_ALL": "1",
            "REQUEST_METHOD": h.command, "PATH_INFO": path, "QUERY_STRING": query,
            "CONTENT_TYPE": h.headers.get("Content-Type", ""), "CONTENT_LENGTH": str(len(body)),
            "REMOTE_ADDR": "127.0.0.1", "GIT_PROTOCOL": h.headers.get("Git-Protocol", ""),
        }
        if h.headers.get("Content-Encoding"):
            env["HTTP_CONTENT_ENCODING"] = h.headers["Content-Encoding"]
        out = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True, check=False,
                             timeout=120).stdout
        sep = b"\r\n\r\n" if b"\r\n\r\n" in out else b"\n\n"
        head, _, payload = out.partition(sep)
        status, headers = 200, {}
        for line in head.replace(b"\r\n", b"\n").split(b"\n"):
            if b":" not in line:
                continue
            k, v = (x.strip().decode() for x in line.split(b":", 1))
            if k.lower() == "status":
                status = int(v.split()[0])
            else:
                headers[k] = v
        self._send(h, status, payload, headers)


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main", *args],
        cwd=cwd, check=True, capture_output=True, text=True,
    ).stdout.strip()


def publish(work: Path, root: Path, full_name: str) -> Path:
    """Push the checkout `work` as the bare repository root/full_name.git."""
    bare = root / f"{full_name}.git"
    bare.parent.mkdir(parents=True, exist_ok=True)
    if bare.exists():
        git(work, "push", "-q", "--force", str(bare), "HEAD:refs/heads/main")
    else:
        subprocess.run(["git", "clone", "-q", "--bare", str(work), str(bare)], check=True, capture_output=True)
        git(bare, "symbolic-ref", "HEAD", "refs/heads/main")
    return bare


def lean_project(work: Path, toolchain: str, theorems: list[str]) -> None:
    """A small Lake project: lean-toolchain, lakefile, one theorem per entry."""
    (work / "Proj").mkdir(parents=True, exist_ok=True)
    (work / "lean-toolchain").write_text(f"leanprover/lean4:{toolchain}\n")
    (work / "lakefile.lean").write_text('import Lake\nopen Lake DSL\n\npackage proj\n\nlean_lib Proj\n')
    body = "".join(f"theorem {t} (n : Nat) : n + 0 = n := by\n  simp\n\n" for t in theorems)
    (work / "Proj" / "Basic.lean").write_text(body)
