// Shared helpers for the pages: API calls that surface problem+json, element building, formatting.
export class ApiProblem extends Error {
  constructor(problem) {
    super(problem.detail || problem.title || "request failed");
    this.problem = problem;
  }
}

export async function api(path, options = {}) {
  const response = await fetch(path, options);
  const type = response.headers.get("content-type") || "";
  if (!response.ok) {
    const problem = type.includes("json") ? await response.json() : { detail: `${response.status} ${response.statusText}` };
    throw new ApiProblem(problem);
  }
  return type.includes("json") ? response.json() : response;
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function money(text) {
  if (text === null || text === undefined) return "not known";
  const [whole, cents] = String(text).split(".");
  const sign = whole.startsWith("-") ? "-" : "";
  const digits = whole.replace("-", "").replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${sign}${digits}.${cents ?? "00"}`;
}

export function today() {
  const d = new Date();
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

export function sourceLink(reference) {
  if (!reference) return "";
  const parts = [];
  if (reference.url) parts.push(el("a", { href: reference.url, target: "_blank", rel: "noopener" }, reference.instrument || reference.url));
  else if (reference.instrument) parts.push(reference.instrument);
  if (reference.citation) parts.push(el("span", { class: "muted" }, `; ${reference.citation}`));
  return el("div", { class: "small" }, parts);
}

export function showProblem(container, error) {
  container.replaceChildren(
    el("div", { class: "alert error", role: "alert" }, error.problem ? `${error.problem.title}: ${error.problem.detail}` : String(error)),
  );
}

let measureLabels = null;
export async function labels() {
  if (!measureLabels) {
    const data = await api("/v1/measures");
    measureLabels = Object.fromEntries(data.measures.map((m) => [m.id, m]));
  }
  return measureLabels;
}
