// eoscope live page: the runs, their curvature charts and the dataset-size power law.
// Plain JavaScript; charts by uPlot (bundled into the jar from the npm registry at build time, see gateway/pom.xml).
//
// URL hash: #run=NAME selects a run; #powerlaw[&runs=a,b,c][&metric=NAME] opens the power-law view;
// &static draws once, with no live stream and no polling. Headless Chromium gets &static by default (an open
// event stream would keep its --virtual-time-budget from ever ending); &live forces the live mode there.
// After each drawing, every chart's container (class "chart") carries data-points="<points drawn>", and
// <span id="status"> says "6 charts, 1234 points".
"use strict";

const COLORS = ["#4fb3ff", "#ff9e64", "#9ece6a", "#f7768e", "#bb9af7", "#e0af68", "#7dcfff", "#c0caf5"];
const REF_COLOR = "#c8d3df";
const AXIS = "#9aa7b4";
const GRID = "#263341";
const FACTORS = [
  ["pi_chi", "Π_χ = E‖χ‖²"],
  ["p_chi_delta", "P_χ,Δ/χ"],
  ["pi_J", "Π_J = E Π‖Jᵏ‖²max"],
  ["p_delta_J", "P_Δ,J (alignment)"],
  ["delta_L_max_sq_mean", "E‖Δᴸ‖²max"],
];
const LAYER_FIELDS = ["gauss_newton_top", "K_max_sq_mean", "pi_chi", "p_chi_delta", "pi_J", "p_delta_J", "delta_L_max_sq_mean"];
const MAX_POINTS = 2000;
const HEIGHT = 270;

const hash = new URLSearchParams(location.hash.slice(1));
const STATIC = hash.has("static") || (/HeadlessChrome/.test(navigator.userAgent) && !hash.has("live"));

const charts = {};          // id -> {plot, key, zoomed}
let runs = [];              // last GET /api/runs
let current = null;         // selected run
let detail = null;          // last GET /api/runs/{current}
let drawnAt = null;         // "step|analysed_step" of the last drawing, for the polling fallback
let source = null;          // EventSource of the selected run
let generation = 0;         // bumps when the selection changes; stale fetches are dropped
let refreshing = false, again = false, timer = null, lastRefresh = 0;
let plTouched = false;      // the user (or the URL) chose the power-law runs

const $ = id => document.getElementById(id);
const enc = encodeURIComponent;

// ---------------------------------------------------------------------------------------------- helpers

async function getJson(url) {
  const r = await fetch(url, { cache: "no-store" });
  let body = null;
  try { body = await r.json(); } catch (e) { /* not JSON */ }
  if (!r.ok) throw new Error((body && body.error) || `${r.status} ${r.statusText} (${url})`);
  return body;
}

// running, finished, failed, stale or unknown (no runs record yet) (a gateway older than the status field only said finished or not)
function runStatus(r) {
  return r.status || (r.finished ? "finished" : "running");
}

function fmt(v) {
  if (v === undefined || v === null || Number.isNaN(Number(v))) return "–";
  const x = Number(v);
  if (x === 0) return "0";
  const a = Math.abs(x);
  if (a >= 1e5 || a < 1e-3) return x.toExponential(3);
  return String(Number(x.toPrecision(4)));
}

function status(text, error) {
  const s = $("status");
  s.textContent = text;
  s.className = error ? "error" : "";
}

function live(state) {
  const l = $("live");
  l.className = state;
  l.textContent = { open: "● live", connecting: "○ connecting", static: "static", "": "" }[state] ?? state;
}

// Joins series ([[step, time, value], ...]) on one x column (0 = step, 1 = time): uPlot wants one ascending
// x array and y arrays aligned with it, null where a series has no value. A point whose x is unknown (time is
// null when the trainer could not say it) is left out.
function align(list, xIndex) {
  const xs = new Set();
  list = list.map(pts => pts.filter(p => p[xIndex] !== null && p[xIndex] !== undefined));
  list.forEach(pts => pts.forEach(p => xs.add(p[xIndex])));
  const x = Array.from(xs).sort((a, b) => a - b);
  const at = new Map(x.map((v, i) => [v, i]));
  const ys = list.map(pts => {
    const y = new Array(x.length).fill(null);
    pts.forEach(p => { y[at.get(p[xIndex])] = p[2] === undefined ? null : p[2]; });
    return y;
  });
  return [x, ...ys];
}

