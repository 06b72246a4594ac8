// eoscope live page: the runs, their curvature charts and the dataset-size power law.
// Plain JavaScript; charts by uPlot (bundled into the jar from the npm registry at build time, see gateway/pom.xml).
//
// URL hash: #run=NAME selects a run; #powerlaw[&runs=a,b,c][&metric=NAME] opens the power-law view;
// &static draws once, with no live stream and no polling. Headless Chromium gets &static by default (an open
// event stream would keep its --virtual-time-budget from ever ending); &live forces the live mode there.
// After each drawing, every chart's container (class "chart") carries data-points="<points drawn>", and
// <span id="status"> says "6 charts, 1234 points". The density heatmap's container (id chart-density) carries
// data-points (grid cells coloured), data-columns (steps drawn), data-operator and, in the static mode, data-pixels
// (canvas pixels it coloured) out of data-plot-pixels; &only=density shows that panel alone (README pictures).
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

// ---------------------------------------------------------------------------------------------- spectral density heatmap

// The density grid of docs/science.md#spectral-density, copied from the curvature module's DensityGrid (a response's
// own "grid" wins): the axis is u(λ) = asinh(λ / c) / ln 10, a symmetric log (linear near 0, log10(2|λ|/c) far from it);
// the curves are sampled at u_i = u_min + i·u_step, i = 0 … 140.
const DENSITY_GRID = { scale: 1e-3, u_min: -7, u_step: 0.1, sigma_u: 0.1 };
const DENSITY_POINTS = 141;
const DENSITY_HEIGHT = 300;
// Most columns drawn: a longer run is thinned evenly (its newest step always kept), so one drawing stays light.
const DENSITY_MAX_COLUMNS = 1200;
// Colour spans this many decades below the largest density drawn (an outlier eigenvalue carries about 1/n of the mass
// of n parameters, far below the bulk near 0); less is left transparent.
const DENSITY_DECADES = 6;
// viridis (matplotlib's perceptually uniform colormap), nine stops, interpolated linearly
const VIRIDIS = ["#440154", "#472d7b", "#3b528b", "#2c728e", "#21908c", "#27ad81", "#5dc863", "#aadc32", "#fde725"]
  .map(h => [1, 3, 5].map(i => parseInt(h.slice(i, i + 2), 16)));
const OPERATORS = { hessian: "𝓗", gauss_newton: "G" };
const LAMBDA_COLOR = "#ff9e64";

const uOf = (lambda, g) => Math.asinh(lambda / g.scale) / Math.LN10;
const lambdaOf = (u, g) => g.scale * Math.sinh(u * Math.LN10);

const lastOf = a => { for (let i = (a || []).length - 1; i >= 0; i--) if (a[i] !== null && a[i] !== undefined) return a[i]; return null; };

function viridis(t) {
  const x = Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1), i = Math.min(VIRIDIS.length - 2, Math.floor(x)), f = x - i;
  return VIRIDIS[i].map((c, k) => Math.round(c + f * (VIRIDIS[i + 1][k] - c)));
}

// λ as a tick label: 0, ±0.01 … ±1000 written out, beyond as ±10ᵏ
function lambdaLabel(l) {
  if (l === 0) return "0";
  const k = Math.round(Math.log10(Math.abs(l))), s = l < 0 ? "−" : "";
  if (k >= -2 && k <= 3) return s + String(Math.pow(10, k)).replace(/^0\./, "0.");
  const sup = String(k).replace("-", "⁻").replace(/[0-9]/g, d => "⁰¹²³⁴⁵⁶⁷⁸⁹"[d]);
  return `${s}10${sup}`;
}

