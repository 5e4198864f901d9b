// tokcast web: one page per view, its inputs in the URL's query string (shareable), every number
// and chart from the JSON API (/api/v1/...), which answers exactly what the CLI prints.
"use strict";

const API = "/api/v1/";
const $ = (id) => document.getElementById(id);
let catalog = { models: [], hardware: [], quants: [], runtimes: [] };
let upload = null; // {kind: "config", config} or {kind: "gguf", bytes, size, name}
let generation = 0;

// ---- views ----

const PAGES = {
  calculator: {
    title: "Calculator",
    lede: "Will the model fit, and how fast will it run? Fit and speed at once, as you type.",
    fields: [
      { name: "model", label: "model", type: "select", from: "models", def: "llama-3.1-8b" },
      { name: "upload", label: "or upload config.json / GGUF", type: "file" },
      { name: "quant", label: "quant", type: "select", from: "quants", def: "q4_k_m" },
      { name: "hw", label: "hardware", type: "select", from: "hardware", def: "nvidia-rtx-4090" },
      { name: "runtime", label: "runtime", type: "select", from: "runtimes", def: "", empty: "platform default" },
      { name: "ctx", label: "context (tokens)", def: "8192" },
      { name: "batch", label: "batch (sequences)", def: "1" },
      { name: "prompt", label: "prompt (tokens)", def: "512" },
      { name: "gen", label: "generated (tokens)", def: "128" },
    ],
    async run(q) {
      const common = pick(q, ["model", "quant", "hw", "runtime", "batch"]);
      const fitQ = { ...common, ctx: q.ctx };
      const predQ = { ...common, prompt: q.prompt, gen: q.gen };
      const [fit, pred] = await Promise.all([call("fit", fitQ), call("predict", predQ)]);
      const f = fit.rows[0], p = pred.rows[0];
      cards([
        card("verdict", f.verdict, `${gib(f.device_used_bytes)} of ${gib(f.usable_bytes)} GiB usable`, "verdict",
             f.verdict === "fits" ? "good" : "bad"),
        card("layers on the device", `${f.layers_on_device}/${f.layers_total}`, f.reason || "", "layers"),
        card("longest context all on the device", f.max_ctx != null ? num(f.max_ctx) : "–", `tokens per sequence at batch ${f.batch}`, "max_ctx"),
        card("decode tok/s (expected)", p.tg_tok_s ? fmt(p.tg_tok_s.expected) : "–",
             p.tg_tok_s ? `${range(p.tg_tok_s_interval)}bound ${fmt(p.tg_tok_s.bound)} · ${p.limits ? p.limits.decode : ""}-bound`
                        : p.warning || "", "tg"),
        card("prefill tok/s (expected)", p.pp_tok_s ? fmt(p.pp_tok_s.expected) : "–",
             p.pp_tok_s ? `${range(p.pp_tok_s_interval)}bound ${fmt(p.pp_tok_s.bound)}` : "", "pp"),
        card("time to first token (s)", p.ttft_s ? fmt(p.ttft_s.expected) : "–",
             p.ttft_s ? `${range(p.ttft_s_interval)}bound ${fmt(p.ttft_s.bound)}` : "", "ttft"),
      ]);
      await charts([["fit", fitQ, 1], ["predict", predQ, 2]]);
      tables([["Memory plan", fit], ["Speed", pred]]);
      downloads([["fit", fitQ], ["predict", predQ]]);
      notes([...fit.notes, ...pred.notes]);
    },
  },
  compare: {
    title: "Compare platforms",
    lede: "Platforms side by side. Empty fields: the scenario of Skorppio's \"Apple M5 Max vs NVIDIA\", with its claims checked against the physical bound.",
    fields: [
      { name: "model", label: "models (comma list)", def: "" },
      { name: "quant", label: "quant", type: "select", from: "quants", def: "q4_k_m" },
      { name: "hw", label: "hardware (comma list)", def: "" },
      { name: "prompt", label: "prompt", def: "512" },
      { name: "gen", label: "generated", def: "128" },
      { name: "depth", label: "depth", def: "0" },
      { name: "batch", label: "batch", def: "1" },
    ],
    async run(q) {
      const r = await call("compare", q);
      await charts([["compare", q]]);
      tables([[r.title || "Comparison", r]]);
      downloads([["compare", q]]);
      notes(r.notes);
    },
  },
  explain: {
    title: "Explain",
    lede: "One scenario operator by operator: FLOPs, bytes, time, and whether compute, memory or overhead bounds each.",
    fields: [
      { name: "model", label: "model", type: "select", from: "models", def: "llama-3.1-8b" },
      { name: "quant", label: "quant", type: "select", from: "quants", def: "q4_k_m" },
      { name: "hw", label: "hardware", type: "select", from: "hardware", def: "nvidia-rtx-4090" },
      { name: "runtime", label: "runtime", type: "select", from: "runtimes", def: "", empty: "platform default" },
      { name: "prompt", label: "prompt", def: "512" },
      { name: "depth", label: "depth", def: "0" },
      { name: "batch", label: "batch", def: "1" },
    ],
    async run(q) {
      const r = await call("explain", q);
      await charts([["explain", q]]);
      tables([[r.title || "Operators", r]]);
      downloads([["explain", q]]);
      notes(r.notes);
    },
  },
  simulate: {
    title: "Serving under load",
    lede: "Continuous batching simulated step by step: TTFT and TPOT percentiles against the request rate, queue and KV cache over time.",
    fields: [
      { name: "model", label: "model", type: "select", from: "models", def: "llama-3.1-8b" },
      { name: "hw", label: "hardware", type: "select", from: "hardware", def: "nvidia-h100-sxm" },
      { name: "runtime", label: "runtime", type: "select", from: "runtimes", def: "vllm" },
      { name: "quant", label: "quant (empty: usual)", def: "" },
      { name: "isl", label: "input tokens", def: "1000" },
      { name: "osl", label: "output tokens", def: "200" },
      { name: "request_rate", label: "request rates (req/s)", def: "2,5,10,20" },
      { name: "num_requests", label: "requests per rate", def: "300" },
      { name: "slo_ttft_ms", label: "SLO TTFT ms", def: "" },
      { name: "slo_tpot_ms", label: "SLO TPOT ms", def: "" },
    ],
    async run(q) {
      const r = await call("simulate", q);
      const last = r.rows[r.rows.length - 1];
      cards([
        card("output tok/s (highest rate)", fmt(last.output_throughput), `bound ${fmt(last.output_throughput_bound)}`, "out"),
        card("TTFT p99 ms (highest rate)", fmt(last.ttft_ms.p99), `median ${fmt(last.ttft_ms.median)}`, "ttft99"),
        card("TPOT p99 ms (highest rate)", fmt(last.tpot_ms.p99), `median ${fmt(last.tpot_ms.median)}`, "tpot99"),
        card("confidence", last.confidence.split(":")[0], "", "confidence", last.confidence === "normal" ? "good" : "bad"),
      ]);
      await charts([["simulate", q]]);
      tables([[r.title || "Simulation", r]]);
      downloads([["simulate", q]]);
      notes(r.notes);
    },
  },
  results: {
    title: "Results on this machine",
    lede: "Runs of tokcast bench stored here, measured beside predicted.",
    fields: [{ name: "id", label: "run id (empty: all)", def: "" }],
    async run(q) {
      if (q.id) {
        const r = await call("results/" + encodeURIComponent(q.id), {});
        tables([[`Run ${q.id}`, r]]);
        downloads([["results/" + q.id, {}]]);
        notes(r.notes);
      } else {
        const r = await call("results", { limit: "200" });
        tables([["Stored runs", r]], (key, value) => key === "id" ? link(`/results?id=${value}`, value) : null);
        downloads([["results", {}]]);
        notes(r.notes);
      }
    },
  },
  catalog: {
    title: "Catalog",
    lede: "Every platform, model, quantization and runtime tokcast knows, with the sources of its figures.",
    fields: [
      { name: "kind", label: "list", type: "select", options: ["hardware", "models", "quants", "runtimes"], def: "hardware" },
      { name: "filter", label: "filter", def: "" },
      { name: "id", label: "entry (empty: list)", def: "" },
    ],
    async run(q) {
      if (q.id) {
        const r = await call(`catalog/${q.kind}/${encodeURIComponent(q.id)}`, {});
        const url = (v) => typeof v === "string" && /^https?:\/\//.test(v);
        tables([[q.id, r]], (key, value) => {
          if (url(value)) return link(value, value);
          if (Array.isArray(value) && value.some(url)) {
            const list = el("span");
            value.forEach((v, i) => { if (i) list.append(el("br")); list.append(url(v) ? link(v, v) : String(v)); });
            return list;
          }
          return null;
        });
        downloads([[`catalog/${q.kind}/${q.id}`, {}]]);
        notes(r.notes);
      } else {
        const r = await call("catalog/" + q.kind, q.filter ? { filter: q.filter } : {});
        tables([[q.kind, r]], (key, value) => key === "id" ? link(`/catalog?kind=${q.kind}&id=${encodeURIComponent(value)}`, value) : null);
        downloads([["catalog/" + q.kind, q.filter ? { filter: q.filter } : {}]]);
        notes(r.notes);
      }
    },
  },
};

