"""Finding Lean repositories to add: a list file, or a GitHub search.

`crawl` turns candidates into repositories of the knowledge base through the parallel
add (`leanagent.distributed.add`): one Ray task per repository clones it, walks back
to the newest commit whose toolchain the chosen tracer supports, and indexes it; the
driver writes each repository in one transaction and records every outcome in
``source_attempts``, so a rerun skips what is done.

Candidates come from

* a **list file**: one source per line (a git URL or a directory, optionally followed
  by a commit, tag or branch), ``#`` comments and blank lines ignored; or
* a **GitHub search** (LeanAgent's discovery): ``language:Lean``, sorted by stars,
  100 per page, following the ``Link`` header, with the token from ``GITHUB_TOKEN`` (or
  LeanDojo's ``GITHUB_ACCESS_TOKEN``) sent as ``Authorization: Bearer`` (LeanAgent sent
  it without a scheme). Rate limits are honoured: a 403/429 with ``Retry-After`` waits
  that long, one with ``x-ratelimit-remaining: 0`` waits until ``x-ratelimit-reset``
  (https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api),
  and the wait is announced with its end time.

**Walk-back** (LeanAgent, ``leanagent.py``): when the toolchain at HEAD is one the tracer
does not support, LeanAgent read ``lean-toolchain`` at every commit, newest first, with
one GitHub call each. Here git does it locally: only the commits that changed
``lean-toolchain`` on the first-parent history are read, and the newest commit that
still has a supported toolchain is the one just before the next change.
"""

from __future__ import annotations

import json
import logging
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from database.errors import ConfigError, InputError, LeanAgentError, SourceError

log = logging.getLogger(__name__)

GITHUB_API = "https://api.github.com"
TOKEN_ENVS = ("GITHUB_TOKEN", "GITHUB_ACCESS_TOKEN")

#: Repositories a crawl never adds unless asked (``--no-default-deny``): Lean itself,
#: Mathlib and the libraries most projects depend on (they are indexed as dependencies
#: of the repositories that use them, from `.lake/packages`), and Lean 3's. LeanAgent
#: kept a similar, longer list (``known_repositories`` in its ``leanagent.py``).
DEFAULT_DENY = (
    "leanprover/lean4",
    "leanprover/lean4-nightly",
    "leanprover/std4",
    "leanprover/lean4-cli",
    "leanprover/doc-gen4",
    "leanprover-community/mathlib4",
    "leanprover-community/batteries",
    "leanprover-community/aesop",
    "leanprover-community/ProofWidgets4",
    "leanprover-community/quote4",
    "leanprover-community/import-graph",
    "leanprover-community/plausible",
    "leanprover-community/LeanSearchClient",
    "leanprover-community/repl",
    "leanprover-community/mathlib",
    "leanprover-community/lean",
)


class CrawlError(LeanAgentError):
    """A crawl cannot proceed (bad list file, bad options)."""


class GitHubError(LeanAgentError):
    """The GitHub API refused or garbled a request; the message names the URL and fix."""


class RateLimitTooLong(GitHubError):
    """The rate limit resets later than the caller is willing to wait."""

    def __init__(self, message: str, reset_at: float) -> None:
        super().__init__(message)
        self.reset_at = reset_at


class UnsupportedToolchain(SourceError):
    """No commit of the repository has a toolchain the tracer supports."""


# -- toolchains ----------------------------------------------------------------------

_LEAN4 = re.compile(r"^leanprover/lean4:(?P<ver>\S+)$")
_VERSION = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)(?:-rc(\d+))?$")

Version = tuple[int, int, int, int]  # (major, minor, patch, rc); a release sorts after its rcs


def parse_version(text: str) -> Version | None:
    """``v4.8.0-rc1`` -> (4, 8, 0, 1); ``v4.8.0`` -> (4, 8, 0, 10**6); None otherwise."""
    m = _VERSION.match(text.strip())
    if not m:
        return None
    rc = int(m.group(4)) if m.group(4) is not None else 10**6
    return int(m.group(1)), int(m.group(2)), int(m.group(3)), rc


def _fmt_version(v: Version) -> str:
    base = f"v{v[0]}.{v[1]}.{v[2]}"
    return base if v[3] >= 10**6 else f"{base}-rc{v[3]}"