// Ticks on the u axis at λ = 0 and ±10ᵏ (every second decade when they would crowd), as u values.
function densityTicks(min, max, pixels, g) {
  const perUnit = pixels / Math.max(1e-9, max - min);
  const every = perUnit >= 18 ? 1 : perUnit >= 9 ? 2 : 3;
  const out = [];
  if (min <= 0 && max >= 0) out.push(0);
  for (let k = -2; k <= 6; k++) {
    if ((k + 12) % every) continue;
    [1, -1].forEach(s => { const u = uOf(s * Math.pow(10, k), g); if (u >= min && u <= max) out.push(u); });
  }
  return out.sort((a, b) => a - b);
}

let density = null;            // {plot, key, state, zoomed}
let densityOperator = "hessian";
let densityDirty = true;       // a density may have changed: fetch it again on the next refresh
let densityBusy = false;       // a density fetch is under way
let densityAgain = false;      // a fetch was asked for while one ran
let densityFetchedAt = 0;      // Date.now() of the last density fetch
let densityLive = false;       // the density shown comes from the live analysis, whose records the event stream announces
// The event stream announces the live analysis' records only: densities of a heavy analysis id of their own (or a run
// with none yet) are asked for again at most this often (one response is at most --max-density-steps curves).
const DENSITY_POLL_MS = 30000;
const densityKnown = {};       // "run|operator" -> true once that run showed a density of that operator

// The state one drawing paints from: the columns (steps), the curves as an image (one pixel per step and grid point),
// the colour scale and the vertical range.
function densityState(body) {
  const g = Object.assign({}, DENSITY_GRID, body.grid || {});
  let idx = [];
  (body.steps || []).forEach((s, i) => {
    const c = (body.curves || [])[i];
    if (Number.isFinite(s) && Array.isArray(c) && c.length) idx.push(i);
  });
  if (idx.length > DENSITY_MAX_COLUMNS) { // thin evenly, always keeping the newest step
    const stride = idx.length / DENSITY_MAX_COLUMNS, kept = [];
    for (let j = 0; j < DENSITY_MAX_COLUMNS - 1; j++) kept.push(idx[Math.floor(j * stride)]);
    kept.push(idx[idx.length - 1]);
    idx = kept;
  }
  const steps = idx.map(i => body.steps[i]);
  const curves = idx.map(i => body.curves[i]);
  const lmax = idx.map(i => { const v = (body.lambda_max || [])[i]; return Number.isFinite(v) ? v : null; });
  const rows = curves.reduce((n, c) => Math.max(n, c.length), 0);
  let vmax = 0;
  curves.forEach(c => c.forEach(v => { if (Number.isFinite(v) && v > vmax) vmax = v; }));
  const lo = vmax > 0 ? Math.log10(vmax) - DENSITY_DECADES : 0;
  // the image: column j is step j, row 0 the top of the grid (largest u)
  const img = document.createElement("canvas");
  img.width = Math.max(1, steps.length);
  img.height = Math.max(1, rows);
  const ictx = img.getContext("2d");
  const pixels = ictx.createImageData(img.width, img.height);
  let cells = 0, uLow = Infinity, uHigh = -Infinity;
  curves.forEach((c, j) => c.forEach((v, i) => {
    if (!(Number.isFinite(v) && v > 0) || Math.log10(v) < lo) return;
    const [r, gr, b] = viridis((Math.log10(v) - lo) / DENSITY_DECADES);
    const o = ((rows - 1 - i) * img.width + j) * 4;
    pixels.data[o] = r; pixels.data[o + 1] = gr; pixels.data[o + 2] = b; pixels.data[o + 3] = 255;
    cells++;
    const u = g.u_min + i * g.u_step;
    uLow = Math.min(uLow, u); uHigh = Math.max(uHigh, u);
  }));
  ictx.putImageData(pixels, 0, 0);
  // the vertical range: where there is colour, λmax and the threshold, with a margin, within the grid
  const uThreshold = Number.isFinite(body.threshold) ? uOf(body.threshold, g) : null;
  lmax.forEach(v => { if (v !== null) { const u = uOf(v, g); uLow = Math.min(uLow, u); uHigh = Math.max(uHigh, u); } });
  if (uThreshold !== null) { uLow = Math.min(uLow, uThreshold); uHigh = Math.max(uHigh, uThreshold); }
  const gridTop = g.u_min + (rows - 1) * g.u_step;
  if (!Number.isFinite(uLow)) { uLow = g.u_min; uHigh = gridTop; }
  const yMin = Math.max(g.u_min - g.u_step / 2, uLow - 0.4), yMax = Math.min(gridTop + g.u_step / 2, uHigh + 0.4);
  // column edges: half way to the neighbours (a lone step gets a width of one)
  const edges = steps.map((s, j) => j === 0 ? s - (steps.length > 1 ? (steps[1] - s) / 2 : 0.5) : (steps[j - 1] + s) / 2);
  edges.push(steps.length > 1 ? steps[steps.length - 1] + (steps[steps.length - 1] - steps[steps.length - 2]) / 2
    : (steps[0] ?? 0) + 0.5);
  return { g, steps, curves, lmax, rows, vmax, lo, img, cells, uThreshold, yMin, yMax, edges, pixels: 0,
    threshold: body.threshold, formula: body.threshold_formula || "2/η", operator: body.operator || densityOperator,
    analysisId: body.analysis_id, dropped: Number(body.dropped_steps) || 0,
    probes: idx.map(i => (Array.isArray(body.probes) ? body.probes[i] : body.probes)) };
}

