"""The report's pages in a real headless Chromium (Debian's package, driven through
Playwright with ``executable_path``; no browser download): the static site from
``file://`` and the live dashboard over HTTP.

Each page must load with no console error, no page error and no failed request; show
the fixture's counts; render its plots; keep injected markup inert (no dialog, no title
change, no element or script that the report did not make). One browser serves the
whole module. A full-page screenshot of every page goes to ``$LEANAGENT_TEST_ARTIFACTS``
(default ``build/test-artifacts/report/``).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
import report_fixture as rf

from leanagent.report.chromium import CHROMIUM_ARGS, find_chromium, missing_reason

_reason = missing_reason()
pytestmark = pytest.mark.skipif(_reason is not None, reason=_reason or "")

ARTIFACTS = Path(os.environ.get("LEANAGENT_TEST_ARTIFACTS")
                 or Path(__file__).resolve().parent.parent / "build" / "test-artifacts" / "report")
STATIC_PAGES = ("index.html", "lifelong.html", "run-2.html", "training.html", "search.html", "repo-1.html",
                "repo-2.html", "repo-3.html")
#: Pages with plots, and how many each draws (Plotly's main SVG per plot).
PLOTS = {"index.html": 1, "lifelong.html": 3, "training.html": 2, "search.html": 3}
TITLES = {"index.html": "Overview", "lifelong.html": "Lifelong learning", "run-2.html": "Lifelong learning",
          "training.html": "Training", "search.html": "Proof search", "repo-1.html": "Repository Alpha",
          "repo-2.html": "Repository Beta", "repo-3.html": f"Repository {rf.HOSTILE_REPO}"}

# Everything the page holds that the report did not make itself: scripts other than
# app.js, plotly and the JSON data blocks; images; any on* attribute; the marker global.
INERT_CHECK = """() => {
  const bad = [];
  for (const s of document.querySelectorAll('script')) {
    const src = s.getAttribute('src');
    if (!(src === 'assets/app.js' || src === 'assets/plotly.min.js' || s.type === 'application/json')) bad.push('script:' + s.outerHTML.slice(0, 80));
  }
  for (const n of document.querySelectorAll('img, iframe, object, embed')) bad.push('element:' + n.tagName);
  for (const n of document.querySelectorAll('*')) for (const a of n.attributes) if (a.name.startsWith('on')) bad.push('attr:' + a.name);
  if (window.__xss !== undefined) bad.push('window.__xss set');
  return bad;
}"""


@pytest.fixture(scope="module")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The fixture database and its static report."""
    from database.store import Store
    from leanagent.report import write_report

    root = tmp_path_factory.mktemp("report")
    store = Store(root / "leanagent.db")
    facts = rf.build(store)
    write_report(store, root / "site")
    store.close()
    return root, facts


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=find_chromium(), args=list(CHROMIUM_ARGS))
        yield b
        b.close()


def wait_for(pg, fn: str, timeout: float = 30.0) -> None:
    """Poll a JavaScript function until it returns true. (Playwright's wait_for_function
    compiles its predicate with eval, which the dashboard's Content-Security-Policy
    forbids, as it should; evaluate() is not subject to it.)"""
    deadline = time.monotonic() + timeout
    while not pg.evaluate(fn):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {fn}")
        time.sleep(0.1)