// ---- API ----

function query(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") u.set(k, v);
  return u.toString();
}

function uploading(endpoint) {
  return upload && ["fit", "predict", "explain", "simulate", "compare"].includes(endpoint);
}

async function request(endpoint, params, format) {
  const q = { ...params, format };
  let res;
  if (uploading(endpoint)) {
    delete q.model;
    if (upload.kind === "config") {
      res = await fetch(API + endpoint + "?" + query(q), {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ config: upload.config }) });
    } else {
      q.file_size = String(upload.size);
      res = await fetch(API + endpoint + "?" + query(q), {
        method: "POST", headers: { "Content-Type": "application/octet-stream" }, body: upload.bytes });
    }
  } else {
    res = await fetch(API + endpoint + "?" + query(q));
  }
  if (!res.ok) {
    let msg = `${res.status}`;
    try { msg = (await res.json()).error; } catch (e) { /* not JSON */ }
    throw new Error(msg);
  }
  return format === "json" ? res.json() : res.text();
}

const call = (endpoint, params) => request(endpoint, params, "json");

// ---- rendering ----

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}
function link(href, text) { return el("a", { href }, text); }
function pick(q, keys) { const o = {}; for (const k of keys) if (q[k]) o[k] = q[k]; return o; }
function gib(bytes) { return bytes == null ? "–" : (bytes / 1073741824).toFixed(1); }
// "80%: 131–181 · " for an interval, "" without one.
function range(i) { return i && i.low != null ? `80%: ${fmt(i.low)}–${fmt(i.high)} · ` : ""; }
function num(v) { return Number(v).toLocaleString("en-US"); }
function fmt(v) {
  if (v == null || Number.isNaN(v)) return "–";
  const a = Math.abs(v);
  const d = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3;
  return Number(v).toFixed(d);
}

