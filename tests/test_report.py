"""The report and dashboard without a browser: data read from a real database, static
files written, escaping in the HTML itself, the HTTP server and the CLI as subprocesses.
(What a browser makes of the pages is tested in test_report_browser.py.)"""

from __future__ import annotations

import hashlib
import json
import re
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import report_fixture as rf

from database.store import Store
from leanagent.report.data import ReportData
from leanagent.report.figures import figure
from leanagent.report.metric_docs import metric_docs
from leanagent.report.site import MARKER, write_report

LEANAGENT = str(Path(sys.executable).with_name("leanagent"))


@pytest.fixture
def kb(store):
    facts = rf.build(store)
    return store, facts


def _strings(obj: object):
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _strings(v)


def _json_blocks(html: str) -> list[object]:
    return [json.loads(m) for m in re.findall(r'<script type="application/json" id="[^"]+">(.*?)</script>', html, re.S)]


def test_overview_counts_match_the_database(kb):
    store, facts = kb
    o = ReportData(store).overview()
    rows = {r[1][0]: r for r in o["repos_table"]["rows"]}
    for name in facts.repos:
        row = rows[name]
        assert row[4] == facts.own_theorems[name]  # own theorems
        assert row[5] == facts.dep_theorems  # each repository sees the shared dependency theorem
        assert row[6] == facts.own_sorry[name]
    cards = dict(o["cards"])
    assert cards["own theorems"] == sum(facts.own_theorems.values())
    assert cards["dependency theorems"] == 1  # shared file: counted once
    assert cards["proof attempts"] == facts.attempts
    assert cards["own theorems proved"] == facts.proofs
    assert cards["runs"] == 2
    # curriculum order and the run's status per repository
    assert [r[0] for r in o["repos_table"]["rows"]] == [1, 2, 3]
    assert {r[2] for r in o["repos_table"]["rows"]} == {"learned"}


def test_lifelong_view_reads_the_matrix_and_every_metric_has_a_definition(kb):
    store, _ = kb
    lv = ReportData(store).lifelong(ReportData(store).focus_id())
    # the fake learner's fused ranking (the matrix's default), one point above its dense
    assert lv["R"] == [[32.0], [31.0, 32.0], [30.0, 31.0, 32.0]]
    assert lv["A"] == pytest.approx([32.0, 31.5, 31.0])
    keys = [m["key"] for m in lv["metrics"]]
    assert all(m["doc"] is not None for m in lv["metrics"]), keys
    assert set(metric_docs(5)) == set(keys)
    families = [m["doc"].family for m in lv["metrics"]]
    assert families == sorted(families, key=lambda f: f != "textbook")  # textbook first, variants after
    assert {k for k, m in zip(keys, lv["metrics"], strict=True) if m["doc"].family != "textbook"} == {
        "FM_leanagent", "EBWT_leanagent", "WF5_leanagent", "WP5_leanagent"}


def test_training_and_search_pages_read_steps_and_attempts(kb):
    store, facts = kb
    data = ReportData(store)
    tr = data.training()
    assert len(tr["step_table"]["rows"]) == facts.training_steps
    assert len(tr["loss_fig"]["data"]) == len(tr["ckpt_table"]["rows"]) == 3
    first = tr["ckpt_table"]["rows"][0]
    assert first[5] == 20 and first[6] == 160 and first[7] == 10.0  # steps, examples, seconds
    assert first[9] == pytest.approx(16.0)  # examples/s
    ps = data.search()
    assert len(ps["attempt_table"]["rows"]) == facts.attempts
    by_bucket = {b: (p, f, e, n) for b, p, f, e, n, _ in ps["bucket_rows"]}
    assert sum(n for *_, n in by_bucket.values()) == facts.attempts
    assert sum(p for p, *_ in by_bucket.values()) == facts.proofs
    assert dict(ps["reason_rows"])["timeout"] == 4


def test_figure_escapes_every_data_string_but_its_templates():
    fig = figure([{"type": "bar", "x": ["<b>x</b>", "a & b"], "name": "<script>",
                   "hovertemplate": "%{x}<br>%{y}<extra></extra>", "nested": {"text": ["<i>"]}}], {"title": "<t>"})
    trace = fig["data"][0]
    assert trace["x"] == ["&lt;b&gt;x&lt;/b&gt;", "a &amp; b"]
    assert trace["name"] == "&lt;script&gt;" and trace["nested"]["text"] == ["&lt;i&gt;"]
    assert trace["hovertemplate"] == "%{x}<br>%{y}<extra></extra>"
    assert fig["layout"]["title"] == "&lt;t&gt;"


