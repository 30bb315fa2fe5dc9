// Product lookup: search as you type, the fact form the product's measures ask for, the duty stack
// as Data | Calculation | Value, and the timeline chart. Every number comes from the API.
import { api, debounce, el, labels, money, showProblem, sourceLink, today } from "./common.js";
import { renderTimeline } from "./timeline.js";

const $ = (id) => document.getElementById(id);
const state = { product: null, facts: null, active: -1, results: [] };

function context() {
  return {
    importing: $("importing").value,
    origin: $("origin").value.trim().toUpperCase(),
    date: $("entry-date").value || today(),
    time: $("entry-time").value,
  };
}

function entryDate(ctx) {
  return ctx.time ? `${ctx.date}T${ctx.time}` : ctx.date;
}

// ---- search as you type -------------------------------------------------------------------
async function search() {
  const q = $("q").value.trim();
  const list = $("results");
  if (q.length < 2) {
    list.replaceChildren();
    $("q").setAttribute("aria-expanded", "false");
    $("search-status").textContent = "";
    return;
  }
  const ctx = context();
  const params = new URLSearchParams({ q, date: ctx.date, country: ctx.importing, limit: "15" });
  try {
    const data = await api(`/v1/hts/search?${params}`);
    if ($("q").value.trim() !== q) return; // a newer query is on its way
    state.results = data.results;
    state.active = -1;
    list.replaceChildren(
      ...data.results.map((r, i) =>
        el(
          "li",
          { role: "option", id: `opt-${i}`, "aria-selected": "false", "data-hts": r.hts, onclick: () => choose(i) },
          el("span", { class: "code" }, r.hts),
          " ",
          r.description,
          el("div", { class: "path" }, r.path),
        ),
      ),
    );
    $("q").setAttribute("aria-expanded", data.results.length ? "true" : "false");
    $("search-status").textContent = data.total
      ? `${data.total} match${data.total === 1 ? "" : "es"} in ${data.revision}${data.total > data.results.length ? `; showing ${data.results.length}` : ""}. Use ↑ ↓ and Enter.`
      : `No product matches “${q}” on ${ctx.date}.`;
  } catch (error) {
    $("search-status").textContent = error.problem ? error.problem.detail : String(error);
  }
}

function highlight(index) {
  const items = [...$("results").children];
  items.forEach((li, i) => li.setAttribute("aria-selected", i === index ? "true" : "false"));
  state.active = index;
  if (items[index]) {
    items[index].scrollIntoView({ block: "nearest" });
    $("q").setAttribute("aria-activedescendant", items[index].id);
  }
}

function onSearchKey(event) {
  const n = state.results.length;
  if (event.key === "ArrowDown" && n) {
    event.preventDefault();
    highlight((state.active + 1) % n);
  } else if (event.key === "ArrowUp" && n) {
    event.preventDefault();
    highlight((state.active - 1 + n) % n);
  } else if (event.key === "Enter") {
    event.preventDefault();
    if (n) choose(state.active >= 0 ? state.active : 0);
  } else if (event.key === "Escape") {
    $("results").replaceChildren();
    $("q").setAttribute("aria-expanded", "false");
  }
}

// ---- the fact form ------------------------------------------------------------------------
function keepValues(all) {
  // What the user typed survives a change of date or origin (the form is rebuilt for the new date);
  // for another product only the entered value is kept.
  const kept = {};
  for (const input of $("facts-form").querySelectorAll("input, select")) {
    if (input.id && (all || input.id === "f-value")) kept[input.id] = input.type === "checkbox" ? input.checked : input.value;
  }
  return kept;
}

function restoreValues(kept) {
  for (const [id, value] of Object.entries(kept)) {
    const input = $(id);
    if (!input) continue;
    if (input.type === "checkbox") input.checked = value;
    else input.value = value;
  }
}

async function choose(index) {
  const product = state.results[index];
  if (!product) return;
  state.product = product;
  $("results").replaceChildren();
  $("q").setAttribute("aria-expanded", "false");
  $("q").value = product.hts;
  await loadFacts();
  loadTimeline();
}

