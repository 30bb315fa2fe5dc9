// The timeline chart: an inline SVG step line of the total rate (and the Chapter 99 part) drawn from
// /v1/timeline, with the legal events marked; the same data as a table below for reading and keyboard.
import { el } from "./common.js";

const NS = "http://www.w3.org/2000/svg";
const W = 900;
const H = 300;
const M = { left: 48, right: 16, top: 14, bottom: 30 };

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) node.setAttribute(k, v);
  for (const c of children) if (c) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

const ms = (text) => new Date(`${text.length === 10 ? `${text}T00:00` : text}:00`.slice(0, 19)).getTime();

function niceMax(value) {
  if (value <= 0) return 10;
  const steps = [10, 20, 25, 50, 60, 75, 100, 125, 150, 200, 250, 300, 400, 500];
  return steps.find((s) => s >= value * 1.08) ?? Math.ceil(value / 100) * 100;
}

export function renderTimeline(container, data, entryAt) {
  const points = data.points;
  const x0 = ms(data.from);
  const x1 = ms(`${data.to}T23:59`);
  const rates = points.map((p) => Number(p.total_rate ?? p.additional_rate ?? 0));
  const yMax = niceMax(Math.max(...rates, 0));
  const sx = (t) => M.left + ((t - x0) / (x1 - x0)) * (W - M.left - M.right);
  const sy = (r) => H - M.bottom - (r / yMax) * (H - M.top - M.bottom);
  const step = (key) => {
    let d = "";
    points.forEach((p, i) => {
      const value = p[key];
      const x = sx(ms(p.at));
      const next = i + 1 < points.length ? sx(ms(points[i + 1].at)) : sx(x1);
      if (value === null || value === undefined) return;
      const y = sy(Number(value));
      d += `M${x.toFixed(1)},${y.toFixed(1)}H${next.toFixed(1)}`;
      if (i + 1 < points.length && points[i + 1][key] !== null) d += `V${sy(Number(points[i + 1][key])).toFixed(1)}`;
    });
    return d;
  };
  const grid = svg("g", { class: "grid" });
  const axis = svg("g", { class: "axis" });
  for (let r = 0; r <= yMax; r += yMax / 5) {
    grid.append(svg("line", { x1: M.left, x2: W - M.right, y1: sy(r), y2: sy(r) }));
    axis.append(svg("text", { x: M.left - 6, y: sy(r) + 4, "text-anchor": "end" }, `${r}%`));
  }
  const startYear = new Date(x0).getFullYear();
  const endYear = new Date(x1).getFullYear();
  for (let y = startYear; y <= endYear; y += 1) {
    for (const month of [0, 3, 6, 9]) {
      const t = new Date(y, month, 1).getTime();
      if (t < x0 || t > x1) continue;
      grid.append(svg("line", { x1: sx(t), x2: sx(t), y1: M.top, y2: H - M.bottom }));
      axis.append(svg("text", { x: sx(t), y: H - M.bottom + 16, "text-anchor": "middle" }, month === 0 ? String(y) : ["", "", "", "Apr", "", "", "Jul", "", "", "Oct"][month]));
    }
  }
  const byAt = new Map();
  for (const e of data.events) {
    if (!byAt.has(e.at)) byAt.set(e.at, []);
    byAt.get(e.at).push(e);
  }
  const marks = svg("g", { class: "events" });
  for (const p of points.slice(1)) {
    const events = byAt.get(p.at) || [];
    const x = sx(ms(p.at));
    const y = sy(Number(p.total_rate ?? p.additional_rate ?? 0));
    const text = `${p.at.replace("T", " ")} ET: total ${p.total_rate ?? "?"}%` + (events.length ? ` — ${events.map((e) => `${e.heading ?? "HTS"} ${e.rate ?? ""} (${e.instrument})`).join("; ")}` : "");
    marks.append(svg("line", { class: "event", x1: x, x2: x, y1: M.top, y2: H - M.bottom }));
    marks.append(svg("circle", { class: "event-dot", cx: x, cy: y, r: 5, tabindex: "0", role: "img", "aria-label": text }, svg("title", {}, text)));
  }
  const entry = entryAt ? ms(entryAt.length === 10 ? `${entryAt}T12:00` : entryAt) : null;
  const entryMark = entry && entry >= x0 && entry <= x1
    ? svg("g", {}, svg("line", { x1: sx(entry), x2: sx(entry), y1: M.top, y2: H - M.bottom, stroke: "#13294b", "stroke-dasharray": "2 3" }), svg("text", { x: sx(entry) + 4, y: M.top + 10, class: "small", fill: "#13294b", "font-size": "11" }, "entry date"))
    : null;
  const chart = svg(
    "svg",
    { viewBox: `0 0 ${W} ${H}`, role: "img", id: "timeline-svg", "aria-label": `Total duty rate of ${data.hts} from ${data.from} to ${data.to}` },
    grid,
    axis,
    svg("path", { class: "additional", d: step("additional_rate") }),
    svg("path", { class: "total", d: step("total_rate") }),
    marks,
    entryMark,
  );
  const rows = points.map((p) =>
    el(
      "tr",
      {},
      el("td", { class: "code" }, p.at.replace("T", " ")),
      el("td", { class: "num" }, p.error ? "—" : `${p.total_rate ?? "?"}%`),
      el("td", {}, p.error ? el("span", { class: "muted" }, p.error) : p.measures.filter((m) => m.kind === "duty").map((m) => `${m.heading} ${m.rate}`).join(" + ") || "MFN only"),
      el(
        "td",
        { class: "small" },
        (byAt.get(p.at) || []).map((e) => el("div", {}, e.url ? el("a", { href: e.url, target: "_blank", rel: "noopener" }, e.instrument) : e.instrument, e.heading ? ` (${e.heading} ${e.rate ?? "ends"})` : "")),
      ),
    ),
  );
  container.replaceChildren(
    el("p", { class: "small muted" }, `${data.hts}, origin ${data.origin}${data.spi ? `, SPI ${data.spi}` : ""}: total rate (duty ÷ value) at every change of the law or schedule, ${data.from} to ${data.to}.`),
    chart,
    el("div", { class: "legend" }, el("span", {}, "━ total duty rate"), el("span", { style: "color:#c0541a" }, "┅ Chapter 99 part"), el("span", { style: "color:#b07800" }, "● legal event (focus or hover for the instrument)")),
    el("details", { id: "timeline-table" }, el("summary", {}, `${points.length} periods and their legal events`),
      el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "From (ET)"), el("th", { class: "num" }, "Total rate"), el("th", {}, "Headings"), el("th", {}, "Events"))), el("tbody", {}, rows))),
  );
}