// ---------------------------------------------------------------------------------------------- charts

function chartWidth(el) {
  return Math.max(320, Math.floor(el.clientWidth || el.parentElement.clientWidth || 560));
}

// Legend values: the value under the cursor, or the series' latest value when the cursor is off the chart.
function legendValue(u, v, sidx, idx) {
  if (idx == null) {
    const d = u.data[sidx] || [];
    for (let i = d.length - 1; i >= 0; i--) if (d[i] !== null && d[i] !== undefined) return fmt(d[i]);
    return "–";
  }
  return fmt(v);
}

// series: [{label, color?, dash?, points?: "only" | true, ref?: true (a reference line: not counted)}]
// opts: {xLabel, yLabel, logX, logY, sync}
function draw(id, series, data, opts = {}) {
  const el = $(id);
  if (opts.logY) {
    data = [data[0], ...data.slice(1).map(y => y.map(v => (v !== null && v > 0 ? v : null)))];
  }
  let points = 0;
  data.slice(1).forEach((y, i) => {
    if (!series[i].ref) points += y.filter(v => v !== null && v !== undefined && Number.isFinite(v)).length;
  });
  const key = [id, opts.xLabel, opts.yLabel, opts.logX, opts.logY, ...series.map(s => s.label)].join("|");
  let c = charts[id];
  if (!c || c.key !== key) {
    if (c) c.plot.destroy();
    el.innerHTML = "";
    c = { key, zoomed: false };
    const axis = (label, side) => ({
      label, stroke: AXIS, font: "12px system-ui, sans-serif", labelFont: "600 12px system-ui, sans-serif",
      grid: { stroke: GRID, width: 1 }, ticks: { stroke: GRID, width: 1 },
      ...(side === "y" ? { size: 64, labelSize: 22 } : { labelSize: 22 }),
    });
    const plot = new uPlot({
      width: chartWidth(el), height: HEIGHT,
      cursor: opts.sync ? { sync: { key: opts.sync } } : {},
      scales: {
        x: opts.logX ? { time: false, distr: 3 } : { time: false },
        y: opts.logY ? { distr: 3 } : {},
      },
      axes: [axis(opts.xLabel || "step", "x"), axis(opts.yLabel || "", "y")],
      series: [
        { label: opts.xLabel || "step", value: legendValue },
        ...series.map((s, i) => {
          const color = s.color || COLORS[i % COLORS.length];
          const out = {
            label: s.label, stroke: color, width: s.width || (s.ref ? 1.25 : 2), spanGaps: true,
            value: legendValue,
            points: { show: !!s.points, size: 6, fill: color, stroke: color, space: 0 },
          };
          if (s.dash) out.dash = s.dash;
          if (s.points === "only") out.paths = () => null;
          return out;
        }),
      ],
      hooks: {
        setSelect: [u => { if (u.select.width > 0) c.zoomed = true; }],
      },
    }, data, el);
    el.addEventListener("dblclick", () => { c.zoomed = false; });
    c.plot = plot;
    charts[id] = c;
  } else {
    c.plot.setData(data, !c.zoomed);
  }
  el.classList.toggle("empty", points === 0);
  el.dataset.points = String(points);
  return points;
}

function destroyCharts(ids) {
  ids.forEach(id => {
    if (charts[id]) { charts[id].plot.destroy(); delete charts[id]; }
    const el = $(id);
    el.innerHTML = "";
    el.classList.add("empty");
    el.dataset.points = "0";
  });
}

// The stability quantities of docs/science.md#other-optimizers, as the page names them.
const QUANTITY = { sharpness: "λmax(𝓗)", preconditioned_sharpness: "λmax(P⁻¹𝓗)", batch_sharpness: "batch sharpness" };