class Visit:
    """A page with every console error, page error, failed request, HTTP error and
    dialog recorded."""

    def __init__(self, browser, url: str) -> None:
        self.problems: list[str] = []
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        pg = self.page
        pg.on("console", lambda m: self.problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        pg.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        pg.on("requestfailed", lambda r: self.problems.append(f"request failed: {r.url} {r.failure}"))
        pg.on("response", lambda r: self.problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)

        def dialog(d) -> None:
            self.problems.append(f"dialog: {d.message}")
            d.dismiss()

        pg.on("dialog", dialog)
        pg.goto(url)
        wait_for(pg, "() => document.body.dataset.ready === '1'")

    def close(self, screenshot: Path | None = None) -> None:
        if screenshot is not None:
            self.page.screenshot(path=str(screenshot), full_page=True)
        self.page.close()


def _check_page(v: Visit, name: str) -> None:
    pg = v.page
    assert v.problems == [], v.problems
    assert pg.title() == f"{TITLES[name]} · leanagent"
    assert pg.evaluate(INERT_CHECK) == []
    assert pg.evaluate("document.body.dataset.plots") in ("ready", None)
    n_plots = pg.locator(".plot-area").count()
    assert n_plots == PLOTS.get(name, 0)
    assert pg.locator(".plot-area .main-svg").count() >= n_plots  # every plot drew its SVG


@pytest.mark.parametrize("name", STATIC_PAGES)
def test_static_page_loads_clean_and_inert(browser, site, artifacts, name):
    root, _ = site
    v = Visit(browser, (root / "site" / name).as_uri())
    try:
        _check_page(v, name)
    finally:
        v.close(artifacts / f"static-{name.removesuffix('.html')}.png")


def test_counts_and_hostile_text_are_shown_as_text(browser, site):
    root, facts = site
    v = Visit(browser, (root / "site" / "index.html").as_uri())
    pg = v.page
    assert pg.locator('[data-card="own theorems"]').inner_text() == str(sum(facts.own_theorems.values()))
    assert pg.locator('[data-card="proof attempts"]').inner_text() == str(facts.attempts)
    rows = pg.locator("#t-repositories tbody tr")
    assert rows.count() == len(facts.repos)
    for i, name in enumerate(facts.repos):
        cells = rows.nth(i).locator("td").all_inner_texts()
        assert cells[1] == name  # the hostile name, as text
        assert int(cells[4]) == facts.own_theorems[name] and int(cells[6]) == facts.own_sorry[name]
    # the bucket plot's axis shows the hostile repository name as text
    ticks = pg.locator("#plot-buckets .xtick text").all_text_contents()
    assert any(t.startswith("3. evil<b><img src=x") for t in ticks), ticks
    v.close()

    v = Visit(browser, (root / "site" / "repo-3.html").as_uri())
    body = v.page.inner_text("body")
    for text in rf.HOSTILE:
        assert text in body  # shown literally in the theorem and diagnostics tables
    v.close()

    v = Visit(browser, (root / "site" / "lifelong.html").as_uri())
    pg = v.page
    # the hover label of a heatmap cell holds the full hostile name, as text
    box = pg.locator("#plot-matrix .nsewdrag").first.bounding_box()
    pg.mouse.move(box["x"] + box["width"] * 5 / 6, box["y"] + box["height"] * 5 / 6)
    pg.wait_for_selector("#plot-matrix .hovertext", timeout=5000)
    hover = " ".join(pg.locator("#plot-matrix .hovertext").all_text_contents())
    assert rf.HOSTILE_REPO in hover, hover
    assert pg.evaluate(INERT_CHECK) == []
    assert v.problems == []
    v.close()


def test_tables_search_sort_and_page(browser, site):
    root, facts = site
    v = Visit(browser, (root / "site" / "training.html").as_uri())
    pg = v.page
    steps = pg.locator("#t-training-steps")
    assert steps.get_attribute("data-total") == str(facts.training_steps)
    assert steps.locator("tbody tr").count() == 50
    block = pg.locator('.datatable[data-table="training-steps"]')
    block.locator("button.next").click()
    assert steps.locator("tbody tr").count() == facts.training_steps - 50
    assert "51–60 of 60" in block.locator(".info").inner_text()
    v.close()

    v = Visit(browser, (root / "site" / "repo-1.html").as_uri())
    pg = v.page
    block = pg.locator('.datatable[data-table="theorems"]')
    block.locator("input[type=search]").fill("thm1")
    wait_for(pg, "() => document.querySelector('#t-theorems').dataset.filtered === '3'")  # thm1, thm10, thm11
    block.locator("input[type=search]").fill("")
    wait_for(pg, f"() => document.querySelector('#t-theorems').dataset.filtered === '{facts.own_theorems['Alpha']}'")
    block.locator("th", has_text="proof steps").locator("button").click()
    block.locator("th", has_text="proof steps").locator("button").click()  # descending
    first = [int(x) for x in block.locator("tbody tr td:nth-child(7)").all_inner_texts()]
    assert first == sorted(first, reverse=True) and first[0] == 4
    block.locator('select[data-facet="status"]').select_option("sorry")
    assert pg.locator("#t-theorems").get_attribute("data-filtered") == str(facts.own_sorry["Alpha"])
    assert v.problems == []
    v.close()

    # a link to a theorem opens its repository page on that row
    theorem_id = int(facts_first_theorem(root))
    v = Visit(browser, (root / "site" / "repo-1.html").as_uri() + f"#t-{theorem_id}")
    assert v.page.locator(f"tr#t-{theorem_id}.target").count() == 1
    v.close()


def facts_first_theorem(root: Path) -> int:
    import sqlite3

    with sqlite3.connect(root / "leanagent.db") as conn:
        return conn.execute("SELECT MAX(t.id) FROM theorems t JOIN repo_files rf ON rf.file_id = t.file_id "
                            "WHERE rf.repo_id = 1 AND rf.is_dependency = 0").fetchone()[0]


def test_live_dashboard_is_clean_and_updates_when_rows_are_added(browser, site, artifacts, tmp_path):
    from database.store import Store
    from leanagent.report import Dashboard

    root, facts = site
    db = tmp_path / "live.db"
    shutil.copy(root / "leanagent.db", db)
    dash = Dashboard(db, port=0, refresh=0.3).start()
    try:
        for name in ("lifelong.html", "search.html"):
            v = Visit(browser, dash.url + name)
            _check_page(v, name)
            v.close(artifacts / f"live-{name.removesuffix('.html')}.png")
        v = Visit(browser, dash.url)
        pg = v.page
        _check_page(v, "index.html")
        pg.locator('.datatable[data-table="repositories"] input[type=search]').fill("a")  # state survives a refresh
        n_repos = len(facts.repos)
        assert pg.locator('[data-card="repositories"]').inner_text() == str(n_repos)
        # a new repository, written through the real ingest path while the page is open
        with Store(db) as writer:
            rf._repo(writer, "Gamma", 4, seed=7)
        wait_for(pg, f"() => document.querySelector('[data-card=\"repositories\"]').textContent === '{n_repos + 1}'",
                 timeout=15)
        assert "Gamma" in pg.locator("#t-repositories").inner_text()
        assert pg.locator('.datatable[data-table="repositories"] input[type=search]').input_value() == "a"
        # a proof attempt row, as the prover writes them
        with Store(db) as writer, writer.atomic():
            writer.conn.execute(
                "INSERT INTO proof_attempts (theorem_id, purpose, backend, generator, status, stop_reason, "
                "started_at, finished_at) VALUES (1, 'sorry', 'replay', 'tiny', 'failed', 'timeout', 't', 't')")
        wait_for(pg, "() => document.querySelector('[data-card=\"proof attempts\"]').textContent === "
                 f"'{facts.attempts + 1}'", timeout=15)
        assert pg.evaluate(INERT_CHECK) == []
        assert v.problems == [], v.problems
        v.close(artifacts / "live-index-updated.png")
    finally:
        dash.stop()
