// Change feed: every dated change of the law (rates, precedence rules) and of the schedule between two dates.
import { api, el, showProblem, today } from "./common.js";

const $ = (id) => document.getElementById(id);

async function load(event) {
  if (event) event.preventDefault();
  const params = new URLSearchParams({ from: $("from").value, to: $("to").value });
  if ($("changes-country").value) params.set("country", $("changes-country").value);
  const body = $("changes-body");
  try {
    const data = await api(`/v1/changes?${params}`);
    const byDay = new Map();
    for (const c of data.changes) {
      const day = c.at.slice(0, 10);
      if (!byDay.has(day)) byDay.set(day, []);
      byDay.get(day).push(c);
    }
    const rows = [];
    for (const [day, items] of byDay) {
      rows.push(el("tr", {}, el("th", { colspan: "4", scope: "rowgroup" }, `${day} — ${items.length} change${items.length === 1 ? "" : "s"}`)));
      for (const c of items) {
        rows.push(
          el(
            "tr",
            { class: "change" },
            el("td", { class: "code small" }, c.at.slice(11), " ", c.importing_country),
            el("td", {}, c.heading ? el("span", { class: "code" }, c.heading) : el("span", { class: "badge" }, c.kind), el("div", { class: "small muted" }, c.measure)),
            el("td", { class: "small" }, c.label, c.before !== null ? el("div", {}, `${c.before} → `, el("strong", {}, c.after)) : null),
            el("td", { class: "small" }, el("a", { href: c.url, target: "_blank", rel: "noopener" }, c.instrument), el("div", { class: "muted" }, c.citation)),
          ),
        );
      }
    }
    body.replaceChildren(
      el("p", { class: "small muted", id: "changes-count" }, `${data.count} changes from ${data.from} to ${data.to}.`),
      el("table", { id: "changes" }, el("thead", {}, el("tr", {}, ["Time (ET)", "Heading", "Change", "Source"].map((h) => el("th", { scope: "col" }, h)))), el("tbody", {}, rows)),
    );
  } catch (error) {
    showProblem(body, error);
  }
}

$("to").value = today();
$("changes-form").addEventListener("submit", load);
load();