// A run's threshold as the page labels it: "(2+2β1)/((1−β1)η) = 19000"; its ratio: "ratio 0.98".
function thresholdText(st) {
  return `${st.formula || "2/η"}` + (Number.isFinite(st.threshold) ? ` = ${fmt(st.threshold)}` : "");
}

function stabilityReadout(st) {
  const q = QUANTITY[st.quantity] || st.quantity || "λmax(𝓗)";
  if (!Number.isFinite(st.value)) {
    return `no value of ${q} yet · threshold ${thresholdText(st)}` + (st.optimizer ? ` (${st.optimizer})` : "");
  }
  const interval = Array.isArray(st.interval) ? ` [${fmt(st.interval[0])}, ${fmt(st.interval[1])}]` : "";
  return `ratio ${fmt(st.ratio)} = ${q} ${fmt(st.value)}${interval} ÷ ${thresholdText(st)}`
    + ` at step ${st.step} (${st.source === "analysis" ? "analyzer" : "trainer"}` + (st.optimizer ? `, ${st.optimizer})` : ")");
}

const RUN_CHARTS = ["chart-loss", "chart-sharpness", "chart-spectra", "chart-layers", "chart-factors", "chart-rho"];

// ---------------------------------------------------------------------------------------------- the selected run

function renderSummary() {
  if (!detail) return;
  const d = detail, t = d.telemetry || {}, m = d.metrics || {};
  const parts = [
    `${d.solver || "?"} on ${d.dataset || "?"}, N = ${d.n ?? "?"}` + (d.architecture ? `, ${d.architecture}` : "")
      + (d.activation ? ` ${d.activation}` : ""),
    `step ${t.step ?? "–"}`, `t = ${fmt(t.time)}`, `loss ${fmt(t.loss)}`,
  ];
  if (t.accuracy !== undefined) parts.push(`accuracy ${fmt(t.accuracy)}`);
  if (t.sharpness !== undefined) parts.push(`sharpness ${fmt(t.sharpness)}`);
  const st = d.stability || {};
  if (st.threshold !== undefined) parts.push(`threshold ${thresholdText(st)}`);
  if (st.ratio !== undefined) parts.push(`ratio ${fmt(st.ratio)}`);
  parts.push(m.step !== undefined ? `analysed up to step ${m.step}` : "no analysed snapshot yet");
  parts.push(runStatus(d) + (d.failure ? ` (${d.failure})` : ""));
  $("run-summary").textContent = parts.join(" · ");
}

function updateLayerSelect(layers) {
  const sel = $("factor-layer");
  const keep = sel.value || "1";
  const n = Math.max(1, layers);
  if (sel.options.length !== n) {
    sel.innerHTML = "";
    for (let l = 1; l <= n; l++) sel.add(new Option(String(l), String(l)));
    sel.value = Number(keep) <= n ? keep : "1";
  }
  return Number(sel.value || "1");
}

async function seriesOf(run, metric, errors) {
  try {
    const s = await getJson(`/api/runs/${enc(run)}/series?metric=${enc(metric)}&max_points=${MAX_POINTS}`);
    return s.points || [];
  } catch (e) {
    errors.push(`${metric}: ${e.message}`);
    return [];
  }
}

// At most one refresh a second, never two at once.
function requestRefresh() {
  if (timer) return;
  timer = setTimeout(() => { timer = null; refreshRun(); }, Math.max(0, 1000 - (Date.now() - lastRefresh)));
}

