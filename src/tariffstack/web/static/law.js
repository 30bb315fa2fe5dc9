// Law browser: every measure with its headings, scope counts and confidence; a measure opens to its
// provisions (periods with their sources), precedence rules and product lists.
import { api, el, showProblem, today } from "./common.js";

const $ = (id) => document.getElementById(id);
let measures = [];

function provisionBlock(p) {
  return el(
    "div",
    { class: "small", style: "margin:.4rem 0 .8rem" },
    el("div", {}, el("span", { class: "code" }, p.heading), ` ${p.label}`, el("span", { class: "badge" }, p.kind), p.base !== "value" ? el("span", { class: "badge" }, `on ${p.base}`) : null),
    el(
      "table",
      {},
      el("tbody", {}, p.periods.map((period) =>
        el("tr", {}, el("td", { class: "code" }, period.from.replace("T", " ")), el("td", {}, period.rate),
          el("td", {}, el("a", { href: period.url, target: "_blank", rel: "noopener" }, period.instrument), el("div", { class: "muted" }, period.citation), period.note ? el("div", { class: "muted" }, period.note) : null)))),
    ),
  );
}

async function openMeasure(row, measure) {
  const next = row.nextElementSibling;
  if (next && next.classList.contains("detail")) {
    next.remove();
    row.querySelector("button").setAttribute("aria-expanded", "false");
    return;
  }
  const cell = el("td", { colspan: "6" }, "Loading…");
  row.after(el("tr", { class: "detail" }, cell));
  row.querySelector("button").setAttribute("aria-expanded", "true");
  try {
    const d = await api(`/v1/measures/${measure.id}?date=${$("law-date").value}`);
    cell.replaceChildren(el("div", {},
      el("p", {}, el("strong", {}, d.authority), d.confidence_note ? el("div", { class: "small muted" }, `Confidence ${d.confidence}: ${d.confidence_note}`) : null),
      el("h3", { class: "small" }, "Headings and periods"),
      d.provisions.map(provisionBlock),
      d.rules.length ? el("h3", { class: "small" }, "Precedence rules") : null,
      d.rules.length ? el("ul", { class: "small" }, d.rules.map((r) => el("li", {}, `${r.label} (${r.effect}, from ${r.from}${r.to ? ` to ${r.to}` : ""}) — `, el("a", { href: r.url, target: "_blank", rel: "noopener" }, r.citation)))) : null,
      d.lists.length ? el("h3", { class: "small" }, "Product lists") : null,
      d.lists.length ? el("ul", { class: "small" }, d.lists.map((l) => el("li", {}, `${l.list}: ${l.entries} entries — ${l.title || ""} `, l.url ? el("a", { href: l.url, target: "_blank", rel: "noopener" }, l.citation || "source") : null, l.confidence ? el("span", { class: `badge ${l.confidence}` }, l.confidence) : null))) : null,
    ));
  } catch (error) {
    showProblem(cell, error);
  }
}

function render() {
  const filter = $("law-filter").value.trim().toLowerCase();
  const country = $("law-country").value;
  const shown = measures.filter((m) => (!country || m.importing_country === country) && (!filter || `${m.id} ${m.label} ${m.headings.join(" ")}`.toLowerCase().includes(filter)));
  const rows = shown.map((m) => {
    const row = el(
      "tr",
      { "data-measure": m.id },
      el("td", {}, el("button", { class: "secondary", "aria-expanded": "false", onclick: () => openMeasure(row, m) }, "Open"), " ", el("span", { class: "code" }, m.id), el("div", { class: "small" }, m.label)),
      el("td", {}, m.importing_country),
      el("td", { class: "small code" }, m.headings.join(", ")),
      el("td", { class: "num" }, m.lines_in_scope.toLocaleString("en-US")),
      el("td", {}, el("span", { class: `badge ${m.confidence}` }, m.confidence)),
      el("td", { class: "code small" }, m.verified_to),
    );
    return row;
  });
  $("law-body").replaceChildren(
    el("p", { class: "small muted" }, `${shown.length} of ${measures.length} measures. Lines in scope: HTS10 lines of the schedule in force on the date, for a Canadian good (Canada's orders: tariff items listed).`),
    el("table", { id: "measures" }, el("thead", {}, el("tr", {}, ["Measure", "Into", "Headings", "Lines in scope", "Confidence", "Verified to"].map((h) => el("th", { scope: "col" }, h)))), el("tbody", {}, rows)),
  );
}

async function load() {
  try {
    const data = await api(`/v1/measures?date=${$("law-date").value}`);
    measures = data.measures;
    render();
  } catch (error) {
    showProblem($("law-body"), error);
  }
}

$("law-date").value = today();
$("law-filter").addEventListener("input", render);
$("law-country").addEventListener("change", render);
$("law-date").addEventListener("change", load);
load();