@dataclass(frozen=True)
class ToolchainRule:
    """Which ``lean-toolchain`` contents a tracer can handle. ``minimum``/``maximum``
    (inclusive) bound released versions; with neither, any Lean 4 toolchain passes
    (nightlies and ``stable`` included)."""

    name: str
    minimum: Version | None = None
    maximum: Version | None = None
    #: A tracer's own check, ``toolchain -> reason or None``, used instead of the bounds.
    checker: Callable[[str | None], str | None] | None = None

    @classmethod
    def parse(cls, text: str) -> ToolchainRule:
        """``any``, ``leanagent`` (v4.3.0-rc2..v4.8.1, LeanAgent's window) or ``MIN..MAX``
        with either side optional (``v4.9.0..``)."""
        t = text.strip()
        if t == "any":
            return cls("any Lean 4 toolchain")
        if t == "leanagent":
            return cls("LeanAgent's window", parse_version("v4.3.0-rc2"), parse_version("v4.8.1"))
        if ".." in t:
            lo, hi = (s.strip() for s in t.split("..", 1))
            vlo = parse_version(lo) if lo else None
            vhi = parse_version(hi) if hi else None
            if (lo and vlo is None) or (hi and vhi is None) or (vlo is None and vhi is None):
                raise ConfigError(f"--toolchains {text!r}: give versions as vX.Y.Z or vX.Y.Z-rcN, e.g. v4.3.0..v4.9.1")
            if vlo is not None and vhi is not None and vlo > vhi:
                raise ConfigError(f"--toolchains {text!r}: the minimum is above the maximum")
            return cls(t, vlo, vhi)
        raise ConfigError(f"--toolchains {text!r}: use any, leanagent, or MIN..MAX (e.g. v4.3.0-rc2..v4.8.1)")

    def check(self, toolchain: str | None) -> str | None:
        """None when `toolchain` (the file's first line) is supported, else why not."""
        if self.checker is not None:
            return self.checker(toolchain)
        if toolchain is None:
            return "no lean-toolchain file (not a Lean 4 Lake project)"
        m = _LEAN4.match(toolchain.strip())
        if not m:
            if "lean:3" in toolchain or toolchain.strip().startswith("leanprover-community/lean:"):
                return f"Lean 3 toolchain {toolchain.strip()!r}"
            return f"lean-toolchain {toolchain.strip()!r} is not leanprover/lean4:<version>"
        if self.minimum is None and self.maximum is None:
            return None
        v = parse_version(m.group("ver"))
        if v is None:
            return f"toolchain {m.group('ver')} is not a released version ({self.name} needs one)"
        if self.minimum is not None and v < self.minimum:
            return f"toolchain {m.group('ver')} is older than {_fmt_version(self.minimum)} ({self.name})"
        if self.maximum is not None and v > self.maximum:
            return f"toolchain {m.group('ver')} is newer than {_fmt_version(self.maximum)} ({self.name})"
        return None


def leandojo_trace_check(toolchain: str | None) -> str | None:
    """What the installed lean-dojo can trace (`prover.lean.leandojo_support`'s table)."""
    from database.errors import LeanDojoNotInstalled, UnsupportedLeanVersion
    from prover.lean.leandojo_support import check_support, parse_toolchain

    try:
        check_support("trace", parse_toolchain(toolchain) if toolchain else None)
    except (UnsupportedLeanVersion, LeanDojoNotInstalled) as exc:
        return str(exc)
    return None


def rule_for_tracer(tracer: str, override: str | None = None) -> ToolchainRule:
    """What `tracer` handles, unless ``--toolchains`` says otherwise: the static indexer
    reads sources and handles any Lean 4 toolchain; LeanDojo's tracer, what the installed
    lean-dojo's ``ExtractData.lean`` compiles with."""
    if override:
        return ToolchainRule.parse(override)
    if tracer == "leandojo":
        return ToolchainRule("what the installed lean-dojo can trace", checker=leandojo_trace_check)
    return ToolchainRule.parse("any")