async function refreshRun() {
  if (!current) return;
  if (refreshing) { again = true; return; }
  refreshing = true;
  lastRefresh = Date.now();
  const gen = generation, run = current;
  try {
    const d = await getJson(`/api/runs/${enc(run)}`);
    if (gen !== generation) return;
    detail = d;
    $("run-title").textContent = run;
    renderSummary();
    const m = d.metrics || {}, t = d.telemetry || {};
    // an MLP has layers (every layerwise quantity); a TorchScript module has groups (each layer's λmax(Gˡ) only)
    const groups = m.layers ? [] : (m.groups || []), mlp = !!m.layers;
    const layers = (m.layers || groups).length;
    $("factors-note").hidden = mlp || !groups.length;
    $("chart-factors").hidden = $("factor-layer").hidden = !$("factors-note").hidden;
    const layer = updateLayerSelect(layers);
    const adaptive = d.solver && d.solver !== "gd" && t.step_size !== undefined;

    const names = ["loss", "sharpness", "hessian", "gauss_newton", "residual", "rho_K", "K_max_sq_mean", "stability",
      "stability_threshold"];
    if (adaptive) names.push("step_size");
    for (let l = 1; l <= layers; l++) names.push(`layer${l}.gauss_newton_top`);
    if (mlp) FACTORS.forEach(([f]) => names.push(`layer${layer}.${f}`));
    const errors = [];
    const got = await Promise.all(names.map(n => seriesOf(run, n, errors)));
    if (gen !== generation) return;
    const S = {};
    names.forEach((n, i) => { S[n] = got[i]; });
    const none = [];

    let total = 0, drawn = 0;
    const add = n => { total += n; if (n > 0) drawn++; };

    add(draw("chart-loss", [{ label: "loss" }], align([S.loss], 1), { xLabel: "continuous time t", yLabel: "loss" }));

    // the run's stability quantity against its own optimizer's threshold (GD: λmax(𝓗) against 2/η, as always)
    const st = d.stability || {};
    const q = st.quantity || "sharpness", qName = QUANTITY[q] || q;
    $("stability-title").textContent = q === "sharpness" ? "Sharpness λmax(𝓗)" : `Stability quantity ${qName}`;
    $("stability-formula").textContent = st.formula || "2/η";
    $("stability-readout").textContent = stabilityReadout(st);
    const sharp = q === "sharpness"
      ? [{ label: "sharpness (trainer)" }, { label: "λmax(𝓗) (analyzer)", points: "only" }]
      : [{ label: `${qName} (trainer)` }];
    const sharpList = q === "sharpness" ? [S.sharpness, S.hessian] : [S.stability];
    // the threshold line: step by step where the step size changes (adaptive GD, exponential Euler), else constant
    const perStep = S.stability_threshold.length ? S.stability_threshold
      : adaptive ? S.step_size.map(p => [p[0], p[1], p[2] > 0 ? 2 / p[2] : null]) : [];
    if (adaptive) {
      sharp.push({ label: st.formula || "2/η", color: REF_COLOR, dash: [6, 4], ref: true });
      sharpList.push(perStep);
    } else if (Number.isFinite(st.threshold)) {
      sharp.push({ label: thresholdText(st), color: REF_COLOR, dash: [6, 4], ref: true });
      sharpList.push((perStep.length ? perStep : S.loss).map(p => [p[0], p[1], st.threshold]));
    }
    add(draw("chart-sharpness", sharp, align(sharpList, 0), { yLabel: q === "sharpness" ? "eigenvalue" : qName, sync: "step" }));

    add(draw("chart-spectra", [{ label: "𝓗 (Hessian)", width: 3.5 }, { label: "G (Gauss-Newton)", dash: [7, 3] }, { label: "H (residual)" }],
      align([S.hessian, S.gauss_newton, S.residual], 0), { yLabel: "top eigenvalue", sync: "step" }));

    if (layers) {
      const ls = [], ll = [];
      for (let l = 1; l <= layers; l++) {
        ls.push({ label: groups.length ? groups[l - 1].group : `layer ${l}` });
        ll.push(S[`layer${l}.gauss_newton_top`]);
      }
      ls.push({ label: "G (all layers)", color: REF_COLOR, dash: [6, 4], ref: true });
      ll.push(S.gauss_newton);
      add(draw("chart-layers", ls, align(ll, 0), { yLabel: "λmax(Gˡ)", sync: "step" }));
      if (mlp) {
        add(draw("chart-factors", FACTORS.map(([, label]) => ({ label })),
          align(FACTORS.map(([f]) => S[`layer${layer}.${f}`]), 0), { yLabel: `layer ${layer} factor`, logY: true, sync: "step" }));
      } else {
        destroyCharts(["chart-factors"]);
      }
    } else {
      destroyCharts(["chart-layers", "chart-factors"]);
      none.push("layers");
    }

    add(draw("chart-rho", [{ label: "ρ(K)" }, { label: "E‖K‖²max" }], align([S.rho_K, S.K_max_sq_mean], 0),
      { yLabel: "value", sync: "step" }));
    const rho = m.rho_K, kk = m.K_max_sq_mean;
    $("rho-ratio").textContent = Number.isFinite(rho) && Number.isFinite(kk) && kk > 0
      ? `(ratio at step ${m.step}: ${fmt(rho / kk)})` : "";

    drawnAt = `${t.step}|${m.step}`;
    fillMetricChoices(m);
    if (errors.length) status(`${drawn} charts, ${total} points; ${errors.length} series failed: ${errors[0]}`, true);
    else status(`${drawn} charts, ${total} points` + (none.length ? " (no analysed snapshot yet)" : ""));
  } catch (e) {
    if (gen === generation) status(`error: ${e.message}`, true);
  } finally {
    refreshing = false;
    if (again) { again = false; requestRefresh(); }
  }
}

