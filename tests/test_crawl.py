"""The crawler: toolchain rules and LeanAgent's walk-back on real git history, list
files, the GitHub client against a local server that answers like GitHub (pagination,
403/429 rate limits with their reset times, malformed JSON), and whole crawls whose
reruns skip what is done."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from fake_github import Canned, FakeGitHub, git, lean_project, publish

from database.errors import ConfigError, InputError
from database.home import Home
from database.source_attempts import attempts
from database.store import Store
from leanagent.crawl import (
    CrawlConfig,
    GitHubClient,
    GitHubError,
    RateLimitTooLong,
    ToolchainRule,
    UnsupportedToolchain,
    crawl,
    read_list_file,
    rule_for_tracer,
    walk_back,
)
from leanagent.distributed.runtime import Runtime
from leanagent.distributed.settings import RaySettings
from leanagent.tracing.git import clone

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")

IN_PROCESS = Runtime("in-process", RaySettings(address="off"))


# -- toolchains ------------------------------------------------------------------------


def _why(rule: ToolchainRule, toolchain: str | None) -> str:
    reason = rule.check(toolchain)
    assert reason is not None, f"{toolchain} should not be supported by {rule.name}"
    return reason


def test_toolchain_rules() -> None:
    la = ToolchainRule.parse("leanagent")
    assert la.check("leanprover/lean4:v4.3.0-rc2") is None
    assert la.check("leanprover/lean4:v4.8.1") is None
    assert "older than v4.3.0-rc2" in _why(la, "leanprover/lean4:v4.3.0-rc1")
    assert "newer than v4.8.1" in _why(la, "leanprover/lean4:v4.9.0")
    assert "not a released version" in _why(la, "leanprover/lean4:nightly-2024-01-01")
    anyr = ToolchainRule.parse("any")
    assert anyr.check("leanprover/lean4:nightly-2024-01-01") is None
    assert "Lean 3" in _why(anyr, "leanprover-community/lean:3.42.1")
    assert "no lean-toolchain" in _why(anyr, None)
    open_top = ToolchainRule.parse("v4.9.0..")
    assert open_top.check("leanprover/lean4:v4.30.1") is None and _why(open_top, "leanprover/lean4:v4.8.0")
    # The leandojo tracer's rule is the installed lean-dojo's own support table.
    assert "lean-dojo" in _why(rule_for_tracer("leandojo"), "leanprover/lean4:v4.30.0")
    assert rule_for_tracer("static").check("leanprover/lean4:v4.30.0") is None
    for bad in ("v4..v5", "v4.9.0..v4.3.0", "latest", ".."):
        with pytest.raises(ConfigError):
            ToolchainRule.parse(bad)


@pytest.fixture
def server(tmp_path: Path):
    with FakeGitHub(tmp_path / "served") as fake:
        yield fake


def _history(tmp_path: Path, server: FakeGitHub, full_name: str = "alice/moving") -> dict[str, str]:
    """c1, c2 on v4.5.0; c3 moves to v4.12.0; c4 on v4.12.0 (HEAD)."""
    work = tmp_path / "work" / full_name
    work.mkdir(parents=True)
    git(work, "init", "-q")
    commits = {}
    for tag, tc, thms in (("c1", "v4.5.0", ["a"]), ("c2", "v4.5.0", ["a", "b"]),
                          ("c3", "v4.12.0", ["a", "b", "c"]), ("c4", "v4.12.0", ["a", "b", "c", "d"])):
        lean_project(work, tc, thms)
        git(work, "add", ".")
        git(work, "commit", "-q", "-m", tag)
        commits[tag] = git(work, "rev-parse", "HEAD")
    publish(work, server.root, full_name)
    return commits


def test_walk_back_to_the_newest_supported_commit(tmp_path: Path, server: FakeGitHub) -> None:
    commits = _history(tmp_path, server)
    src = clone(server.clone_url("alice/moving"), tmp_path / "repos", None, None)
    assert (src.path / ".git" / "shallow").exists()
    wb = walk_back(src.path, ToolchainRule.parse("any"))
    assert wb.commit == commits["c4"] and wb.commits_back == 0  # HEAD is fine: nothing fetched
    assert (src.path / ".git" / "shallow").exists()
    wb = walk_back(src.path, ToolchainRule.parse("v4.3.0..v4.9.0"))
    assert wb.commit == commits["c2"], "the newest commit on v4.5.0, not the first one"
    assert wb.head == commits["c4"] and wb.commits_back == 2
    assert wb.toolchain == "leanprover/lean4:v4.5.0" and wb.head_toolchain == "leanprover/lean4:v4.12.0"
    assert git(src.path, "rev-parse", "HEAD") == commits["c2"]
    assert "theorem b" in (src.path / "Proj" / "Basic.lean").read_text()
    with pytest.raises(UnsupportedToolchain, match=r"newer than|older than"):
        walk_back(src.path, ToolchainRule.parse("v4.20.0.."))


def test_list_file(tmp_path: Path) -> None:
    (tmp_path / "local").mkdir()
    good = tmp_path / "repos.txt"
    good.write_text("# my repositories\nhttps://github.com/a/b\n\ngit@github.com:c/d.git v1.0  # pinned\nlocal\n")
    got = read_list_file(good)
    assert [(c.source, c.commit, c.full_name, c.where) for c in got] == [
        ("https://github.com/a/b", None, "a/b", "repos.txt:2"),
        ("git@github.com:c/d.git", "v1.0", "c/d", "repos.txt:4"),
        (str((tmp_path / "local").resolve()), None, None, "repos.txt:5"),
    ]
    for text, match in (("https://github.com/a/b x y\n", "line 1: expected 'SOURCE"),
                        ("\n\n--upload-pack=evil\n", "line 3:.*option"),
                        ("no/such/dir\n", "line 1:.*neither a git URL nor a directory")):
        bad = tmp_path / "bad.txt"
        bad.write_text(text)
        with pytest.raises(InputError, match=match) as info:
            read_list_file(bad)
        assert str(bad) in str(info.value)


# -- the GitHub client -------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        import time

        self.now = time.time()
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _client(server: FakeGitHub, clock: Clock, **kw) -> GitHubClient:
    return GitHubClient(api_url=server.api, token=kw.pop("token", "t0ken"), sleep=clock.sleep, clock=clock.time, **kw)


def test_search_follows_pagination_in_star_order(server: FakeGitHub) -> None:
    for i in range(230):
        server.add_item(f"owner{i}/repo{i}", stars=1000 - i)
    clock = Clock()
    got = list(_client(server, clock).search_repositories("language:Lean"))
    assert len(got) == 230 and [c.stars for c in got] == sorted((c.stars or 0 for c in got), reverse=True)
    assert [r["query"].get("page", ["1"])[0] for r in server.requests] == ["1", "2", "3"]
    first = server.requests[0]
    assert first["query"]["q"] == ["language:Lean"] and first["query"]["sort"] == ["stars"]
    assert first["query"]["per_page"] == ["100"]
    assert first["authorization"] == "Bearer t0ken" and first["user_agent"].startswith("leanagent/")
    assert got[0].full_name == "owner0/repo0" and got[0].source == server.clone_url("owner0/repo0")[:-4]
    assert clock.sleeps == []


def test_rate_limits_wait_until_the_reset_time(server: FakeGitHub) -> None:
    server.add_item("a/b", stars=3)
    clock = Clock()
    reset = int(clock.now) + 42
    server.script = [
        Canned(403, '{"message": "API rate limit exceeded"}',
               {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)}),
        Canned(429, '{"message": "secondary"}', {"Retry-After": "7"}),
        Canned(403, '{"message": "You have exceeded a secondary rate limit"}'),
    ]
    events: list[str] = []
    got = list(_client(server, clock, on_event=events.append).search_repositories("language:Lean"))
    assert [c.full_name for c in got] == ["a/b"]
    assert clock.sleeps[0] == pytest.approx(reset - (clock.now - sum(clock.sleeps)) + 1, abs=0.01)
    assert clock.sleeps[1:] == [7.0, 60.0]
    assert len(server.requests) == 4
    assert "until" in events[0] and "UTC" in events[0]


def test_a_used_up_window_is_waited_out_before_the_next_request(server: FakeGitHub) -> None:
    for i in range(150):
        server.add_item(f"o/r{i}", stars=i)
    server.rate_remaining = 0  # every page says the window is used up (reset in 60 s)
    clock = Clock()
    got = list(_client(server, clock).search_repositories("language:Lean"))
    assert len(got) == 150 and len(server.requests) == 2
    assert len(clock.sleeps) == 1 and 55 < clock.sleeps[0] <= 62  # before page 2, not after a 403


def test_a_reset_too_far_away_stops_with_the_time(server: FakeGitHub) -> None:
    clock = Clock()
    server.script = [Canned(403, "{}", {"x-ratelimit-remaining": "0",
                                        "x-ratelimit-reset": str(int(clock.now) + 7200)})]
    with pytest.raises(RateLimitTooLong, match=r"resets at .* UTC.*rerun") as info:
        list(_client(server, clock, max_wait=600).search_repositories("language:Lean"))
    assert info.value.reset_at == pytest.approx(clock.now + 7201, abs=2)
    assert clock.sleeps == []


def test_malformed_json_is_retried_then_reported(server: FakeGitHub) -> None:
    server.add_item("a/b", stars=1)
    clock = Clock()
    server.script = [Canned(200, '{"items": [', {}), Canned(502, "bad gateway")]
    assert [c.full_name for c in _client(server, clock).search_repositories("q")] == ["a/b"]
    assert clock.sleeps == [2.0, 4.0]
    server.script = [Canned(200, "<html>proxy login</html>")] * 4
    with pytest.raises(GitHubError, match=r"search/repositories.*malformed JSON.*4 times"):
        list(_client(server, Clock()).search_repositories("q"))
    server.script = [Canned(200, '{"total_count": 1}')]  # valid JSON, but no items
    with pytest.raises(GitHubError, match="no 'items' list"):
        list(_client(server, Clock()).search_repositories("q"))


def test_auth_and_validation_errors_name_the_fix(server: FakeGitHub) -> None:
    server.script = [Canned(401, '{"message": "Bad credentials"}')]
    with pytest.raises(GitHubError, match=r"rejected the token.*GITHUB_TOKEN"):
        list(_client(server, Clock()).search_repositories("q"))
    server.script = [Canned(422, '{"message": "Validation Failed"}')]
    with pytest.raises(GitHubError, match=r"422.*Validation Failed"):
        list(_client(server, Clock()).search_repositories("q"))
    server.script = [Canned(200, '{"items": []}', {"Link": '<https://elsewhere.example/x?page=2>; rel="next"'})]
    with pytest.raises(GitHubError, match="refusing to follow"):
        list(_client(server, Clock()).search_repositories("q"))


# -- whole crawls ------------------------------------------------------------------------


def _world(tmp_path: Path, server: FakeGitHub) -> dict[str, str]:
    commits = _history(tmp_path, server, "alice/moving")  # needs walking back under leanagent's window
    for name, tc, thms, stars in (("bob/steady", "v4.6.0", ["x", "y", "z"], 90),
                                  ("carol/lean3", None, ["p"], 80),
                                  ("dave/tiny", "v4.7.0", ["t"], 70),
                                  ("leanprover-community/mathlib4", "v4.8.0", ["m"], 999)):
        work = tmp_path / "work" / name
        work.mkdir(parents=True)
        git(work, "init", "-q")
        lean_project(work, tc or "v4.0.0", thms)
        if tc is None:
            (work / "lean-toolchain").write_text("leanprover-community/lean:3.42.1\n")
        git(work, "add", ".")
        git(work, "commit", "-q", "-m", "init")
        publish(work, server.root, name)
        server.add_item(name, stars=stars)
    server.add_item("alice/moving", stars=95)
    return commits


def test_github_crawl_adds_walks_back_records_and_reruns_skip(tmp_path: Path, server: FakeGitHub) -> None:
    commits = _world(tmp_path, server)
    home = Home(tmp_path / "home")
    config = CrawlConfig(github=True, github_api=server.api, toolchains="leanagent", min_theorems=2)
    with Store(home.db_path) as store:
        report = crawl(store, home, config, runtime=IN_PROCESS, environ={"GITHUB_TOKEN": "s3cret"})
        by = {o.name: o for o in report.outcomes}
        assert [d.candidate.full_name for d in report.skipped] == ["leanprover-community/mathlib4"]
        assert by["alice/moving"].status == "added" and by["alice/moving"].commit == commits["c2"]
        assert by["alice/moving"].details["walk_back"]["commits_back"] == 2
        assert by["bob/steady"].status == "added"
        assert by["carol/lean3"].status == "failed" and "Lean 3 toolchain" in by["carol/lean3"].reason
        assert not by["carol/lean3"].retryable
        assert by["dave/tiny"].status == "skipped" and "fewer than --min-theorems 2" in by["dave/tiny"].reason
        repos = {r.name: r for r in store.repositories()}
        assert set(repos) == {"alice/moving", "bob/steady"}
        moving = repos["alice/moving"]
        assert moving.commit == commits["c2"] and moving.metadata["walk_back"]["head"] == commits["c4"]
        assert moving.lean_version == "v4.5.0"
        assert {t["full_name"] for t in store.theorems(moving)} == {"a", "b"}
        rows = {r["name"]: r for r in attempts(store)}
        assert rows["carol/lean3"]["status"] == "failed" and rows["dave/tiny"]["status"] == "skipped"
        assert rows["alice/moving"]["repo_id"] == moving.id and rows["alice/moving"]["origin"] == "crawl"
        assert all(r["authorization"] == "Bearer s3cret" for r in server.requests)

        again = crawl(store, home, config, runtime=IN_PROCESS, environ={})
        assert again.outcomes == []
        reasons = {d.candidate.full_name: d.reason or "" for d in again.skipped}
        assert reasons["alice/moving"] == reasons["bob/steady"] == "already in the knowledge base"
        assert reasons["carol/lean3"].startswith("failed before: Lean 3 toolchain")
        assert reasons["dave/tiny"].startswith("skipped before")

        dry = crawl(store, home, CrawlConfig(github=True, github_api=server.api, dry_run=True, retry_failed=True),
                    environ={})
        assert [d.candidate.full_name for d in dry.planned] == ["carol/lean3", "dave/tiny"]
        assert len(store.repositories()) == 2 and len(attempts(store)) == 4  # a dry run writes nothing


def test_crawl_limit_counts_added_repositories(tmp_path: Path, server: FakeGitHub) -> None:
    _world(tmp_path, server)
    home = Home(tmp_path / "home")
    config = CrawlConfig(github=True, github_api=server.api, toolchains="leanagent", limit=2, default_deny=False)
    with Store(home.db_path) as store:
        report = crawl(store, home, config, runtime=IN_PROCESS, environ={})
        # mathlib4 (999 stars) and alice/moving are added; bob/steady is never tried.
        assert [o.name for o in report.outcomes if o.status == "added"] == ["leanprover-community/mathlib4",
                                                                            "alice/moving"]
        assert "bob/steady" not in {o.name for o in report.outcomes}


def test_crawl_cli_from_a_list_file_through_ray(tmp_path: Path, server: FakeGitHub, ray_local) -> None:
    from click.testing import CliRunner

    from leanagent.cli import main

    _world(tmp_path, server)
    listing = tmp_path / "list.txt"
    listing.write_text(f"{server.clone_url('bob/steady')}\n{server.clone_url('carol/lean3')}\n"
                       f"{server.clone_url('nobody/missing')}\n")
    deny = tmp_path / "deny.txt"
    deny.write_text("# not this one\ncarol/lean3\n")
    home = tmp_path / "home"
    args = ["--home", str(home), "crawl", "--list", str(listing), "--json"]
    r = CliRunner().invoke(main, [*args, "--dry-run", "--deny", str(deny)])
    assert r.exit_code == 0, r.output
    planned = [d["source"].rsplit("/", 1)[-1] for d in json.loads(r.stdout)["planned"]]
    assert planned == ["steady.git", "missing.git"] and "skip carol/lean3: on the deny-list" in r.stderr
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout)
    status = {o["source"].rsplit("/", 1)[-1]: o for o in report["outcomes"]}
    assert status["steady.git"]["status"] == "added" and status["steady.git"]["where"] == "ray"
    assert status["lean3.git"]["status"] == "failed" and not status["lean3.git"]["retryable"]
    assert status["missing.git"]["status"] == "failed" and status["missing.git"]["retryable"]  # clone failed
    assert "the Ray already running" in report["runtime"]