@dataclass(frozen=True)
class WalkBack:
    """The commit chosen for a repository and how it was found."""

    commit: str
    toolchain: str | None
    head: str
    head_toolchain: str | None
    commits_back: int  # first-parent commits between the chosen one and HEAD
    toolchains_read: int

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _toolchain_at(checkout: Path, rev: str) -> str | None:
    from leanagent.tracing.git import run_git

    try:
        text = run_git(["show", f"{rev}:lean-toolchain"], cwd=checkout)
    except SourceError:
        return None
    lines = text.strip().splitlines()
    return lines[0].strip() if lines else None


def walk_back(checkout: Path, rule: ToolchainRule) -> WalkBack:
    """Choose the newest commit at or before HEAD whose toolchain `rule` supports, and
    check it out; raise `UnsupportedToolchain` when none has one."""
    from leanagent.tracing.git import run_git

    head = run_git(["rev-parse", "HEAD"], cwd=checkout)
    head_tc = _toolchain_at(checkout, head)
    if rule.check(head_tc) is None:
        return WalkBack(head, head_tc, head, head_tc, 0, 1)
    if (checkout / ".git" / "shallow").exists():
        run_git(["fetch", "--quiet", "--unshallow", "origin"], cwd=checkout, timeout=3600)
    changes = run_git(["rev-list", "--first-parent", "HEAD", "--", "lean-toolchain"], cwd=checkout).split()
    read = 1
    for k in range(1, len(changes)):
        tc = _toolchain_at(checkout, changes[k])
        read += 1
        if rule.check(tc) is None:
            chosen = run_git(["rev-parse", f"{changes[k - 1]}^1"], cwd=checkout)
            back = int(run_git(["rev-list", "--first-parent", "--count", f"{chosen}..{head}"], cwd=checkout))
            run_git(["checkout", "--quiet", "--force", "--detach", chosen], cwd=checkout)
            return WalkBack(chosen, tc, head, head_tc, back, read)
    raise UnsupportedToolchain(
        f"{rule.check(head_tc)} at HEAD {head[:12]}, and none of the {len(changes)} earlier toolchains of "
        f"its history is supported ({rule.name}); choose another tracer or --toolchains"
    )


# -- candidates ----------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A repository the crawl may add."""

    source: str  # URL or directory
    commit: str | None = None
    full_name: str | None = None  # owner/name, when known
    stars: int | None = None
    size_kb: int | None = None
    where: str | None = None  # "list.txt:3" or "GitHub search"
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "commit": self.commit, "full_name": self.full_name, "stars": self.stars,
                "size_kb": self.size_kb, "where": self.where, **self.extra}


def read_list_file(path: Path) -> list[Candidate]:
    """Candidates from a list file; malformed lines raise `InputError` naming the line."""
    from leanagent.tracing.git import check_safe, is_git_url

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the list file ({exc})", file=str(path)) from exc
    out: list[Candidate] = []
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) > 2:
            raise InputError(f"line {lineno}: expected 'SOURCE [COMMIT]', found {len(parts)} fields: {raw.strip()!r}",
                             file=str(path))
        source = parts[0]
        commit = parts[1] if len(parts) == 2 else None
        try:
            check_safe(source, "source")
            if commit is not None:
                check_safe(commit, "commit")
        except SourceError as exc:
            raise InputError(f"line {lineno}: {exc}", file=str(path)) from exc
        if not is_git_url(source) and not (path.parent / source).expanduser().is_dir() \
                and not Path(source).expanduser().is_dir():
            raise InputError(f"line {lineno}: {source!r} is neither a git URL nor a directory", file=str(path))
        if not is_git_url(source) and not Path(source).is_absolute():
            # Relative directories are relative to the list file, not to the working directory.
            source = str((path.parent / source).resolve())
        out.append(Candidate(source, commit, _full_name(source), where=f"{path.name}:{lineno}"))
    return out


def _full_name(source: str) -> str | None:
    """``owner/name``: the last two path parts of a git URL (any host, any port)."""
    from leanagent.tracing.git import is_git_url, normalize_url

    if not is_git_url(source):
        return None
    url = normalize_url(source)
    path = url.split(":", 1)[1] if re.match(r"^[^/@]+@[^/:]+:", url) else urllib.parse.urlsplit(url).path
    parts = [p for p in path.split("/") if p]
    return "/".join(parts[-2:]) if len(parts) >= 2 else None