function select(run) {
  if (run === current) return;
  current = run;
  generation++;
  detail = null;
  drawnAt = null;
  setHash();
  document.querySelectorAll("#runs li").forEach(li => li.classList.toggle("selected", li.dataset.run === run));
  $("run-title").textContent = run;
  $("run-summary").textContent = "";
  destroyCharts(RUN_CHARTS);
  if (source) { source.close(); source = null; }
  if (!STATIC) {
    source = new EventSource(`/api/runs/${enc(run)}/stream`);
    live("connecting");
    source.onopen = () => live("open");
    source.onerror = () => live("connecting");
    source.addEventListener("telemetry", e => {
      try {
        if (detail) { detail.telemetry = JSON.parse(e.data); renderSummary(); }
      } catch (err) { /* keep the last summary */ }
      requestRefresh();
    });
    source.addEventListener("metrics", () => requestRefresh());
  } else {
    live("static");
  }
  refreshRun();
}

// ---------------------------------------------------------------------------------------------- the run list

function runItem(r) {
  const li = document.createElement("li");
  li.dataset.run = r.run;
  li.tabIndex = 0;
  const name = document.createElement("b");
  name.textContent = r.run;
  const badge = document.createElement("span");
  const st = runStatus(r);
  badge.className = "badge " + (st === "finished" ? "done" : st);
  badge.textContent = st;
  if (r.failure) badge.title = r.failure;
  const a = document.createElement("small");
  a.textContent = `${r.solver || "?"} · ${r.dataset || "?"} · N = ${r.n ?? "?"}`;
  const b = document.createElement("small");
  b.textContent = `step ${r.step ?? "–"} · loss ${fmt(r.loss)}` +
    (r.sharpness !== undefined ? ` · λ ${fmt(r.sharpness)}` : "") +
    (r.stability && r.stability.ratio !== undefined ? ` · ratio ${fmt(r.stability.ratio)}` : "") +
    (r.stability && r.stability.optimizer && r.stability.optimizer !== "gd" ? ` · ${r.stability.optimizer}` : "");
  li.append(name, badge, a, b);
  li.classList.toggle("selected", r.run === current);
  li.onclick = () => { showView("run"); select(r.run); };
  li.onkeydown = e => { if (e.key === "Enter") li.onclick(); };
  return li;
}

async function refreshRuns() {
  try {
    runs = await getJson("/api/runs");
    const ul = $("runs");
    ul.replaceChildren(...runs.map(runItem));
    $("runs-empty").hidden = runs.length > 0;
    fillPowerLawRuns();
    if (!runs.length) {
      status("no runs yet");
      return;
    }
    const wanted = new URLSearchParams(location.hash.slice(1)).get("run");
    if (!current) select(runs.some(r => r.run === wanted) ? wanted : runs[0].run);
    // the event stream is down: fall back on the polled summary
    const r = runs.find(x => x.run === current);
    if (r && !STATIC && (!source || source.readyState !== EventSource.OPEN) && drawnAt !== null
        && drawnAt !== `${r.step}|${r.analysed_step}`) {
      requestRefresh();
    }
  } catch (e) {
    status(`error: ${e.message}`, true);
  }
}