function card(key, value, sub, id, tone) {
  const c = el("div", { class: "card" + (tone ? " " + tone : ""), "data-card": id },
    el("div", { class: "k" }, key), el("div", { class: "v", "data-value": id }, value), el("div", { class: "s" }, sub));
  return c;
}
function cards(list) { $("summary").replaceChildren(el("div", { class: "cards" }, ...list)); }

async function charts(list) {
  const box = $("charts");
  const svgs = await Promise.all(list.map(([endpoint, params]) =>
    request(endpoint, params, "svg").catch(() => "")));
  box.replaceChildren();
  svgs.forEach((s, i) => {
    if (!s) return;
    // The API's SVG document holds one <svg> per chart: show each (up to the view's limit) as its own figure.
    const doc = new DOMParser().parseFromString(s, "image/svg+xml");
    const limit = list[i][2] || Infinity;
    [...doc.documentElement.querySelectorAll(":scope > svg")].slice(0, limit).forEach((chart) => {
      chart.removeAttribute("y");
      chart.removeAttribute("width");
      chart.removeAttribute("height");
      box.append(document.importNode(chart, true));
    });
  });
}

function cell(v) {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") return Number.isInteger(v) ? num(v) : fmt(v);
  if (typeof v === "object" && !Array.isArray(v) && "expected" in v && "bound" in v) return `${fmt(v.expected)} / ${fmt(v.bound)}`;
  if (Array.isArray(v)) return v.every((x) => typeof x !== "object") ? v.join(", ") : `${v.length} records`;
  if (typeof v === "object") return Object.entries(v).map(([k, x]) => `${k} ${cell(x)}`).join(" · ");
  return String(v);
}

function table(report, special) {
  const rows = report.rows || [];
  if (rows.length === 1 && Object.keys(rows[0]).length > 12) {
    // One entity: a vertical table.
    const t = el("table");
    for (const [k, v] of Object.entries(rows[0])) {
      if (k === "timeline") continue;
      const s = special && special(k, v);
      t.append(el("tr", {}, el("th", {}, k), el("td", {}, s || cell(v))));
    }
    return el("div", { class: "scroll" }, t);
  }
  if (!rows.length) return el("p", { class: "lede" }, "Nothing here yet." +
    (report.kind === "results_list" ? " Runs of tokcast bench model and tokcast bench machine on this machine appear here." : ""));
  // What a row is about first (the API's JSON keys are alphabetical), then the figures.
  const first = ["id", "name", "hardware", "model", "quant", "runtime", "phase", "op", "verdict"];
  const keys = first.filter((k) => rows.some((r) => k in r));
  for (const r of rows) for (const k of Object.keys(r)) if (!keys.includes(k) && k !== "timeline" && k !== "claims") keys.push(k);
  const t = el("table", {}, el("thead", {}, el("tr", {}, ...keys.map((k) => el("th", {}, k)))));
  const body = el("tbody");
  for (const r of rows) {
    body.append(el("tr", {}, ...keys.map((k) => {
      const v = r[k];
      const s = special && special(k, v);
      return el("td", typeof v === "number" ? { class: "num" } : {}, s || cell(v));
    })));
  }
  t.append(body);
  return el("div", { class: "scroll" }, t);
}