def read_deny_file(path: Path) -> set[str]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the deny-list ({exc})", file=str(path)) from exc
    return {line.split("#", 1)[0].strip() for line in lines if line.split("#", 1)[0].strip()}


def deny_key(value: str) -> str:
    """``owner/name`` (lower-case) for a URL or an ``owner/name`` entry."""
    v = value.strip().rstrip("/").removesuffix(".git").lower()
    full = _full_name(v) if "://" in v or v.startswith("git@") else None
    return (full or v).lower()


# -- GitHub ------------------------------------------------------------------------------


def token_from_env(environ: Mapping[str, str]) -> str | None:
    for name in TOKEN_ENVS:
        value = environ.get(name, "").strip()
        if value:
            return value
    return None


_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="([^"]+)"')


def _next_link(header: str | None) -> str | None:
    if not header:
        return None
    for url, rel in _LINK.findall(header):
        if "next" in rel.split():
            return str(url)
    return None


@dataclass
class GitHubClient:
    """A small GitHub REST client: JSON, pagination, rate limits, retries.

    ``sleep`` and ``clock`` are injectable so that tests can check the waits against
    the reset times a fake server sends without waiting them out.
    """

    api_url: str = GITHUB_API
    token: str | None = None
    timeout: float = 30.0
    max_retries: int = 3
    #: Longest rate-limit wait accepted (seconds); beyond it `RateLimitTooLong` says when to retry.
    max_wait: float = 3700.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time
    on_event: Callable[[str], None] = field(default=lambda _m: None)
    #: Requests sent and seconds waited for rate limits (reported by the crawl).
    requests: int = field(default=0, init=False)
    waited: float = field(default=0.0, init=False)
    _pending_reset: float | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        parsed = urllib.parse.urlsplit(self.api_url)
        if parsed.scheme not in ("https", "http") or not parsed.netloc:
            raise ConfigError(f"--github-api {self.api_url!r} is not an http(s) URL")
        self._netloc = parsed.netloc
        self.api_url = self.api_url.rstrip("/")
        self._opener = urllib.request.build_opener(_SameHostRedirects)

    # -- one request ---------------------------------------------------------------

    def _wait(self, seconds: float, why: str, reset_at: float | None = None) -> None:
        seconds = max(0.0, seconds)
        until = reset_at if reset_at is not None else self.clock() + seconds
        when = datetime.fromtimestamp(until, UTC).strftime("%H:%M:%S UTC")
        if seconds > self.max_wait:
            raise RateLimitTooLong(
                f"GitHub {why}: it resets at {when}, in {seconds:.0f} s, more than --max-rate-wait "
                f"{self.max_wait:.0f} s; rerun then (done repositories are skipped), or set a token in "
                f"{TOKEN_ENVS[0]} for a higher limit",
                until,
            )
        self.on_event(f"GitHub {why}: waiting {seconds:.0f} s, until {when}")
        self.waited += seconds
        self.sleep(seconds)

    def _rate_limit_wait(self, status: int, headers: Mapping[str, str], body: bytes) -> bool:
        """Wait as the response says; False when it is not a rate-limit response."""
        retry_after = headers.get("retry-after")
        if retry_after is not None:
            try:
                seconds = float(retry_after)
            except ValueError:
                seconds = 60.0
            self._wait(seconds + 0.0, f"secondary rate limit ({status}, Retry-After {retry_after})")
            return True
        if headers.get("x-ratelimit-remaining") == "0" and headers.get("x-ratelimit-reset"):
            try:
                reset = float(headers["x-ratelimit-reset"])
            except ValueError:
                reset = self.clock() + 60.0
            # One second past the reset: GitHub's clock and ours are not the same clock.
            self._wait(reset - self.clock() + 1.0, f"rate limit exhausted ({status})", reset + 1.0)
            return True
        if b"rate limit" in body.lower():
            # A secondary limit without headers: GitHub asks for at least a minute.
            self._wait(60.0, f"secondary rate limit ({status}, no reset time given)")
            return True
        return False

    def get(self, url: str, params: Mapping[str, Any] | None = None) -> tuple[Any, dict[str, str]]:
        """GET `url` (absolute, on the API host, or a path); the decoded JSON and headers."""
        if not url.startswith(("http://", "https://")):
            url = self.api_url + "/" + url.lstrip("/")
        if urllib.parse.urlsplit(url).netloc != self._netloc:
            raise GitHubError(f"refusing to follow {url}: it is not on {self._netloc} (the token is sent there only)")
        if params:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(params)
        from leanagent import __version__

        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28",
                   "User-Agent": f"leanagent/{__version__}"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        failures = 0
        rate_waits = 0
        while True:
            self.requests += 1
            status, resp_headers, body = self._fetch(url, headers)
            if status in (403, 429) and rate_waits < 20 and self._rate_limit_wait(status, resp_headers, body):
                rate_waits += 1
                continue
            problem = None
            if status == 200:
                try:
                    data = json.loads(body)
                except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                    problem = f"malformed JSON ({exc})"
                else:
                    if resp_headers.get("x-ratelimit-remaining") == "0" and resp_headers.get("x-ratelimit-reset"):
                        self._note_exhausted(resp_headers)
                    return data, resp_headers
            elif status == 401:
                raise GitHubError(f"GitHub rejected the token (401) for {url}: check {TOKEN_ENVS[0]}")
            elif status in (403, 404, 422):
                message = _message(body)
                raise GitHubError(f"GitHub answered {status} for {url}: {message}")
            else:
                problem = f"HTTP {status}" if status else f"no answer ({_message(body)})"
            failures += 1
            if failures > self.max_retries:
                raise GitHubError(f"GitHub {url}: {problem}, {failures} times; try again later")
            self._wait(min(2.0 ** failures, 30.0), f"error ({problem}), retry {failures}/{self.max_retries}")

    def _note_exhausted(self, headers: Mapping[str, str]) -> None:
        # The last request of the window succeeded: wait before the next one instead of
        # spending a request on a 403.
        self._pending_reset = float(headers["x-ratelimit-reset"])

    def _fetch(self, url: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        if self._pending_reset is not None:
            reset, self._pending_reset = self._pending_reset, None
            if reset > self.clock():
                self._wait(reset - self.clock() + 1.0, "rate limit used up", reset + 1.0)
        request = urllib.request.Request(url, headers=headers)
        try:
            with self._opener.open(request, timeout=self.timeout) as resp:
                return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, {k.lower(): v for k, v in (exc.headers or {}).items()}, exc.read() or b""
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            return 0, {}, str(getattr(exc, "reason", exc)).encode()

    # -- pages -----------------------------------------------------------------------

    def paginate(self, path: str, params: Mapping[str, Any], key: str = "items") -> Iterator[dict[str, Any]]:
        url: str | None = path
        query: Mapping[str, Any] | None = params
        page = 0
        while url is not None:
            data, headers = self.get(url, query)
            page += 1
            items = data.get(key) if isinstance(data, dict) else None
            if not isinstance(items, list):
                raise GitHubError(f"GitHub page {page} of {path} has no '{key}' list: {str(data)[:200]}")
            for item in items:
                if isinstance(item, dict):
                    yield item
            url, query = _next_link(headers.get("link")), None

    def search_repositories(self, query: str, *, per_page: int = 100) -> Iterator[Candidate]:
        for item in self.paginate("/search/repositories",
                                  {"q": query, "sort": "stars", "order": "desc", "per_page": per_page}):
            url = item.get("clone_url") or item.get("html_url")
            if not isinstance(url, str):
                continue
            yield Candidate(
                source=url.removesuffix(".git"),
                full_name=item.get("full_name"),
                stars=item.get("stargazers_count"),
                size_kb=item.get("size"),
                where="GitHub search",
                extra={k: item.get(k) for k in ("default_branch", "pushed_at", "archived", "fork") if k in item},
            )


class _SameHostRedirects(urllib.request.HTTPRedirectHandler):
    """Redirects keep the token only on the same host (urllib copies every header)."""

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> Any:
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and urllib.parse.urlsplit(newurl).netloc != urllib.parse.urlsplit(req.full_url).netloc:
            new.remove_header("Authorization")
        return new



def _message(body: bytes) -> str:
    try:
        data = json.loads(body)
        if isinstance(data, dict) and isinstance(data.get("message"), str):
            return str(data["message"])
    except (json.JSONDecodeError, UnicodeDecodeError):
        pass
    return body[:200].decode("utf-8", "replace") or "(empty body)"


def search_query(min_stars: int | None, min_size_kb: int | None, extra: str | None) -> str:
    parts = ["language:Lean"]
    if min_stars:
        parts.append(f"stars:>={min_stars}")
    if min_size_kb:
        parts.append(f"size:>={min_size_kb}")
    if extra:
        parts.append(extra.strip())
    return " ".join(parts)


# -- the crawl ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CrawlConfig:
    """What to crawl and how. ``limit``: repositories to add (None: every candidate)."""

    list_file: Path | None = None
    github: bool = False
    query: str | None = None  # extra GitHub search qualifiers
    limit: int | None = None
    min_stars: int | None = None
    min_size_kb: int | None = None
    min_theorems: int = 0
    deny: frozenset[str] = frozenset()
    default_deny: bool = True
    tracer: str = "static"
    toolchains: str | None = None
    retry_failed: bool = False
    dry_run: bool = False
    github_api: str = GITHUB_API
    max_rate_wait: float = 3700.0

    def __post_init__(self) -> None:
        if (self.list_file is None) == (not self.github):
            raise ConfigError("give exactly one of --list FILE and --github")
        if self.limit is not None and self.limit < 1:
            raise ConfigError("--limit must be >= 1")
        if self.min_theorems < 0:
            raise ConfigError("--min-theorems must be >= 0")
        if self.list_file is not None and (self.min_stars or self.min_size_kb or self.query):
            raise ConfigError("--min-stars, --min-size and --query filter a GitHub search; a list file is taken as given")
        rule_for_tracer(self.tracer, self.toolchains)  # validates --toolchains

    def deny_keys(self) -> set[str]:
        keys = {deny_key(d) for d in self.deny}
        if self.default_deny:
            keys |= {d.lower() for d in DEFAULT_DENY}
        return keys


@dataclass
class CrawlDecision:
    candidate: Candidate
    action: str  # "add", "skip"
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"action": self.action, "reason": self.reason, **self.candidate.as_dict()}