// ---------------------------------------------------------------------------------------------- power law

function fillPowerLawRuns() {
  const box = $("pl-runs");
  const checked = new Set(Array.from(box.querySelectorAll("input:checked")).map(i => i.value));
  if (!plTouched) {
    const fromHash = hash.get("runs");
    if (fromHash) { fromHash.split(",").forEach(r => checked.add(r)); plTouched = true; }
    else runs.filter(r => r.analysed_step !== undefined).forEach(r => checked.add(r.run));
  }
  const html = runs.map(r => `${r.run}|${r.n}|${checked.has(r.run)}`).join(";");
  if (box.dataset.key === html) return;
  box.dataset.key = html;
  box.replaceChildren(...runs.map(r => {
    const label = document.createElement("label");
    const input = document.createElement("input");
    input.type = "checkbox";
    input.value = r.run;
    input.checked = checked.has(r.run);
    input.onchange = () => { plTouched = true; box.dataset.key = ""; fitPowerLaw(); };
    label.append(input, ` ${r.run} `);
    const n = document.createElement("span");
    n.className = "muted";
    n.textContent = `(N = ${r.n ?? "?"}${r.analysed_step === undefined ? ", not analysed yet" : ""})`;
    label.append(n);
    return label;
  }));
}

function fillMetricChoices(m) {
  const list = $("pl-metrics");
  const names = ["layer1.p_delta_J", "rho_K", "K_max_sq_mean", "hessian", "gauss_newton", "residual", "loss"];
  (m.layers || []).forEach(l => LAYER_FIELDS.forEach(f => names.push(`layer${l.layer}.${f}`)));
  const uniq = Array.from(new Set(names));
  if (list.dataset.key === uniq.join(",")) return;
  list.dataset.key = uniq.join(",");
  list.replaceChildren(...uniq.map(n => new Option(n, n)));
}

let fitGen = 0;
async function fitPowerLaw() {
  const chosen = Array.from(document.querySelectorAll("#pl-runs input:checked")).map(i => i.value);
  const metric = $("pl-metric").value.trim() || "layer1.p_delta_J";
  const out = $("pl-result");
  const gen = ++fitGen;
  setHash();
  try {
    const f = await getJson(`/api/powerlaw?runs=${enc(chosen.join(","))}&metric=${enc(metric)}`);
    if (gen !== fitGen) return;
    out.className = "fit";
    out.replaceChildren();
    const eq = document.createElement("div");
    eq.className = "equation";
    eq.textContent = `${f.metric} ≈ a · N^β`;
    const nums = document.createElement("div");
    [["a", f.a], ["β", f.beta], ["R²", f.r2]].forEach(([k, v]) => {
      const s = document.createElement("span");
      s.className = "num";
      s.id = "pl-" + { "a": "a", "β": "beta", "R²": "r2" }[k];
      s.textContent = `${k} = ${fmt(v)}`;
      nums.append(s);
    });
    const n = document.createElement("span");
    n.className = "muted";
    n.textContent = `${f.points.length} runs`;
    nums.append(n);
    out.append(eq, nums);

    const pts = f.points.slice().sort((p, q) => p.n - q.n);
    const x = pts.map(p => p.n);
    draw("chart-powerlaw",
      [{ label: "measured", points: "only" }, { label: "fit a·N^β", color: COLORS[1], dash: [6, 4], ref: true }],
      [x, pts.map(p => p.value), x.map(v => f.a * Math.pow(v, f.beta))],
      { xLabel: "dataset size N", yLabel: f.metric, logX: true, logY: true });
    const table = document.createElement("table");
    table.innerHTML = "<thead><tr><th>run</th><th>N</th><th>value</th><th>fit</th><th>at step</th></tr></thead>";
    const body = document.createElement("tbody");
    pts.forEach(p => {
      const tr = document.createElement("tr");
      [p.run, fmt(p.n), fmt(p.value), fmt(f.a * Math.pow(p.n, f.beta)), String(p.step)].forEach(v => {
        const td = document.createElement("td");
        td.textContent = v;
        tr.append(td);
      });
      body.append(tr);
    });
    table.append(body);
    out.append(table);
  } catch (e) {
    if (gen !== fitGen) return;
    out.className = "error";
    out.textContent = e.message;
    destroyCharts(["chart-powerlaw"]);
  }
}

