/**
 * The page's script, part 3: the executions list (filters by status and workflow in the hash,
 * pages of 25, refreshed when an execution starts, pauses, resumes or finishes), and the
 * schedules.
 */
export const list = String.raw`
const STATUSES = ["Pending", "Running", "Paused", "Completed", "Failed", "Cancelled"]
const PAGE = 25

async function listPage(params) {
  const main = frame("executions")
  const status = params.get("status") || ""
  const workflow = params.get("workflow") || ""
  const offset = Math.max(0, Number(params.get("offset")) || 0)
  const go = (changes) => {
    const next = new URLSearchParams({ status, workflow, offset: String(offset), ...changes })
    for (const [k, v] of [...next.entries()]) if (v === "" || v === "0") next.delete(k)
    location.hash = "#/" + (next.toString() ? "?" + next.toString() : "")
  }
  const statusSelect = h("select", { id: "filter-status", on: { change: (e) => go({ status: e.target.value, offset: "0" }) } },
    h("option", { value: "" }, "All statuses"),
    STATUSES.map((st) => h("option", { value: st, selected: st === status }, st)))
  const workflowSelect = h("select", { id: "filter-workflow", on: { change: (e) => go({ workflow: e.target.value, offset: "0" }) } },
    h("option", { value: "" }, "All workflows"))
  const counts = h("div", { class: "counts", id: "counts" })
  const body = h("tbody", { id: "executions" })
  const pager = h("div", { class: "pager" })
  main.append(
    h("div", { class: "card" }, h("h2", {}, "Stored"), counts),
    h("div", { class: "card" },
      h("h2", {}, "Executions"),
      h("div", { class: "filters" }, statusSelect, workflowSelect),
      h("table", {},
        h("thead", {}, h("tr", {}, ["Status", "Workflow", "Execution", "Started", "Duration", "Error"].map((t) => h("th", {}, t)))),
        body),
      pager))
  api("/api/server").then((server) => {
    const names = new Set(server.workflows)
    if (workflow) names.add(workflow)
    for (const name of [...names].sort()) workflowSelect.append(h("option", { value: name, selected: name === workflow }, name))
  }, showError)
  const load = coalesced(async () => {
    const query = new URLSearchParams({ limit: String(PAGE), offset: String(offset) })
    if (status) query.set("status", status)
    if (workflow) query.set("workflow", workflow)
    const page = await api("/api/executions?" + query)
    refreshFootprint()
    hideError()
    clear(body)
    if (page.executions.length === 0) body.append(h("tr", {}, h("td", { colspan: 6, class: "muted" }, "No executions.")))
    for (const e of page.executions) {
      body.append(h("tr", { "data-execution": e.executionId },
        h("td", {}, badge(e.status)),
        h("td", {}, e.workflowName),
        h("td", { class: "mono" }, h("a", { href: "#/executions/" + encodeURIComponent(e.executionId) }, e.executionId)),
        h("td", {}, fmtTime(e.startedAt)),
        h("td", {}, fmtDuration(e.durationMs)),
        h("td", { class: "muted" }, e.errorMessage || e.stranded || "")))
    }
    clear(pager)
    pager.append(
      h("button", { disabled: offset === 0, on: { click: () => go({ offset: String(Math.max(0, offset - PAGE)) }) } }, "Newer"),
      h("span", { class: "muted" }, page.executions.length === 0 ? "" : (offset + 1) + "–" + (offset + page.executions.length)),
      h("button", { disabled: !page.hasMore, on: { click: () => go({ offset: String(offset + PAGE) }) } }, "Older"))
  })
  footprintShown.push((footprint) => {
    clear(counts)
    counts.append(h("span", {}, h("span", { class: "n" }, footprint.total === undefined ? "?" : String(footprint.total)), "executions"))
    for (const st of STATUSES) {
      const n = footprint.executions[st]
      if (n) counts.append(h("span", {}, badge(st), " ", String(n)))
    }
    counts.append(h("span", { class: "muted" }, fmtBytes(footprint.bytes) + " on storage"))
  })
  subscribe("/api/events", (name) => {
    if (name.startsWith("Execution") || name === "dropped") load()
  }, load)
}

async function schedulesPage() {
  const main = frame("schedules")
  const body = h("tbody", { id: "schedules" })
  main.append(h("div", { class: "card" }, h("h2", {}, "Schedules"),
    h("table", {},
      h("thead", {}, h("tr", {}, ["Schedule", "Workflow", "When", "Next fire", "Last fire", "State", ""].map((t) => h("th", {}, t)))),
      body)))
  const load = coalesced(async () => {
    const schedules = await api("/api/schedules")
    clear(body)
    if (schedules.length === 0) body.append(h("tr", {}, h("td", { colspan: 7, class: "muted" }, "No schedules.")))
    for (const sc of schedules) {
      const when = sc.kind === "cron" ? sc.cron + (sc.timezone ? " (" + sc.timezone + ")" : "") : "every " + fmtDuration(sc.everyMs)
      const toggle = h("button", { on: { click: async () => {
        try { await post("/api/schedules/" + encodeURIComponent(sc.id) + (sc.paused ? "/resume" : "/pause")); load() } catch (e) { showError(e) }
      } } }, sc.paused ? "Resume" : "Pause")
      body.append(h("tr", { "data-schedule": sc.id },
        h("td", { class: "mono" }, sc.id),
        h("td", {}, sc.workflow),
        h("td", { class: "mono" }, when),
        h("td", {}, sc.paused ? "" : fmtTime(sc.nextFire)),
        h("td", {}, fmtTime(sc.lastFire)),
        h("td", {}, sc.paused ? badge("Paused") : h("span", { class: "badge Running" }, "Active")),
        h("td", {}, toggle)))
    }
  })
  subscribe("/api/events", (name) => { if (name === "ExecutionStarted" || name === "dropped") load() }, load)
}
`