def candidates(config: CrawlConfig, environ: Mapping[str, str], on_event: Callable[[str], None],
               client: GitHubClient | None = None) -> Iterator[Candidate]:
    if config.list_file is not None:
        yield from read_list_file(config.list_file)
        return
    client = client or GitHubClient(api_url=config.github_api, token=token_from_env(environ),
                                    max_wait=config.max_rate_wait, on_event=on_event)
    if client.token is None:
        on_event(f"no GitHub token in {' or '.join(TOKEN_ENVS)}: searching unauthenticated (10 requests/min)")
    query = search_query(config.min_stars, config.min_size_kb, config.query)
    for cand in client.search_repositories(query):
        # GitHub's size qualifier is approximate at the edges; filter exactly here.
        if config.min_size_kb and (cand.size_kb or 0) < config.min_size_kb:
            continue
        yield cand


def decide(cands: Iterable[Candidate], config: CrawlConfig, done_urls: set[str],
           attempts: Mapping[str, Mapping[str, Any]]) -> Iterator[CrawlDecision]:
    """Each candidate with what the crawl does with it (and why it skips)."""
    from leanagent.tracing.git import is_git_url, normalize_url

    deny = config.deny_keys()
    seen: set[str] = set()
    for cand in cands:
        url = normalize_url(cand.source) if is_git_url(cand.source) else str(Path(cand.source).resolve())
        key = deny_key(cand.full_name or cand.source)
        if url in seen:
            yield CrawlDecision(cand, "skip", "listed twice")
            continue
        seen.add(url)
        if key in deny:
            yield CrawlDecision(cand, "skip", "on the deny-list")
            continue
        if url in done_urls:
            yield CrawlDecision(cand, "skip", "already in the knowledge base")
            continue
        last = attempts.get(url)
        if last is not None and last["status"] in ("failed", "skipped") and not last["retryable"] \
                and not config.retry_failed:
            yield CrawlDecision(cand, "skip", f"{last['status']} before: {last['reason']} (--retry-failed to retry)")
            continue
        yield CrawlDecision(cand, "add")