// Paints the heatmap under the axes and lines (uPlot's drawClear hook); in the static mode (tests, pictures) it also
// counts the canvas pixels it coloured, for data-pixels.
function paintDensity(u) {
  const st = density && density.state;
  if (!st || !st.steps.length) return;
  const ctx = u.ctx, b = u.bbox, g = st.g;
  const yTop = u.valToPos(g.u_min + (st.rows - 0.5) * g.u_step, "y", true);
  const yBottom = u.valToPos(g.u_min - 0.5 * g.u_step, "y", true);
  ctx.save();
  ctx.beginPath();
  ctx.rect(b.left, b.top, b.width, b.height);
  ctx.clip();
  ctx.imageSmoothingEnabled = false;
  for (let j = 0; j < st.steps.length; j++) {
    const x0 = u.valToPos(st.edges[j], "x", true), x1 = u.valToPos(st.edges[j + 1], "x", true);
    if (x1 < b.left || x0 > b.left + b.width) continue;
    // at least one device pixel wide, so that a thin column still shows
    ctx.drawImage(st.img, j, 0, 1, st.rows, Math.floor(x0), yTop, Math.max(1, Math.ceil(x1) - Math.floor(x0)), yBottom - yTop);
  }
  ctx.restore();
  if (STATIC && b.width > 0 && b.height > 0) {
    const data = ctx.getImageData(Math.round(b.left), Math.round(b.top), Math.round(b.width), Math.round(b.height)).data;
    let n = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
    st.pixels = n;
    st.plotPixels = Math.round(b.width) * Math.round(b.height);
  }
}

function densityReadout(u) {
  const st = density && density.state, out = $("density-readout");
  if (!st || !st.steps.length) { out.textContent = ""; return; }
  const idx = u ? u.cursor.idx : null, top = u ? u.cursor.top : null;
  const name = OPERATORS[st.operator] || st.operator;
  const j = idx == null ? st.steps.length - 1 : idx;
  const parts = [`step ${st.steps[j]}`];
  if (st.lmax[j] !== null) parts.push(`λmax(${name}) ${fmt(st.lmax[j])}`);
  if (Number.isFinite(st.probes[j])) parts.push(`${st.probes[j]} probe vectors`);
  if (idx != null && top != null && top >= 0) {
    const uu = u.posToVal(top, "y"), i = Math.round((uu - st.g.u_min) / st.g.u_step);
    const p = st.curves[j][i];
    parts.push(`at λ ≈ ${fmt(lambdaOf(uu, st.g))}: density ${Number.isFinite(p) ? fmt(p) : "–"} per unit u`);
  } else {
    parts.push(`${st.steps.length} steps drawn` + (st.analysisId ? ` (analysis ${st.analysisId})` : "")
      + (st.dropped ? `, ${st.dropped} older steps dropped by the gateway (--max-density-steps)` : ""));
  }
  out.textContent = parts.join(" · ");
}