def test_static_report_is_self_contained_and_escapes_every_stored_string(kb, tmp_path):
    store, facts = kb
    summary = write_report(store, tmp_path / "site")
    out = summary.out
    assert summary.run == facts.run_name
    assert sorted(summary.pages) == sorted(["index.html", "lifelong.html", "training.html", "search.html",
                                            "run-2.html", "repo-1.html", "repo-2.html", "repo-3.html"])
    plotly = (out / "assets" / "plotly.min.js").read_bytes()
    assert len(plotly) > 1_000_000 and b"plotly" in plotly[:2000].lower()
    seen_hostile_in_json = False
    for page in summary.pages:
        html = (out / page).read_text()
        # no network: every src/href is relative (or a data: favicon) and its file exists
        refs = re.findall(r'(?:src|href)="([^"]*)"', html)
        for ref in refs:
            assert not re.match(r"^[a-z]+:", ref) or ref == "data:,", (page, ref)
            if ref != "data:,":
                assert (out / ref.split("#")[0]).exists(), (page, ref)
        # no stored string reaches the markup unescaped
        for bad in (*rf.HOSTILE, rf.HOSTILE_REPO, "onerror=\"window"):
            assert bad not in html, (page, bad)
        # the only script elements are app.js and the JSON data blocks
        opening = re.findall(r"<script[^>]*>", html)
        assert all(t == '<script src="assets/app.js" defer>' or t.startswith('<script type="application/json"')
                   for t in opening), (page, opening)
        assert html.count("</script>") == len(opening)
        seen_hostile_in_json |= any(rf.SCRIPT in text for text in _strings(_json_blocks(html)))
    assert seen_hostile_in_json  # the tables carry the raw strings (written as text by app.js)
    repo3 = (out / "repo-3.html").read_text()
    assert "Repository evil&lt;b&gt;&lt;img src=x onerror=" in repo3
    lifelong = (out / "lifelong.html").read_text()
    heatmap = next(b for b in _json_blocks(lifelong) if isinstance(b, dict) and b.get("data", [{}])[0].get("type")
                   == "heatmap")
    assert any("evil&lt;b&gt;&lt;img" in x for x in heatmap["data"][0]["x"])  # entity-escaped for plotly


def test_report_directory_safety(kb, tmp_path):
    store, _ = kb
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    from leanagent.report.assets import ReportError

    with pytest.raises(ReportError, match="not empty and was not written by"):
        write_report(store, foreign)
    assert (foreign / "notes.txt").read_text() == "mine"
    out = tmp_path / "site"
    write_report(store, out)
    (out / "repo-99.html").write_text("stale page of a removed repository")
    write_report(store, out)  # rewriting our own report is fine; stale pages go
    assert (out / MARKER).exists() and not (out / "repo-99.html").exists()
    assert not list(out.glob(".*.tmp"))
    from leanagent.lifelong import RunError

    with pytest.raises(RunError, match="no run named 'nope'"):
        write_report(store, tmp_path / "other", run="nope")
    assert not (tmp_path / "other").exists()  # nothing written before the run was found


def _schema1_db(path: Path) -> Path:
    from database.schema import MIGRATIONS

    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)")
    for statement in MIGRATIONS[0].statements:
        conn.execute(statement)
    conn.execute("INSERT INTO schema_version VALUES (1, 'initial schema', 't')")
    conn.commit()
    conn.close()
    return path


def test_empty_and_old_databases_render(tmp_path):
    empty = Store(tmp_path / "empty.db")
    summary = write_report(empty, tmp_path / "empty-site")
    index = (summary.out / "index.html").read_text()
    assert "no repository yet" in index and "no lifelong run yet" in index
    assert "No lifelong run yet" in (summary.out / "lifelong.html").read_text()
    assert "No proof attempt yet" in (summary.out / "search.html").read_text()
    empty.close()
    # a database at schema version 1 (before proof attempts and training curves), read-only
    old = _schema1_db(tmp_path / "old.db")
    with Store(old, readonly=True) as ro:
        summary = write_report(ro, tmp_path / "old-site")
    assert "predates proof attempts" in (summary.out / "search.html").read_text()