@dataclass
class CrawlReport:
    """What a crawl did: the skipped candidates with reasons, the attempted ones with
    outcomes, and the GitHub traffic."""

    dry_run: bool
    skipped: list[CrawlDecision] = field(default_factory=list)
    planned: list[CrawlDecision] = field(default_factory=list)  # dry run: what would be added
    outcomes: list[Any] = field(default_factory=list)  # leanagent.distributed.add.AddOutcome
    github_requests: int = 0
    github_waited_seconds: float = 0.0
    runtime: str | None = None

    def counts(self) -> dict[str, int]:
        out = {"skipped": len(self.skipped), "planned": len(self.planned)}
        for status in ("added", "already", "failed"):
            out[status] = sum(o.status == status for o in self.outcomes)
        out["not_added"] = sum(o.status == "skipped" for o in self.outcomes)
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run, "counts": self.counts(), "runtime": self.runtime,
            "github": {"requests": self.github_requests, "waited_seconds": round(self.github_waited_seconds, 1)},
            "planned": [d.as_dict() for d in self.planned],
            "skipped": [d.as_dict() for d in self.skipped],
            "outcomes": [o.as_dict() for o in self.outcomes],
        }


#: LeanAgent's ``num_repos``: how many repositories a GitHub crawl adds by default.
DEFAULT_GITHUB_LIMIT = 15