function drawColorbar(st) {
  const c = $("density-colorbar"), ctx = c.getContext("2d"), w = c.width, barH = 12;
  ctx.clearRect(0, 0, w, c.height);
  for (let x = 0; x < w; x++) {
    const [r, g, b] = viridis(x / (w - 1));
    ctx.fillStyle = `rgb(${r},${g},${b})`;
    ctx.fillRect(x, 0, 1, barH);
  }
  ctx.fillStyle = AXIS;
  ctx.strokeStyle = AXIS;
  ctx.font = "11px system-ui, sans-serif";
  ctx.textBaseline = "top";
  const hi = st.lo + DENSITY_DECADES;
  for (let k = Math.ceil(st.lo); k <= Math.floor(hi); k++) {
    const x = Math.round(((k - st.lo) / DENSITY_DECADES) * (w - 1));
    ctx.fillRect(x, barH, 1, 4);
    const text = lambdaLabel(Math.pow(10, k));
    const tw = ctx.measureText(text).width;
    ctx.fillText(text, Math.min(w - tw, Math.max(0, x - tw / 2)), barH + 6);
  }
}

// Draws (or redraws with new data) the heatmap from a /api/runs/{run}/density body; returns the cells coloured.
function drawDensity(body) {
  const el = $("chart-density");
  const st = densityState(body);
  const name = OPERATORS[st.operator] || st.operator;
  const thresholdLabel = st.formula; // the legend gives its value
  const key = [st.operator, st.uThreshold !== null ? thresholdLabel : ""].join("|");
  const data = [st.steps, st.lmax.map(v => (v === null ? null : uOf(v, st.g))),
    st.steps.map(() => st.uThreshold)];
  if (!density || density.key !== key) {
    if (density) density.plot.destroy();
    el.innerHTML = "";
    const d = { key, zoomed: false, state: st };
    density = d;
    const axis = label => ({
      label, stroke: AXIS, font: "12px system-ui, sans-serif", labelFont: "600 12px system-ui, sans-serif",
      grid: { stroke: "rgba(154, 167, 180, 0.14)", width: 1 }, ticks: { stroke: GRID, width: 1 }, labelSize: 22,
    });
    // legend values in λ: under the cursor, or the newest when the cursor is off the chart
    const lambdaValue = (u, v, sidx, idx) => {
      const w = legendValue(u, v, sidx, idx);
      return w === "–" ? w : fmt(lambdaOf(idx == null ? Number(lastOf(u.data[sidx])) : v, d.state.g));
    };
    const series = [
      { label: "step", value: (u, v, sidx, idx) => String(idx == null ? lastOf(u.data[0]) ?? "–" : v) },
      { label: `λmax(${name})`, stroke: LAMBDA_COLOR, width: 2, spanGaps: true, value: lambdaValue,
        points: { show: true, size: 5, fill: LAMBDA_COLOR, stroke: LAMBDA_COLOR } },
    ];
    if (st.uThreshold !== null) series.push({ label: thresholdLabel, stroke: REF_COLOR, width: 1.5, dash: [6, 4], value: lambdaValue, points: { show: false } });
    else data.pop();
    d.plot = new uPlot({
      width: chartWidth(el), height: DENSITY_HEIGHT,
      cursor: { sync: { key: "step" }, points: { show: false } },
      scales: {
        // the data's extent (uPlot's own, after setData or a double click) widens to the outer column edges; a zoom stays
        x: { time: false, range: (u, min, max) => {
          const s = d.state.steps, e = d.state.edges;
          return s.length && min === s[0] && max === s[s.length - 1] ? [e[0], e[e.length - 1]] : [min, max];
        } },
        y: { range: () => [d.state.yMin, d.state.yMax] },
      },
      axes: [
        axis("step"),
        Object.assign(axis("eigenvalue λ (symmetric log)"), {
          size: 64,
          splits: (u, ai, min, max) => densityTicks(min, max, u.bbox.height / (window.devicePixelRatio || 1), d.state.g),
          values: (u, splits) => splits.map(v => lambdaLabel(Math.abs(v) < 1e-9 ? 0 : lambdaOf(v, d.state.g))),
        }),
      ],
      series,
      hooks: {
        drawClear: [paintDensity],
        draw: [u => { // what this drawing coloured, for tests
          el.dataset.pixels = String(d.state.pixels);
          el.dataset.plotPixels = String(d.state.plotPixels || 0);
        }],
        setCursor: [densityReadout],
        setSelect: [u => { if (u.select.width > 0) d.zoomed = true; }],
      },
    }, data, el);
    el.addEventListener("dblclick", () => { d.zoomed = false; });
  } else {
    if (st.uThreshold === null) data.pop();
    density.state = st;
    density.plot.setData(data, !density.zoomed);
  }
  drawColorbar(st);
  densityReadout(null);
  el.classList.toggle("empty", st.cells === 0);
  el.dataset.points = String(st.cells);
  el.dataset.columns = String(st.steps.length);
  el.dataset.operator = st.operator;
  return st.cells;
}

