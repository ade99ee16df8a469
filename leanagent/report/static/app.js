// leanagent report and dashboard: tables (search, facets, sort, paging), plots, live refresh.
//
// Safety rule: data arrives as JSON in <script type="application/json"> blocks and is
// written to the page with textContent only -- never innerHTML -- so a stored string
// such as "<img onerror=...>" stays text. Figure specs were entity-escaped by the server
// (plotly renders its own small HTML dialect in labels and hover text). Links are only
// followed when they match the report's own page names.
"use strict";

(function () {
  const tableState = new Map();
  const SAFE_HREF = /^(?:(?:repo|run)-\d+\.html(?:#t-\d+)?|index\.html|lifelong\.html|training\.html|search\.html)$/;
  let plotlyLoading = null;

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    if (attrs) for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function slug(value) {
    return String(value).toLowerCase().replace(/[^a-z0-9]+/g, "-").slice(0, 40);
  }

  function formatNumber(value, digits) {
    if (value === null || value === undefined) return "—";
    if (typeof value !== "number") return String(value);
    const d = digits === undefined ? (Number.isInteger(value) ? 0 : 2) : digits;
    return value.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d });
  }

  function cellText(col, value) {
    if (value === null || value === undefined) return "";
    switch (col.type) {
      case "num": return formatNumber(value, col.digits);
      case "link": return Array.isArray(value) ? String(value[0] ?? "") : String(value);
      case "json":
        if (typeof value !== "object") return String(value);
        return Object.entries(value).map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`).join(", ");
      default: return String(value);
    }
  }

  function renderCell(col, value) {
    const td = el("td");
    if (col.type === "num") td.className = "num";
    if (value === null || value === undefined || value === "") {
      td.textContent = col.type === "num" ? "—" : "";
      return td;
    }
    if (col.type === "link" && Array.isArray(value)) {
      const href = value[1];
      if (typeof href === "string" && SAFE_HREF.test(href)) {
        td.appendChild(el("a", { href: href }, String(value[0] ?? "")));
      } else {
        td.textContent = String(value[0] ?? "");
      }
    } else if (col.type === "code") {
      const text = String(value);
      const pre = el("pre", { class: "code" }, text);
      if (text.length > 140 || text.includes("\n")) {
        pre.classList.add("clamp");
        pre.title = "click to expand";
        pre.addEventListener("click", () => pre.classList.toggle("clamp"));
      }
      td.appendChild(pre);
    } else if (col.type === "badge") {
      td.appendChild(el("span", { class: "badge badge-" + slug(value) }, String(value)));
    } else {
      td.textContent = cellText(col, value);
    }
    return td;
  }

  function compareValues(col, a, b) {
    const va = col.type === "link" && Array.isArray(a) ? a[0] : a;
    const vb = col.type === "link" && Array.isArray(b) ? b[0] : b;
    const na = va === null || va === undefined, nb = vb === null || vb === undefined;
    if (na || nb) return na && nb ? 0 : (na ? 1 : -1);
    if (col.order) {
      const ia = col.order.indexOf(va), ib = col.order.indexOf(vb);
      return (ia < 0 ? 1e9 : ia) - (ib < 0 ? 1e9 : ib);
    }
    if (typeof va === "number" && typeof vb === "number") return va - vb;
    return String(va).localeCompare(String(vb), undefined, { numeric: true });
  }

  function initTable(container) {
    const id = container.dataset.table;
    const source = document.getElementById("table-" + id);
    if (!source) return;
    const spec = JSON.parse(source.textContent);
    const cols = spec.columns;
    const state = tableState.get(id) || {
      q: "", facets: {}, sort: spec.sort ? cols.findIndex((c) => c.key === spec.sort[0]) : -1,
      dir: spec.sort && spec.sort[1] === "desc" ? -1 : 1, page: 0, size: spec.page_size || 50,
    };
    tableState.set(id, state);
    let haystack = null;
    const anchorCol = spec.anchor ? cols.findIndex((c) => c.key === spec.anchor) : -1;

    container.textContent = "";
    const controls = el("div", { class: "controls" });
    const search = el("input", { type: "search", placeholder: "Search " + spec.rows.length.toLocaleString("en-US") + " rows", "aria-label": "search" });
    search.value = state.q;
    controls.appendChild(search);
    const facetSelects = [];
    cols.forEach((c, i) => {
      if (!c.facet) return;
      const values = [...new Set(spec.rows.map((r) => cellText(c, r[i])))].filter((v) => v !== "");
      if (values.length < 2 || values.length > 60) return;
      values.sort((a, b) => compareValues(c, a, b));
      const sel = el("select", { "aria-label": c.label, "data-facet": c.key });
      sel.appendChild(el("option", { value: "" }, c.label + ": all"));
      for (const v of values) sel.appendChild(el("option", { value: v }, v));
      sel.value = state.facets[i] || "";
      sel.addEventListener("change", () => { state.facets[i] = sel.value; state.page = 0; draw(); });
      facetSelects.push(sel);
      controls.appendChild(sel);
    });
    const sizeSel = el("select", { "aria-label": "rows per page" });
    for (const n of [25, 50, 100, 500]) sizeSel.appendChild(el("option", { value: String(n) }, n + " per page"));
    sizeSel.value = String(state.size);
    controls.appendChild(sizeSel);
    const info = el("span", { class: "info", "aria-live": "polite" });
    const prev = el("button", { type: "button", class: "prev" }, "‹ previous");
    const next = el("button", { type: "button", class: "next" }, "next ›");
    controls.append(prev, next, info);
    container.appendChild(controls);

    const wrap = el("div", { class: "scroll" });
    const tableEl = el("table", { class: "data", id: "t-" + id });
    const thead = el("thead");
    const headRow = el("tr");
    cols.forEach((c, i) => {
      const th = el("th", { scope: "col" });
      const button = el("button", { type: "button", class: "sort" }, c.label);
      button.addEventListener("click", () => {
        state.dir = state.sort === i ? -state.dir : 1;
        state.sort = i;
        state.page = 0;
        draw();
      });
      th.appendChild(button);
      headRow.appendChild(th);
    });
    thead.appendChild(headRow);
    const tbody = el("tbody");
    tableEl.append(thead, tbody);
    wrap.appendChild(tableEl);
    container.appendChild(wrap);

    let timer = null;
    search.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => { state.q = search.value; state.page = 0; draw(); }, 120);
    });
    sizeSel.addEventListener("change", () => { state.size = Number(sizeSel.value); state.page = 0; draw(); });
    prev.addEventListener("click", () => { state.page = Math.max(0, state.page - 1); draw(); });
    next.addEventListener("click", () => { state.page += 1; draw(); });

    function visibleRows() {
      let idx = spec.rows.map((_, i) => i);
      const q = state.q.trim().toLowerCase();
      if (q) {
        if (!haystack) haystack = spec.rows.map((r) => cols.map((c, i) => cellText(c, r[i])).join(" \u0001 ").toLowerCase());
        idx = idx.filter((i) => haystack[i].includes(q));
      }
      for (const [ci, want] of Object.entries(state.facets)) {
        if (!want) continue;
        const c = cols[ci];
        idx = idx.filter((i) => cellText(c, spec.rows[i][ci]) === want);
      }
      if (state.sort >= 0) {
        const c = cols[state.sort];
        idx.sort((a, b) => state.dir * compareValues(c, spec.rows[a][state.sort], spec.rows[b][state.sort]) || a - b);
      }
      return idx;
    }

    function draw(target) {
      const idx = visibleRows();
      const pages = Math.max(1, Math.ceil(idx.length / state.size));
      if (target !== undefined) {
        const at = idx.findIndex((i) => spec.rows[i][anchorCol] === target);
        if (at >= 0) state.page = Math.floor(at / state.size);
      }
      state.page = Math.min(state.page, pages - 1);
      const start = state.page * state.size;
      const shown = idx.slice(start, start + state.size);
      tbody.textContent = "";
      if (!shown.length) {
        const td = el("td", { colspan: String(cols.length), class: "empty" }, spec.rows.length ? "no row matches" : spec.empty);
        tbody.appendChild(el("tr")).appendChild(td);
      }
      for (const i of shown) {
        const tr = el("tr");
        if (anchorCol >= 0) tr.id = "t-" + spec.rows[i][anchorCol];
        if (target !== undefined && spec.rows[i][anchorCol] === target) tr.classList.add("target");
        cols.forEach((c, ci) => tr.appendChild(renderCell(c, spec.rows[i][ci])));
        tbody.appendChild(tr);
      }
      headRow.querySelectorAll("th").forEach((th, i) => {
        th.setAttribute("aria-sort", state.sort === i ? (state.dir > 0 ? "ascending" : "descending") : "none");
      });
      const filtered = idx.length !== spec.rows.length ? ` (filtered from ${spec.rows.length.toLocaleString("en-US")})` : "";
      info.textContent = idx.length
        ? `${(start + 1).toLocaleString("en-US")}–${(start + shown.length).toLocaleString("en-US")} of ${idx.length.toLocaleString("en-US")}${filtered}`
        : `0 of ${spec.rows.length.toLocaleString("en-US")}`;
      tableEl.dataset.total = String(spec.rows.length);
      tableEl.dataset.filtered = String(idx.length);
      prev.disabled = state.page === 0;
      next.disabled = state.page >= pages - 1;
    }

    const m = /^#t-(\d+)$/.exec(location.hash);
    if (m && anchorCol >= 0) {
      draw(Number(m[1]));
      const row = document.getElementById("t-" + m[1]);
      if (row) row.scrollIntoView({ block: "center" });
    } else {
      draw();
    }
  }

  function loadPlotly() {
    if (window.Plotly) return Promise.resolve(window.Plotly);
    if (!plotlyLoading) {
      plotlyLoading = new Promise((resolve, reject) => {
        const s = document.createElement("script");
        s.src = document.body.dataset.plotly;
        s.onload = () => resolve(window.Plotly);
        s.onerror = () => reject(new Error("could not load " + s.src));
        document.head.appendChild(s);
      });
    }
    return plotlyLoading;
  }

  async function renderPlots() {
    const areas = [...document.querySelectorAll(".plot-area[data-figure]")];
    if (!areas.length) return;
    const Plotly = await loadPlotly();
    await Promise.all(areas.map((area) => {
      const spec = JSON.parse(document.getElementById("fig-" + area.dataset.figure).textContent);
      return Plotly.newPlot(area, spec.data, spec.layout, { responsive: true, displaylogo: false });
    }));
  }

  async function init() {
    document.body.dataset.ready = "0";
    document.querySelectorAll(".datatable[data-table]").forEach(initTable);
    document.body.dataset.tables = "ready";
    document.body.dataset.tablesMs = String(Math.round(performance.now()));
    try {
      await renderPlots();
      document.body.dataset.plots = "ready";
    } catch (err) {
      document.body.dataset.plots = "failed";
      console.error(err);
    }
    document.body.dataset.readyMs = String(Math.round(performance.now()));
    document.body.dataset.ready = "1";
  }

  // -- live dashboard ---------------------------------------------------------------------

  let version = null;

  async function refreshPage() {
    const response = await fetch(location.pathname + location.search, { cache: "no-store" });
    if (!response.ok) return;
    const doc = new DOMParser().parseFromString(await response.text(), "text/html");
    for (const sel of ["header.top", "#main", "footer"]) {
      const fresh = doc.querySelector(sel);
      const old = document.querySelector(sel);
      if (fresh && old) old.replaceWith(document.adoptNode(fresh));
    }
    document.title = doc.title;
    document.body.dataset.version = doc.body.dataset.version || "";
    await init();
  }

  async function poll() {
    const every = Math.max(0.2, Number(document.body.dataset.refresh) || 5) * 1000;
    try {
      const response = await fetch("api/version", { cache: "no-store" });
      const body = await response.json();
      if (version === null) version = document.body.dataset.version || String(body.version);
      if (String(body.version) !== version) {
        version = String(body.version);
        await refreshPage();
      }
      document.body.classList.remove("offline");
    } catch (err) {
      document.body.classList.add("offline");
    }
    setTimeout(poll, every);
  }

  document.addEventListener("DOMContentLoaded", async () => {
    await init();
    if (document.body.dataset.live === "1") setTimeout(poll, 0);
  });
})();
