// eoscope live page: runs, their curvature charts (uPlot, bundled), and the dataset-size power law.
"use strict";
const COLORS = ["#4fb3ff", "#ff9e64", "#9ece6a", "#f7768e", "#bb9af7", "#e0af68", "#7dcfff"];
const FACTORS = ["pi_chi", "p_chi_delta", "pi_J", "p_delta_J", "delta_L_max_sq_mean"];
const charts = {};
let current = null;
let detail = null;
let source = null;
let pending = false;
// "#…&static" draws once with no live stream and no polling (for headless screenshots and tests)
const STATIC = /(^|[#&])static($|&)/.test(location.hash.slice(1));

async function getJson(url) {
  const r = await fetch(url);
  const body = await r.json();
  if (!r.ok) throw new Error(body.error || r.statusText);
  return body;
}

async function series(run, metric) {
  const s = await getJson(`/api/runs/${encodeURIComponent(run)}/series?metric=${encodeURIComponent(metric)}&max_points=2000`);
  return s.points;
}

// Joins series on x (step or time): uPlot wants one x array and aligned y arrays (null where absent).
function align(list, xIndex) {
  const xs = new Set();
  list.forEach(pts => pts.forEach(p => xs.add(p[xIndex])));
  const x = Array.from(xs).sort((a, b) => a - b);
  const at = new Map(x.map((v, i) => [v, i]));
  const ys = list.map(pts => {
    const y = new Array(x.length).fill(null);
    pts.forEach(p => { y[at.get(p[xIndex])] = p[2]; });
    return y;
  });
  return [x, ...ys];
}

function draw(id, labels, data, opts = {}) {
  const el = document.getElementById(id);
  const points = data.slice(1).reduce((n, y) => n + y.filter(v => v !== null && v !== undefined).length, 0);
  const key = id + "|" + labels.join(",") + "|" + (opts.log ? "log" : "lin");
  const width = Math.max(400, el.clientWidth || 520);
  if (!charts[id] || charts[id].key !== key) {
    if (charts[id]) charts[id].plot.destroy();
    const plot = new uPlot({
      width, height: 260,
      scales: { x: { time: false }, y: opts.log ? { distr: 3 } : {} },
      axes: [
        { label: opts.xLabel || "step", stroke: "#8a96a3", grid: { stroke: "#26303b" } },
        { stroke: "#8a96a3", grid: { stroke: "#26303b" }, size: 60 },
      ],
      series: [{ label: opts.xLabel || "step" }, ...labels.map((l, i) => ({
        label: l, stroke: (opts.colors || COLORS)[i % COLORS.length], width: opts.dashed && opts.dashed[i] ? 1 : 2,
        dash: opts.dashed && opts.dashed[i] ? [6, 4] : undefined, spanGaps: true,
        points: { show: opts.points || false, size: 6 },
      }))],
    }, data, el);
    charts[id] = { plot, key };
  } else {
    charts[id].plot.setData(data);
  }
  el.dataset.points = String(points);
  return points;
}

async function refreshRun() {
  if (!current) return;
  pending = false;
  try {
    detail = await getJson(`/api/runs/${encodeURIComponent(current)}`);
    document.getElementById("run-title").textContent = current;
    const t = detail.telemetry || {}, m = detail.metrics || {};
    document.getElementById("run-summary").textContent =
      `${detail.solver || "?"} on ${detail.dataset || "?"} (N = ${detail.n ?? "?"}, ${detail.architecture || ""})` +
      ` · step ${t.step ?? "-"} · t = ${fmt(t.time)} · loss ${fmt(t.loss)} · sharpness ${fmt(t.sharpness)}` +
      (detail.two_over_eta ? ` · 2/η = ${fmt(detail.two_over_eta)}` : "") +
      (m.step !== undefined ? ` · analysed up to step ${m.step}` : "") + (detail.finished ? " · finished" : "");
    const layers = (m.layers || []).length;
    const sel = document.getElementById("factor-layer");
    if (sel.options.length !== layers) {
      sel.innerHTML = "";
      for (let l = 1; l <= layers; l++) sel.add(new Option(String(l), String(l)));
    }
    const layer = sel.value || "1";
    let total = 0, drawn = 0;
    const add = n => { total += n; drawn += n > 0 ? 1 : 0; };
    add(draw("chart-loss", ["loss"], align([await series(current, "loss")], 1), { xLabel: "t" }));
    const sharp = await series(current, "sharpness"), hess = await series(current, "hessian");
    const two = detail.two_over_eta;
    const sharpData = align([sharp, hess], 0);
    const labels = ["sharpness (trainer)", "λmax(𝓗) (analyzer)"];
    if (two) { sharpData.push(sharpData[0].map(() => two)); labels.push("2/η"); }
    add(draw("chart-sharpness", labels, sharpData, { dashed: [false, false, true], points: false }));
    add(draw("chart-spectra", ["𝓗", "G", "H"], align([hess, await series(current, "gauss_newton"), await series(current, "residual")], 0)));
    const layerSeries = [];
    for (let l = 1; l <= layers; l++) layerSeries.push(await series(current, `layer${l}.gauss_newton_top`));
    add(draw("chart-layers", layerSeries.map((_, i) => `layer ${i + 1}`), layers ? align(layerSeries, 0) : [[]]));
    const factorSeries = [];
    for (const f of FACTORS) factorSeries.push(await series(current, `layer${layer}.${f}`));
    add(draw("chart-factors", ["Π_χ", "P_χ,Δ/χ", "Π_J", "P_Δ,J", "E‖Δᴸ‖²"], align(factorSeries, 0), { log: true }));
    add(draw("chart-rho", ["ρ(K)", "E‖K‖²max"], align([await series(current, "rho_K"), await series(current, "K_max_sq_mean")], 0)));
    status(`${drawn} charts, ${total} points`);
  } catch (e) {
    status("error: " + e.message, true);
  }
}

function fmt(v) { return v === undefined || v === null ? "-" : Number(v).toPrecision(4); }
function status(text, error) {
  const s = document.getElementById("status");
  s.textContent = text;
  s.className = error ? "error" : "";
}

function select(run) {
  if (run === current) return;
  current = run;
  location.hash = "run=" + encodeURIComponent(run) + (STATIC ? "&static" : "");
  document.querySelectorAll("#runs li").forEach(li => li.classList.toggle("selected", li.dataset.run === run));
  Object.values(charts).forEach(c => c.plot.destroy());
  for (const k of Object.keys(charts)) delete charts[k];
  if (source) source.close();
  if (!STATIC) {
    source = new EventSource(`/api/runs/${encodeURIComponent(run)}/stream`);
    const later = () => { if (!pending) { pending = true; setTimeout(refreshRun, 1000); } };
    source.addEventListener("telemetry", later);
    source.addEventListener("metrics", later);
  }
  refreshRun();
}

async function refreshRuns() {
  try {
    const runs = await getJson("/api/runs");
    const ul = document.getElementById("runs");
    ul.innerHTML = "";
    runs.forEach(r => {
      const li = document.createElement("li");
      li.dataset.run = r.run;
      li.innerHTML = `<b></b><small></small>`;
      li.querySelector("b").textContent = r.run;
      li.querySelector("small").textContent = `${r.solver || ""} · step ${r.step ?? "-"} · loss ${fmt(r.loss)}` +
        (r.finished ? " · finished" : "");
      li.classList.toggle("selected", r.run === current);
      li.onclick = () => { showRunView(); select(r.run); };
      ul.appendChild(li);
    });
    fillPowerLawRuns(runs);
    const wanted = decodeURIComponent((location.hash.match(/run=([^&]+)/) || [])[1] || "");
    if (!current && runs.length) select(runs.some(r => r.run === wanted) ? wanted : runs[0].run);
    if (!runs.length) status("no runs yet");
  } catch (e) {
    status("error: " + e.message, true);
  }
}

function fillPowerLawRuns(runs) {
  const box = document.getElementById("pl-runs");
  const checked = new Set(Array.from(box.querySelectorAll("input:checked")).map(i => i.value));
  box.innerHTML = "";
  runs.forEach(r => {
    const label = document.createElement("label");
    const input = document.createElement("input");
    input.type = "checkbox"; input.value = r.run; input.checked = checked.has(r.run);
    label.appendChild(input);
    label.append(` ${r.run} (N = ${r.n ?? "?"})  `);
    box.appendChild(label);
  });
}

async function fitPowerLaw() {
  const runs = Array.from(document.querySelectorAll("#pl-runs input:checked")).map(i => i.value);
  const metric = document.getElementById("pl-metric").value;
  const out = document.getElementById("pl-result");
  try {
    const f = await getJson(`/api/powerlaw?runs=${encodeURIComponent(runs.join(","))}&metric=${encodeURIComponent(metric)}`);
    out.className = "";
    out.textContent = `${f.metric} ≈ ${fmt(f.a)} · N^${fmt(f.beta)}   (β = ${fmt(f.beta)}, R² = ${fmt(f.r2)}, ${f.points.length} runs)`;
    const pts = f.points.slice().sort((a, b) => a.n - b.n);
    const x = pts.map(p => p.n);
    draw("chart-powerlaw", ["measured", "fit a·N^β"], [x, pts.map(p => p.value), x.map(n => f.a * Math.pow(n, f.beta))],
      { xLabel: "N", log: true, points: true, dashed: [false, true] });
    charts["chart-powerlaw"].plot.setScale("x", { min: x[0] * 0.9, max: x[x.length - 1] * 1.1 });
  } catch (e) {
    out.className = "error";
    out.textContent = e.message;
  }
}

function showRunView() {
  document.getElementById("run-view").hidden = false;
  document.getElementById("powerlaw-view").hidden = true;
}

document.getElementById("nav-run").onclick = e => { e.preventDefault(); showRunView(); };
document.getElementById("nav-powerlaw").onclick = e => {
  e.preventDefault();
  document.getElementById("run-view").hidden = true;
  document.getElementById("powerlaw-view").hidden = false;
};
document.getElementById("pl-fit").onclick = fitPowerLaw;
document.getElementById("factor-layer").onchange = () => refreshRun();
refreshRuns();
if (!STATIC) setInterval(refreshRuns, 2000);