// Removes the heatmap; none: the run has no density (the panel says how to get one).
function hideDensity(none) {
  if (density) { density.plot.destroy(); density = null; }
  const el = $("chart-density");
  el.innerHTML = "";
  el.dataset.points = "0";
  el.dataset.columns = "0";
  el.hidden = true;
  $("density-legend").hidden = true;
  $("density-readout").textContent = "";
  $("density-none").hidden = !none;
}

// The density of one operator, or null when the run has none (a 404, or no steps).
async function densityOf(run, operator) {
  try {
    const b = await getJson(`/api/runs/${enc(run)}/density?operator=${enc(operator)}`);
    return b && Array.isArray(b.steps) && b.steps.length ? b : null;
  } catch (e) {
    if (/^404\b|has no|no density/i.test(e.message)) return null;
    throw e;
  }
}

// Fetches and draws the selected operator's density when a new one may have come; offers 𝓗 / G when both exist.
async function refreshDensity(run, gen) {
  if (densityBusy) { densityAgain = densityAgain || densityDirty; return; }
  if (!densityDirty) return;
  densityDirty = false;
  densityBusy = true;
  densityFetchedAt = Date.now();
  $("density-readout").className = "muted";
  try {
    const other = densityOperator === "hessian" ? "gauss_newton" : "hessian";
    const [mine, theirs] = await Promise.all([densityOf(run, densityOperator),
      densityKnown[`${run}|${other}`] ? Promise.resolve(true) : densityOf(run, other).catch(() => null)]);
    if (gen !== generation) return;
    if (theirs) densityKnown[`${run}|${other}`] = true;
    if (mine) densityKnown[`${run}|${densityOperator}`] = true;
    $("density-operator").hidden = !(mine && theirs);
    if (!mine && theirs) { // only the other operator has a density: show that one
      densityOperator = other;
      densityDirty = true;
      densityBusy = false;
      return await refreshDensity(run, gen);
    }
    $("density-operator").value = densityOperator;
    $("density-name").textContent = OPERATORS[densityOperator];
    densityLive = !!(mine && detail && detail.metrics && mine.analysis_id === detail.metrics.analysis_id);
    if (!mine) {
      hideDensity(true);
      return;
    }
    $("density-none").hidden = true;
    $("chart-density").hidden = false;
    $("density-legend").hidden = false;
    drawDensity(mine);
  } catch (e) {
    densityDirty = true; // try again on the next refresh
    hideDensity(false);
    $("density-readout").textContent = `the density could not be read: ${e.message}`;
    $("density-readout").className = "error";
  } finally {
    densityBusy = false;
    // asked for while this one ran (another operator, a newer record): once more, for the selected run
    if (densityAgain && current) { densityAgain = false; densityDirty = true; refreshDensity(current, generation); }
  }
}

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
  parts.push(...traceParts(m));
  parts.push(m.step !== undefined ? `analysed up to step ${m.step}` : "no analysed snapshot yet");
  parts.push(runStatus(d) + (d.failure ? ` (${d.failure})` : ""));
  $("run-summary").textContent = parts.join(" · ");
}