async function loadFacts() {
  const ctx = context();
  const product = state.product;
  const params = new URLSearchParams({ date: entryDate(ctx), origin: ctx.origin || "CA", importing_country: ctx.importing });
  $("product").hidden = false;
  $("result").hidden = true;
  try {
    const facts = await api(`/v1/products/${encodeURIComponent(product.hts)}/facts?${params}`);
    const sameProduct = state.facts && state.facts.hts === facts.hts;
    const kept = keepValues(sameProduct);
    state.facts = facts;
    renderProductHead(product, facts);
    renderFacts(facts);
    restoreValues(kept);
    const value = $("f-value");
    if (value) value.focus();
  } catch (error) {
    showProblem($("facts-fields"), error);
  }
}

function renderProductHead(product, facts) {
  const rate = facts.mfn_rate ? `MFN ${facts.mfn_rate}` : "";
  const usmca = facts.usmca_rate ? ` · USMCA ${facts.usmca_rate}` : "";
  $("product-head").replaceChildren(
    el("p", {}, el("span", { class: "code", id: "product-code" }, product.hts), " ", product.description),
    el("p", { class: "path" }, product.path),
    el(
      "p",
      { class: "small muted" },
      `${rate}${usmca}`,
      facts.measures.length ? ` · measures in scope: ${facts.measures.join(", ")}` : " · no Chapter 99 measure in scope",
    ),
  );
}

function usedBy(fact) {
  const uses = fact.used_by.map((u) => (u.heading ? `${u.heading}` : u.why)).filter((v, i, a) => a.indexOf(v) === i);
  return uses.length ? `Asked by ${uses.join(", ")}` : "";
}

function inputFor(fact) {
  const id = `f-${fact.field}`;
  const hint = el("div", { class: "hint", title: fact.used_by.map((u) => `${u.heading ?? ""} ${u.label} (${u.why})`).join("\n") }, usedBy(fact));
  const msg = el("div", { class: "msg", id: `${id}-msg`, role: "status" });
  const wrap = (control, extra = "") =>
    el("div", { class: `field ${extra}` }, el("label", { for: id }, fact.label), control, hint, msg);
  switch (fact.kind) {
    case "boolean":
      return el(
        "div",
        { class: "field checkbox" },
        el("input", { type: "checkbox", id, name: fact.field }),
        " ",
        el("label", { for: id }, fact.label),
        hint,
      );
    case "enum":
      return wrap(
        el(
          "select",
          { id, name: fact.field },
          el("option", { value: "" }, "— none —"),
          ...fact.options.map((o) => el("option", { value: o }, o)),
        ),
      );
    case "cases":
      return el(
        "fieldset",
        { class: "field" },
        el("legend", { class: "small muted" }, fact.label),
        ...fact.options.map((o) =>
          el("span", {}, el("input", { type: "checkbox", id: `${id}-${o}`, name: fact.field, value: o }), " ", el("label", { for: `${id}-${o}`, style: "display:inline" }, o), " "),
        ),
        hint,
      );
    case "date":
      return wrap(el("input", { type: "date", id, name: fact.field, min: "2024-01-01" }));
    case "country":
      return wrap(el("input", { type: "text", id, name: fact.field, maxlength: "2", size: "3", "data-check": "country" }));
    case "text":
      if (fact.options.length) {
        return wrap(
          el(
            "select",
            { id, name: fact.field },
            el("option", { value: "" }, "— other / not named —"),
            ...fact.options.map((o) => el("option", { value: o }, o)),
          ),
        );
      }
      return wrap(el("input", { type: "text", id, name: fact.field }));
    case "quantity":
      return wrap(
        el("input", { type: "text", id, name: fact.field, inputmode: "decimal", "data-check": "number", "data-unit-field": fact.unit_field, "data-unit": fact.unit }),
      );
    case "number":
    case "percent":
      return wrap(el("input", { type: "text", id, name: fact.field, inputmode: "decimal", "data-check": fact.field === "metal_weight_share" ? "share" : "number" }));
    default: // money
      return wrap(el("input", { type: "text", id, name: fact.field, inputmode: "decimal", "data-check": "money" }));
  }
}