def crawl(
    store: Any,
    home: Any,
    config: CrawlConfig,
    *,
    runtime: Any = None,
    environ: Mapping[str, str] | None = None,
    on_event: Callable[[str], None] | None = None,
    on_outcome: Callable[[Any], None] | None = None,
    client: GitHubClient | None = None,
    max_in_flight: int | None = None,
) -> CrawlReport:
    """Run the crawl (``runtime`` from `leanagent.distributed.runtime.ray_runtime`;
    unused for a dry run, which neither clones nor writes)."""
    import os

    from database.source_attempts import latest_attempts
    from leanagent.tracing import AddRequest, preparers

    say = on_event or (lambda _m: None)
    env = os.environ if environ is None else environ
    if config.tracer not in preparers():
        raise ConfigError(
            f"--tracer {config.tracer}: the crawler needs a tracer that runs in a Ray task "
            f"({', '.join(sorted(preparers()))})"
        )
    rule = rule_for_tracer(config.tracer, config.toolchains)
    limit = config.limit if config.limit is not None else (DEFAULT_GITHUB_LIMIT if config.github else None)
    report = CrawlReport(dry_run=config.dry_run)
    if client is None and config.github:
        client = GitHubClient(api_url=config.github_api, token=token_from_env(env), max_wait=config.max_rate_wait,
                              on_event=say)
    done_urls = {r.url for r in store.repositories()}
    decisions = decide(candidates(config, env, say, client), config, done_urls, latest_attempts(store))

    def to_add() -> Iterator[CrawlDecision]:
        for d in decisions:
            if d.action == "skip":
                report.skipped.append(d)
                say(f"skip {d.candidate.full_name or d.candidate.source}: {d.reason}")
                continue
            yield d

    def jobs() -> Iterator[Any]:
        from leanagent.distributed.add import AddJob

        for d in to_add():
            c = d.candidate
            request = AddRequest(source=c.source, tracer=config.tracer, commit=c.commit,
                                 name=c.full_name if c.where == "GitHub search" else None)
            yield AddJob(request, origin="crawl", walk_back=rule, min_theorems=config.min_theorems,
                         details={k: v for k, v in c.as_dict().items() if v is not None and k != "source"})

    try:
        if config.dry_run:
            for d in to_add():
                if limit is not None and len(report.planned) >= limit:
                    break
                report.planned.append(d)
        else:
            from leanagent.distributed.add import add_sources

            if runtime is None:
                raise ConfigError("a crawl that adds repositories needs a runtime (ray_runtime)")
            report.runtime = runtime.describe()
            report.outcomes = add_sources(store, jobs(), home, runtime, limit=limit, on_outcome=on_outcome,
                                          max_in_flight=max_in_flight)
    finally:
        if client is not None:
            report.github_requests, report.github_waited_seconds = client.requests, client.waited
    return report