// The latest traces (series trace_*, gauss_newton_share) with their intervals; the method and coverage from the
// latest record that carries a trace.
let traces = {};
let traceMeta = null;       // the trace object of the heavy analysis' latest record, when the traces come from there
function traceParts(m) {
  const last = n => { const p = traces[n]; return p && p.length ? p[p.length - 1][2] : null; };
  const t = traceMeta || m.trace || {}, out = [];
  const h = last("trace_hessian"), lo = last("trace_hessian_low"), hi = last("trace_hessian_high");
  if (Number.isFinite(h)) {
    const how = t.hessian ? ` (${t.hessian.method || "?"}` + (Number.isFinite(t.hessian.coverage)
      ? `, ${Math.round(100 * t.hessian.coverage)}% interval)` : ")") : "";
    out.push(`tr(𝓗) ${fmt(h)}` + (Number.isFinite(lo) && Number.isFinite(hi) ? ` [${fmt(lo)}, ${fmt(hi)}]` : "") + how);
  }
  const g = last("trace_gauss_newton");
  if (Number.isFinite(g)) {
    const gi = t.gauss_newton && Array.isArray(t.gauss_newton.interval) ? t.gauss_newton.interval : null;
    const exact = t.gauss_newton && t.gauss_newton.method === "exact";
    out.push(`tr(G) ${fmt(g)}` + (exact ? " (exact)" : gi ? ` [${fmt(gi[0])}, ${fmt(gi[1])}]`
      + (t.gauss_newton.method ? ` (${t.gauss_newton.method})` : "") : ""));
  }
  const share = last("gauss_newton_share");
  if (Number.isFinite(share)) out.push(`tr(G)/tr(𝓗) ${fmt(share)}`);
  const top = t.top_share || {};
  if (Number.isFinite(top.hessian) && top.hessian > 0) out.push(`λmax/tr(𝓗) ${fmt(top.hessian)} (effective rank ${fmt(1 / top.hessian)})`);
  return out;
}

// An error bar, two significant digits.
function fmtErr(v) {
  if (!Number.isFinite(v)) return "–";
  if (v === 0) return "0";
  return Math.abs(v) < 1e-3 || Math.abs(v) >= 1e5 ? v.toExponential(1) : String(Number(v.toPrecision(2)));
}

