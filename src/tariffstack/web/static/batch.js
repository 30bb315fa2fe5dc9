// Batch page: upload a file, follow the job's progress, download the result.
import { api, el, showProblem } from "./common.js";

const $ = (id) => document.getElementById(id);

async function poll(job, status) {
  const bar = el("div");
  const text = el("div", { class: "small", id: "batch-progress-text" }, "Queued…");
  status.replaceChildren(el("div", { class: "progress", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": "100", id: "batch-progress" }, bar), text);
  for (;;) {
    const current = await api(job.status_url);
    const pct = current.total ? Math.round((100 * current.done) / current.total) : current.status === "done" ? 100 : 0;
    bar.style.width = `${pct}%`;
    status.querySelector("[role=progressbar]").setAttribute("aria-valuenow", String(pct));
    text.textContent = `${current.status}: ${current.done.toLocaleString("en-US")}${current.total ? ` of ${current.total.toLocaleString("en-US")}` : ""} rows`;
    if (current.status === "done") {
      const summary = current.summary ? Object.entries(current.summary).map(([k, v]) => el("li", {}, `${k.replaceAll("_", " ")}: ${typeof v === "object" ? JSON.stringify(v) : v}`)) : [];
      status.append(
        el("p", {}, el("a", { href: current.result_url, id: "download", download: "" }, `Download the results (${current.out_format})`)),
        el("ul", { class: "small", id: "batch-summary" }, summary),
      );
      return;
    }
    if (current.status === "failed") {
      status.append(el("div", { class: "alert error", role: "alert" }, current.error));
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 400));
  }
}

$("batch-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const status = $("batch-status");
  const file = $("file").files[0];
  if (!file) {
    status.replaceChildren(el("div", { class: "alert error", role: "alert" }, "Choose a file first."));
    return;
  }
  const form = new FormData();
  form.append("file", file);
  if ($("out-format").value) form.append("out_format", $("out-format").value);
  $("upload").disabled = true;
  try {
    const job = await api("/v1/batch", { method: "POST", body: form });
    await poll(job, status);
  } catch (error) {
    showProblem(status, error);
  } finally {
    $("upload").disabled = false;
  }
});