// ---------------------------------------------------------------------------------------------- views, hash, resizing

let view = hash.has("powerlaw") ? "powerlaw" : "run";
function showView(v) {
  view = v;
  $("run-view").hidden = v !== "run";
  $("powerlaw-view").hidden = v !== "powerlaw";
  $("nav-run").classList.toggle("active", v === "run");
  $("nav-powerlaw").classList.toggle("active", v === "powerlaw");
  setHash();
  if (v === "powerlaw") fitPowerLaw();
  resizeCharts();
}

function setHash() {
  const h = new URLSearchParams();
  if (view === "powerlaw") {
    h.set("powerlaw", "");
    const chosen = Array.from(document.querySelectorAll("#pl-runs input:checked")).map(i => i.value);
    if (plTouched && chosen.length) h.set("runs", chosen.join(","));
    h.set("metric", $("pl-metric").value.trim());
  }
  if (current) h.set("run", current);
  if (hash.has("static")) h.set("static", "");
  if (hash.has("live")) h.set("live", "");
  const text = h.toString().replace(/=(&|$)/g, "$1").replace(/%2C/g, ",");
  history.replaceState(null, "", "#" + text);
}

function resizeCharts() {
  Object.entries(charts).forEach(([id, c]) => {
    const el = $(id);
    if (el.offsetParent === null) return; // hidden
    const w = chartWidth(el);
    if (Math.abs(w - c.plot.width) > 2) c.plot.setSize({ width: w, height: HEIGHT });
  });
}

let resizeTimer = null;
window.addEventListener("resize", () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(resizeCharts, 150); });
window.addEventListener("hashchange", () => {
  const h = new URLSearchParams(location.hash.slice(1));
  if (h.has("powerlaw") !== (view === "powerlaw")) showView(h.has("powerlaw") ? "powerlaw" : "run");
  const r = h.get("run");
  if (r && r !== current && runs.some(x => x.run === r)) select(r);
});

$("nav-run").onclick = e => { e.preventDefault(); showView("run"); };
$("nav-powerlaw").onclick = e => { e.preventDefault(); showView("powerlaw"); };
$("pl-fit").onclick = fitPowerLaw;
$("pl-metric").onkeydown = e => { if (e.key === "Enter") fitPowerLaw(); };
$("pl-metric").onchange = fitPowerLaw;
$("pl-all").onclick = () => { plTouched = true; document.querySelectorAll("#pl-runs input").forEach(i => { i.checked = true; }); fitPowerLaw(); };
$("pl-none").onclick = () => { plTouched = true; document.querySelectorAll("#pl-runs input").forEach(i => { i.checked = false; }); fitPowerLaw(); };
$("factor-layer").onchange = () => { lastRefresh = 0; refreshRun(); };

if (typeof uPlot === "undefined") {
  status("error: the charting library (vendor/uPlot.iife.min.js) did not load", true);
} else {
  if (hash.get("metric")) $("pl-metric").value = hash.get("metric");
  RUN_CHARTS.concat("chart-powerlaw").forEach(id => { $(id).dataset.points = "0"; $(id).classList.add("empty"); });
  live(STATIC ? "static" : "");
  (async () => {
    await refreshRuns();
    if (hash.has("powerlaw")) showView("powerlaw");
    if (!STATIC) setInterval(refreshRuns, 2000);
  })();
}