def _get(url: str, method: str = "GET") -> tuple[int, dict, bytes]:
    req = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_dashboard_serves_pages_read_only_and_reports_new_commits(kb):
    store, _ = kb
    db = Path(store.path)
    store.close()  # a clean close folds the WAL into the file, so its bytes say whether anything wrote
    before = _digest(db)
    from leanagent.report import Dashboard

    dash = Dashboard(db, port=0, refresh=1).start()
    try:
        assert dash.url.startswith("http://127.0.0.1:") and dash.loopback
        for page in ("", "index.html", "lifelong.html", "run-2.html", "training.html", "search.html", "repo-3.html"):
            status, headers, body = _get(dash.url + page)
            assert status == 200, page
            assert headers["Content-Type"].startswith("text/html")
            assert "script-src 'self'" in headers["Content-Security-Policy"]
            assert b'data-live="1"' in body
        assert _get(dash.url + "assets/plotly.min.js")[0] == 200
        assert _get(dash.url + "nope.html")[0] == 404
        assert _get(dash.url + "repo-999.html")[0] == 404
        assert _get(dash.url + "assets/../../etc/passwd")[0] == 404
        assert _get(dash.url + "index.html", method="POST")[0] == 405
        v1 = json.loads(_get(dash.url + "api/version")[2])["version"]
        assert json.loads(_get(dash.url + "api/version")[2])["version"] == v1  # nothing changed
        assert _digest(db) == before  # serving every page wrote nothing
        with Store(db) as writer, writer.atomic():
            writer.conn.execute("UPDATE runs SET updated_at = 'now' WHERE id = 1")
        assert json.loads(_get(dash.url + "api/version")[2])["version"] != v1
    finally:
        dash.stop()
    from leanagent.report.assets import ReportError

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        with pytest.raises(ReportError, match="pass --port"):
            Dashboard(db, port=busy.getsockname()[1])


def _env(home: Path) -> dict:
    import os

    return {**os.environ, "LEANAGENT_HOME": str(home)}


def test_cli_report_and_dashboard(kb, home, tmp_path):
    store, facts = kb
    store.close()
    out = tmp_path / "cli-site"
    r = subprocess.run([LEANAGENT, "report", "--out", str(out), "--json"], capture_output=True, text=True,
                       env=_env(home), timeout=120)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["index"] == str(out / "index.html") and (out / "index.html").exists()
    r = subprocess.run([LEANAGENT, "report", "--run", "nope", "--out", str(tmp_path / "x")], capture_output=True,
                       text=True, env=_env(home), timeout=120)
    assert r.returncode == 1 and "no run named 'nope'" in r.stderr
    proc = subprocess.Popen([LEANAGENT, "dashboard", "--port", "0", "--refresh", "2"], stderr=subprocess.PIPE,
                            text=True, env=_env(home))
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert m, line
        status, _, body = _get(m.group(0))
        assert status == 200 and facts.run_name.encode() in body
        proc.terminate()
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    r = subprocess.run([LEANAGENT, "dashboard", "--run", "nope", "--port", "0"], capture_output=True, text=True,
                       env=_env(home), timeout=60)
    assert r.returncode == 1 and "no run named 'nope'" in r.stderr


def test_dashboard_never_writes_not_even_a_migration(tmp_path):
    """A writable open would migrate a version-1 database; the dashboard must not."""
    from leanagent.report import Dashboard

    old = _schema1_db(tmp_path / "old.db")
    before = _digest(old)
    dash = Dashboard(old, port=0).start()
    try:
        for page in ("", "lifelong.html", "training.html", "search.html", "api/version"):
            assert _get(dash.url + page)[0] == 200, page
    finally:
        dash.stop()
    assert _digest(old) == before
    with sqlite3.connect(old) as conn:
        assert conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] == 1


def test_dashboard_refuses_a_missing_database(tmp_path):
    from database.errors import DatabaseError
    from leanagent.report import Dashboard

    t0 = time.perf_counter()
    with pytest.raises(DatabaseError, match="no database at"):
        Dashboard(tmp_path / "none.db", port=0)
    assert time.perf_counter() - t0 < 5