// The latest analysed eigenvalues with their error bars: θ ± r (residual bound) and, where known, the Kato–Temple bound.
function spectraReadout(m) {
  const parts = [];
  [["hessian", "𝓗"], ["gauss_newton", "G"], ["residual", "H"]].forEach(([k, name]) => {
    const s = m[k];
    if (!s || !Array.isArray(s.eigenvalues) || !s.eigenvalues.length) return;
    const r = s.residual_bounds || [], kt = s.kato_temple_bounds || [];
    const ev = s.eigenvalues.slice(0, 3).map((v, i) => fmt(v) + (Number.isFinite(r[i]) ? ` ± ${fmtErr(r[i])}` : "")
      + (Number.isFinite(kt[i]) ? ` (K–T ${fmtErr(kt[i])})` : ""));
    parts.push(`${name}: ${ev.join(", ")}` + (s.eigenvalues.length > 3 ? ", …" : ""));
  });
  return parts.length ? `at step ${m.step}: ` + parts.join(" · ") : "";
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
    const densityDone = refreshDensity(run, gen);
    // traces: only the newest point of each (max_points=2 ends at the newest); a gateway without them is no error
    const traceNames = ["trace_hessian", "trace_hessian_low", "trace_hessian_high", "trace_gauss_newton", "gauss_newton_share"];
    const tracesOf = id => Promise.all(traceNames.map(n => getJson(`/api/runs/${enc(run)}/series?metric=${enc(n)}&max_points=2`
      + (id ? `&analysis_id=${enc(id)}` : "")).then(b => b.points || [], () => [])));
    const tracesGot = tracesOf(null);
    const got = await Promise.all(names.map(n => seriesOf(run, n, errors)));
    let traceGot = await tracesGot;
    await densityDone;
    if (gen !== generation) return;
    // no trace in the live analysis: the heavy one (whose id the density names) may have it
    const heavy = density && density.state.analysisId;
    if (!traceGot[0].length && heavy && heavy !== m.analysis_id && (d.analyses || []).includes(heavy)) {
      const [t2, h] = await Promise.all([tracesOf(heavy),
        getJson(`/api/runs/${enc(run)}?analysis_id=${enc(heavy)}`).catch(() => null)]);
      if (gen !== generation) return;
      traceGot = t2;
      traceMeta = (h && h.metrics && h.metrics.trace) || null;
    } else {
      traceMeta = null;
    }
    traces = {};
    traceNames.forEach((n, i) => { traces[n] = traceGot[i]; });
    renderSummary();
    $("spectra-readout").textContent = spectraReadout(m);
    const S = {};
    names.forEach((n, i) => { S[n] = got[i]; });
    const none = [];

    let total = 0, drawn = 0;
    const add = n => { total += n; if (n > 0) drawn++; };
    add(Number($("chart-density").dataset.points || 0));

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
  traces = {};
  traceMeta = null;
  $("spectra-readout").textContent = "";
  hideDensity(false);
  densityDirty = true;
  densityLive = false;
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
    source.addEventListener("metrics", e => {
      // a record carrying a density (of any analysis id) is the only news for the heatmap
      if (typeof e.data === "string" && e.data.includes('"density"')) densityDirty = true;
      requestRefresh();
    });
    // after a reconnect some records may have been missed
    source.addEventListener("open", () => { densityDirty = true; });
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
    if (r && !STATIC && !densityLive && Date.now() - densityFetchedAt > DENSITY_POLL_MS) {
      densityDirty = true;
      refreshDensity(current, generation);
    }
    if (r && !STATIC && (!source || source.readyState !== EventSource.OPEN) && drawnAt !== null
        && drawnAt !== `${r.step}|${r.analysed_step}`) {
      densityDirty = true;
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
  if (hash.get("only")) h.set("only", hash.get("only"));
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
  const el = $("chart-density");
  if (density && el.offsetParent !== null) {
    const w = chartWidth(el);
    if (Math.abs(w - density.plot.width) > 2) density.plot.setSize({ width: w, height: DENSITY_HEIGHT });
  }
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
$("density-operator").onchange = () => {
  densityOperator = $("density-operator").value;
  densityDirty = true;
  if (density) { density.plot.destroy(); density = null; }
  if (current) refreshDensity(current, generation);
};
if (hash.get("only") === "density") document.body.classList.add("only-density");

if (typeof uPlot === "undefined") {
  status("error: the charting library (vendor/uPlot.iife.min.js) did not load", true);
} else {
  if (hash.get("metric")) $("pl-metric").value = hash.get("metric");
  RUN_CHARTS.concat("chart-powerlaw").forEach(id => { $(id).dataset.points = "0"; $(id).classList.add("empty"); });
  hideDensity(false);
  live(STATIC ? "static" : "");
  (async () => {
    await refreshRuns();
    if (hash.has("powerlaw")) showView("powerlaw");
    if (!STATIC) setInterval(refreshRuns, 2000);
  })();
}