function renderFacts(facts) {
  const currency = facts.importing_country === "CA" ? "CAD" : "USD";
  const value = el(
    "div",
    { class: "field" },
    el("label", { for: "f-value" }, `Entered value (${currency}) — required`),
    el("input", { type: "text", id: "f-value", name: "value", inputmode: "decimal", required: true, "data-check": "money" }),
    el("div", { class: "msg", id: "f-value-msg", role: "status" }),
  );
  const asked = facts.facts.map(inputFor);
  const intro = facts.facts.length
    ? el("p", { class: "small muted" }, `This product's measures need ${facts.facts.length} more fact${facts.facts.length === 1 ? "" : "s"}; leave a fact empty if it does not apply.`)
    : el("p", { class: "small muted" }, "No other fact changes the duty on this product.");
  $("facts-fields").replaceChildren(value, intro, el("div", { class: "facts-grid" }, asked));
}

const CHECKS = {
  money: [/^\d+(\.\d{1,2})?$/, "a non-negative amount with at most 2 decimals, e.g. 100000 or 2500.50"],
  number: [/^\d+(\.\d+)?$/, "a non-negative number"],
  share: [/^(0(\.\d+)?|1(\.0+)?)$/, "a number from 0 to 1"],
  country: [/^[A-Za-z]{2}$/, "a two-letter country code, e.g. CA"],
};

function validate(input) {
  const rule = CHECKS[input.dataset.check];
  const msg = $(`${input.id}-msg`);
  const text = input.value.trim();
  let problem = "";
  if (!text && input.required) problem = "required";
  else if (text && rule && !rule[0].test(text)) problem = `must be ${rule[1]}`;
  input.setAttribute("aria-invalid", problem ? "true" : "false");
  if (msg) msg.textContent = problem;
  return !problem;
}

function lineFromForm() {
  const ctx = context();
  const line = {
    hts: state.product.hts,
    origin: ctx.origin,
    entry_date: entryDate(ctx),
    importing_country: ctx.importing,
  };
  const form = $("facts-form");
  for (const input of form.querySelectorAll("input, select")) {
    const name = input.name;
    if (!name) continue;
    if (input.type === "checkbox") {
      if (name === "adcvd_cases") {
        if (input.checked) (line.adcvd_cases ||= []).push(input.value);
      } else if (input.checked) line[name] = true;
      continue;
    }
    const text = input.value.trim();
    if (!text) continue;
    if (input.dataset.check === "share") line[name] = Number(text);
    else if (name === "vehicle_age_years") line[name] = Number(text);
    else if (input.dataset.check === "country") line[name] = text.toUpperCase();
    else line[name] = text;
    if (input.dataset.unitField) line[input.dataset.unitField] = input.dataset.unit;
  }
  return line;
}

async function calculate(event) {
  event.preventDefault();
  const inputs = [...$("facts-form").querySelectorAll("input[data-check]")];
  const ok = inputs.map(validate).every(Boolean);
  if (!ok) {
    inputs.find((i) => i.getAttribute("aria-invalid") === "true")?.focus();
    return;
  }
  const line = lineFromForm();
  $("calculate").disabled = true;
  try {
    const [result] = await api("/v1/calculate", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(line),
    });
    await renderResult(line, result);
    if (!result.error) loadTimeline(line); // the same value and quantity (a specific rate needs them)
  } catch (error) {
    $("result").hidden = false;
    showProblem($("result-body"), error);
  } finally {
    $("calculate").disabled = false;
  }
}

// ---- the result ---------------------------------------------------------------------------
function summaryBox(key, value, id) {
  return el("div", {}, el("div", { class: "k" }, key), el("div", { class: "v", id }, value));
}

const STATUS_TEXT = {
  displaced: "Displaced by another measure",
  excepted: "Excepted",
  missing_fact: "Needs a fact not given",
  condition_not_met: "Condition not met",
  product_out_of_scope: "Product out of scope",
  country_out_of_scope: "Country out of scope",
};

