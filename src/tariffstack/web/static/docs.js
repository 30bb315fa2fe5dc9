// API docs rendered locally from /openapi.json (no external viewer, nothing from another host).
import { api, el } from "./common.js";

function resolve(spec, schema) {
  if (schema && schema.$ref) return spec.components.schemas[schema.$ref.split("/").pop()];
  return schema;
}

function paramsTable(spec, params) {
  if (!params || !params.length) return null;
  return el("table", { class: "small" },
    el("thead", {}, el("tr", {}, ["Parameter", "In", "Type", "Required", "Description"].map((h) => el("th", {}, h)))),
    el("tbody", {}, params.map((p) => {
      const s = resolve(spec, p.schema) || {};
      const type = s.type || (s.anyOf || []).map((a) => a.type || (a.enum ? a.enum.join("|") : "")).filter(Boolean).join(" | ") || (s.enum ? s.enum.join(" | ") : "");
      const limits = [s.enum && `one of ${s.enum.join(", ")}`, s.pattern && `pattern ${s.pattern}`, s.minimum !== undefined && `≥ ${s.minimum}`, s.maximum !== undefined && `≤ ${s.maximum}`, s.maxLength !== undefined && `≤ ${s.maxLength} chars`, s.default !== undefined && `default ${s.default}`].filter(Boolean).join("; ");
      return el("tr", {}, el("td", { class: "code" }, p.name), el("td", {}, p.in), el("td", {}, type), el("td", {}, p.required ? "yes" : ""), el("td", {}, p.description || "", limits ? el("div", { class: "muted" }, limits) : null));
    })));
}

async function render() {
  const spec = await api("/openapi.json");
  const ops = [];
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const id = `${method}-${path.replace(/[^a-z0-9]+/gi, "-")}`.toLowerCase().replace(/-+$/, "");
      const body = op.requestBody ? Object.entries(op.requestBody.content || {}) : [];
      ops.push(el("section", { class: "card op", id },
        el("h2", {}, el("span", { class: "method" }, method.toUpperCase()), el("span", { class: "code" }, path)),
        el("p", {}, op.summary || ""),
        op.description ? el("p", { class: "small muted" }, op.description) : null,
        paramsTable(spec, op.parameters),
        body.length ? el("details", { class: "small" }, el("summary", {}, `Request body (${body.map(([t]) => t).join(", ")})`), el("pre", {}, JSON.stringify(body[0][1].schema, null, 2))) : null,
        el("p", { class: "small" }, "Responses: ", Object.entries(op.responses || {}).map(([code, r]) => `${code} ${r.description || ""}`).join(" · ")),
      ));
    }
  }
  document.getElementById("docs-body").replaceChildren(el("p", {}, spec.info.description), ...ops);
}

render();