function tables(list, special) {
  $("tables").replaceChildren(...list.flatMap(([title, report]) => [el("h2", {}, title), table(report, special)]));
}

function downloads(list) {
  const p = $("downloads");
  p.replaceChildren("Download: ");
  for (const [endpoint, params] of list) {
    if (uploading(endpoint)) continue; // an upload is not in the URL
    for (const f of ["csv", "json", "svg"]) {
      if (f === "svg" && !["fit", "predict", "compare", "explain", "simulate"].includes(endpoint)) continue;
      p.append(el("a", { href: API + endpoint + "?" + query({ ...params, format: f }), download: "" }, `${endpoint}.${f}`));
    }
  }
}

function notes(list) { $("notes").replaceChildren(...(list || []).map((n) => el("li", {}, n))); }

// ---- the form and the URL ----

function page() {
  const name = location.pathname.replace(/^\/+|\/+$/g, "") || "calculator";
  return PAGES[name] ? name : "calculator";
}

function current() {
  const q = {};
  for (const f of PAGES[page()].fields) {
    if (f.type === "file") continue;
    const input = document.querySelector(`[name="${f.name}"]`);
    q[f.name] = input ? input.value.trim() : f.def;
  }
  return q;
}

function buildForm() {
  const p = PAGES[page()];
  const params = new URLSearchParams(location.search);
  const form = $("inputs");
  form.replaceChildren();
  for (const f of p.fields) {
    let input;
    if (f.type === "file") {
      input = el("input", { type: "file", name: f.name, accept: ".json,.gguf" });
      input.addEventListener("change", () => readUpload(input.files[0]));
    } else if (f.type === "select") {
      input = el("select", { name: f.name });
      const options = f.options || catalog[f.from].map((r) => r.id);
      if (f.empty !== undefined) input.append(el("option", { value: "" }, f.empty));
      for (const o of options) input.append(el("option", { value: o }, o));
      input.value = params.get(f.name) ?? f.def;
    } else {
      input = el("input", { name: f.name, value: params.get(f.name) ?? f.def, inputmode: "text", spellcheck: "false" });
    }
    input.addEventListener(f.type === "select" ? "change" : "input", schedule);
    form.append(el("label", {}, f.label, input));
  }
  form.addEventListener("submit", (e) => { e.preventDefault(); update(); });
}

async function readUpload(file) {
  if (!file) { upload = null; return update(); }
  if (file.name.endsWith(".json")) {
    try {
      upload = { kind: "config", config: JSON.parse(await file.text()), name: file.name };
    } catch (e) {
      return status(`${file.name}: not valid JSON`, true);
    }
  } else {
    // The header is at the front: the first 64 MiB hold it for any model.
    const head = file.slice(0, Math.min(file.size, 64 * 1024 * 1024));
    upload = { kind: "gguf", bytes: await head.arrayBuffer(), size: file.size, name: file.name };
  }
  update();
}

let timer = null;
function schedule() { clearTimeout(timer); timer = setTimeout(update, 250); }

function status(text, error) {
  const s = $("status");
  s.textContent = text;
  s.className = error ? "error" : "";
}

async function update() {
  const name = page();
  const q = current();
  const shown = new URLSearchParams(query(q)).toString();
  history.replaceState(null, "", location.pathname + (shown ? "?" + shown : ""));
  const mine = ++generation;
  status(upload && name === "calculator" ? `computing (model: ${upload.name}) …` : "computing …");
  try {
    await PAGES[name].run(q);
    if (mine === generation) status("");
  } catch (e) {
    if (mine === generation) status(e.message, true);
  }
}

async function start() {
  const name = page();
  document.querySelectorAll("nav a").forEach((a) => a.classList.toggle("active", a.dataset.page === name));
  $("title").textContent = PAGES[name].title;
  $("lede").textContent = PAGES[name].lede;
  document.title = `tokcast · ${PAGES[name].title}`;
  try {
    const lists = await Promise.all(["models", "hardware", "quants", "runtimes"].map((k) => call("catalog/" + k, {})));
    [catalog.models, catalog.hardware, catalog.quants, catalog.runtimes] = lists.map((l) => l.rows);
  } catch (e) {
    status("cannot read the catalog: " + e.message, true);
  }
  buildForm();
  update();
}

start();