function groupNotApplied(items) {
  const groups = new Map();
  for (const item of items) {
    let key = item.status;
    if (item.status === "out_of_period") key = item.reason.startsWith("not in force before") ? "not_yet" : "ended";
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(item);
  }
  return groups;
}

function notAppliedBlock(items, measures) {
  if (!items.length) return null;
  const groups = groupNotApplied(items);
  const count = (list) => new Set(list.map((i) => i.measure)).size;
  const line = (i) =>
    el("li", {}, el("span", { class: "code" }, i.heading || i.measure), " ", el("span", { class: "muted" }, measures[i.measure]?.label || i.measure), ": ", i.reason);
  const shown = [];
  for (const key of ["displaced", "excepted", "missing_fact"]) {
    const list = groups.get(key);
    if (!list) continue;
    shown.push(el("div", { class: "small" }, el("strong", {}, `${STATUS_TEXT[key]} (${list.length})`), el("ul", {}, list.map(line))));
  }
  const collapsed = [
    ["not_yet", (l) => `Not yet in force: ${count(l)} measure${count(l) === 1 ? "" : "s"} (${l.length} headings)`],
    ["ended", (l) => `No longer in force: ${count(l)} measure${count(l) === 1 ? "" : "s"} (${l.length} headings)`],
    ["condition_not_met", (l) => `Conditions not met: ${l.length} heading${l.length === 1 ? "" : "s"}`],
    ["product_out_of_scope", (l) => `Product out of scope: ${l.length}`],
    ["country_out_of_scope", (l) => `Country out of scope: ${l.length}`],
  ];
  for (const [key, title] of collapsed) {
    const list = groups.get(key);
    if (!list) continue;
    shown.push(el("details", { class: "small" }, el("summary", {}, title(list)), el("ul", {}, list.map(line))));
  }
  return el("div", { id: "not-applied" }, el("h3", { class: "small" }, "Measures that did not apply"), shown);
}

async function renderResult(line, result) {
  const body = $("result-body");
  $("result").hidden = false;
  if (result.error) {
    body.replaceChildren(
      el("div", { class: "alert error", role: "alert", id: "result-error" }, `${result.error.field}: ${result.error.reason}`),
    );
    const field = $(`f-${result.error.field}`);
    if (field) {
      field.setAttribute("aria-invalid", "true");
      const msg = $(`f-${result.error.field}-msg`);
      if (msg) msg.textContent = result.error.reason;
    }
    return;
  }
  const measures = await labels();
  const currency = line.importing_country === "CA" ? "CAD" : "USD";
  const rows = [
    el(
      "tr",
      {},
      el("td", {}, "Entry line"),
      el("td", {}, `${result.hts} · origin ${line.origin} · entered ${result.entry_date} ET${line.spi ? ` · SPI ${line.spi}` : ""}`, el("div", { class: "path" }, result.description || "")),
      el("td", { class: "num" }, `${money(Number(line.value).toFixed(2))} ${currency}`),
    ),
  ];
  for (const item of result.lines) {
    const label = item.kind === "mfn" ? "MFN (column 1 general)" : measures[item.measure]?.label || item.measure;
    rows.push(
      el(
        "tr",
        { class: "stack-line", "data-heading": item.heading, "data-kind": item.kind },
        el("td", {}, el("span", { class: "code" }, item.heading), item.kind === "exemption" ? el("span", { class: "badge" }, "exemption") : null, el("div", { class: "small muted" }, label)),
        el(
          "td",
          {},
          `${item.rate} × ${money(item.base)}`,
          item.base_kind !== "value" ? el("span", { class: "muted" }, ` (${item.base_kind})`) : null,
          sourceLink(item.reference),
        ),
        el("td", { class: "num amount" }, money(item.amount), item.refundable ? el("span", { class: "badge refund" }, item.remitted ? "remitted" : "refundable") : null),
      ),
    );
  }
  rows.push(
    el(
      "tr",
      { class: "total" },
      el("td", {}, "Total duty assessed"),
      el("td", {}, result.effective_rate !== null ? `effective rate ${result.effective_rate}% of the value` : "customs duty not known (see caveats)"),
      el("td", { class: "num", id: "total-duty" }, money(result.total_duty)),
    ),
  );
  if (result.refundable !== "0.00") {
    rows.push(
      el("tr", { class: "sub" }, el("td", {}, "Refundable"), el("td", {}, `void by ruling ${money(result.void_by_ruling)} (IEEPA, Learning Resources v. Trump) + remitted ${money(result.remitted)}`), el("td", { class: "num", id: "refundable" }, money(result.refundable))),
      el("tr", { class: "sub" }, el("td", {}, "Owed"), el("td", {}, "assessed less refundable"), el("td", { class: "num", id: "owed-duty" }, money(result.owed_duty))),
    );
  }
  if (result.adcvd_total !== "0.00" && result.adcvd_total !== null) {
    rows.push(el("tr", { class: "sub" }, el("td", {}, "AD/CVD deposits"), el("td", {}, "cash deposits, kept apart from customs duty"), el("td", { class: "num", id: "adcvd" }, money(result.adcvd_total))));
  }
  const table = el(
    "table",
    { id: "stack" },
    el("caption", { class: "small muted", style: "text-align:left" }, `Amounts in ${currency}; Chapter 99 headings in CBP reporting order.`),
    el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Data"), el("th", { scope: "col" }, "Calculation"), el("th", { scope: "col", class: "num" }, "Value"))),
    el("tbody", {}, rows),
  );
  const summary = el(
    "div",
    { class: "summary" },
    summaryBox("Assessed", money(result.assessed_duty), "sum-assessed"),
    summaryBox("Owed", money(result.owed_duty), "sum-owed"),
    summaryBox("Refundable", money(result.refundable), "sum-refundable"),
    summaryBox("Effective rate", result.effective_rate !== null ? `${result.effective_rate}%` : "—", "sum-rate"),
  );
  const notes = [
    result.prohibited ? el("div", { class: "alert error", role: "alert" }, "Entry of this good is prohibited on this date (import ban).") : null,
    ...result.caveats.map((c) => el("div", { class: "alert warn small" }, c)),
  ];
  body.replaceChildren(...[summary, ...notes, table, notAppliedBlock(result.not_applied, measures)].filter(Boolean));
}

// ---- timeline -----------------------------------------------------------------------------
async function loadTimeline(line = null) {
  const ctx = context();
  const spi = document.querySelector("#facts-form [name=spi]")?.value || "";
  const params = new URLSearchParams({ hts: state.product.hts, origin: ctx.origin || "CA", importing_country: ctx.importing, from: "2025-01-01", to: "2027-12-31" });
  if (spi) params.set("spi", spi);
  for (const key of ["value", "quantity", "unit"]) if (line && line[key] !== undefined) params.set(key, line[key]);
  $("timeline").hidden = false;
  const container = $("timeline-body");
  container.textContent = "Loading…";
  try {
    renderTimeline(container, await api(`/v1/timeline?${params}`), entryDate(ctx));
  } catch (error) {
    showProblem(container, error);
  }
}

// ---- wiring -------------------------------------------------------------------------------
function init() {
  $("entry-date").value = today();
  $("q").addEventListener("input", debounce(search, 150));
  $("q").addEventListener("keydown", onSearchKey);
  $("lookup-form").addEventListener("submit", (e) => e.preventDefault());
  $("facts-form").addEventListener("submit", calculate);
  $("facts-form").addEventListener("change", (e) => {
    if (e.target.dataset.check) validate(e.target);
    if (e.target.name === "spi") loadTimeline();
  });
  $("importing").addEventListener("change", () => {
    $("origin").value = $("importing").value === "CA" ? "US" : "CA";
    state.product = null;
    $("product").hidden = true;
    $("result").hidden = true;
    $("timeline").hidden = true;
    search();
  });
  for (const id of ["entry-date", "entry-time", "origin"]) {
    $(id).addEventListener("change", () => state.product && loadFacts());
  }
}

init();
