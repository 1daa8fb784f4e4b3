/**
 * The page's script, part 6: one execution. Its head (status, progress, cancel / pause / resume,
 * a signal), the DAG coloured by live status, the timeline, and the selected task's panel
 * (attempts, errors, what it wrote). Each event of the execution's stream recolours its task at
 * once, then the view is read again (the event says what changed; the view says everything).
 * The view is read at once (and again once the stream is ready); an unknown execution (404 from
 * either) is said, and neither is asked again.
 */
export const execution = String.raw`
const TASK_STATUS_OF = {
  TaskStarted: () => "Running",
  TaskCompleted: () => "Completed",
  TaskFailed: (e) => (e.retryAt === undefined ? "Failed" : "Retrying"),
  TaskSkipped: () => "Skipped",
  TaskWaiting: () => "Waiting",
  TaskCancelled: () => "Cancelled"
}
const UNFINISHED = ["Pending", "Running", "Paused"]

async function executionPage(id) {
  const main = frame("executions")
  const head = h("div", { class: "card", id: "exec-head" })
  const dagBox = h("div", { class: "scroll", id: "dag-box" })
  const timelineBox = h("div", { class: "scroll", id: "timeline-box" })
  const panel = h("div", { class: "card task-panel", id: "task-panel" })
  main.append(head, h("div", { class: "layout" },
    h("div", {},
      h("div", { class: "card" }, h("h2", {}, "Tasks"), dagBox, legend()),
      h("div", { class: "card" }, h("h2", {}, "Timeline · one lane per runner"), timelineBox)),
    panel))
  let view = null
  let selected = null
  const path = "/api/executions/" + encodeURIComponent(id)
  const select = (taskId) => { selected = taskId; renderDag(); renderPanel() }
  const control = (action) => async () => {
    try { await post(path + "/" + action); load() } catch (e) { showError(e) }
  }
  const renderHead = () => {
    clear(head)
    const v = view
    const live = UNFINISHED.includes(v.status)
    const pct = v.progress.total === 0 ? 0 : Math.round((100 * v.progress.finished) / v.progress.total)
    const bar = h("div", {})
    bar.style.width = pct + "%"
    head.append(h("div", { class: "exec-head" },
      h("div", {},
        h("h1", {}, v.workflowName, " ", badge(v.status)),
        h("div", { class: "mono muted" }, v.executionId),
        h("div", { class: "muted" }, "started " + fmtTime(v.startedAt),
          v.durationMs !== undefined ? " · took " + fmtDuration(v.durationMs) : "",
          v.parentExecutionId ? " · child of " : "",
          v.parentExecutionId ? h("a", { href: "#/executions/" + encodeURIComponent(v.parentExecutionId) }, v.parentExecutionId) : null),
        h("div", { class: "progress", title: v.progress.finished + " of " + v.progress.total + " tasks finished" }, bar),
        h("div", { class: "muted", id: "progress" }, v.progress.finished + " / " + v.progress.total + " tasks finished"),
        v.errorMessage ? h("div", { class: "error" }, v.errorMessage) : null,
        v.stranded ? h("div", { class: "error" }, v.stranded) : null),
      h("div", { class: "controls" },
        h("button", { id: "pause", disabled: !(v.status === "Running" || v.status === "Pending"), on: { click: control("pause") } }, "Pause"),
        h("button", { id: "resume", disabled: v.status !== "Paused", on: { click: control("resume") } }, "Resume"),
        h("button", { id: "cancel", class: "danger", disabled: !live, on: { click: control("cancel") } }, "Cancel"))))
    if (live) head.append(signalForm())
  }
  const signalForm = () => {
    const name = h("input", { name: "signal", placeholder: "signal name", required: true })
    const payload = h("input", { name: "payload", placeholder: "JSON payload (optional)", class: "mono" })
    const form = h("form", { class: "signal" }, name, payload, h("button", { type: "submit" }, "Send"))
    form.addEventListener("submit", async (event) => {
      event.preventDefault()
      try {
        const body = payload.value.trim() === "" ? null : JSON.parse(payload.value)
        await post(path + "/signals/" + encodeURIComponent(name.value), body)
        load()
      } catch (e) { showError(e) }
    })
    return h("details", { class: "signal" }, h("summary", { class: "muted" }, "Send a signal"), form)
  }
  const renderDag = () => {
    clear(dagBox)
    dagBox.append(drawDag(view.tasks, selected, select))
  }
  const renderTimeline = () => {
    clear(timelineBox)
    timelineBox.append(drawTimeline(view.tasks, timelineBox.clientWidth - 4))
  }
  const renderPanel = () => {
    clear(panel)
    const add = (...children) => appendAll(panel, children)
    const t = selected && view.tasks.find((task) => task.taskId === selected)
    if (!t) {
      add(h("h2", {}, "Execution"), h("p", { class: "muted" }, "Click a task to see its attempts, errors and what it wrote."),
        h("div", { class: "muted" }, "Input"), json(view.input),
        view.finalContext ? [h("div", { class: "muted" }, "Final context"), json(view.finalContext)] : null)
      return
    }
    add(
      h("h2", {}, "Task"),
      h("h3", { id: "task-title" }, t.taskId, " ", badge(t.status)),
      h("dl", { class: "facts" },
        h("dt", {}, "Depends on"), h("dd", {}, t.dependencies.length === 0 ? "nothing (a root)" : t.dependencies.join(", ")),
        h("dt", {}, "Attempts"), h("dd", {}, String(t.attempts)),
        t.runnerId ? [h("dt", {}, "Runner"), h("dd", { class: "mono" }, t.runnerId)] : null,
        t.startedAt ? [h("dt", {}, "Started"), h("dd", {}, fmtTime(t.startedAt))] : null,
        t.durationMs !== undefined ? [h("dt", {}, "Took"), h("dd", {}, fmtDuration(t.durationMs))] : null,
        t.reason ? [h("dt", {}, "Reason"), h("dd", {}, t.reason)] : null,
        t.error ? [h("dt", {}, "Error"), h("dd", { class: "attempt-error" }, t.error)] : null),
      h("div", { class: "muted" }, "Attempts"),
      t.attemptList.length === 0 ? h("p", { class: "muted" }, "None yet.") : h("table", { id: "attempts" },
        h("thead", {}, h("tr", {}, ["#", "Status", "Runner", "Started", "Took"].map((c) => h("th", {}, c)))),
        h("tbody", {}, t.attemptList.map((a) => [
          h("tr", {}, h("td", {}, String(a.attempt)), h("td", {}, badge(a.status)), h("td", { class: "mono" }, a.runnerId || ""),
            h("td", {}, fmtClock(a.startedAt)),
            h("td", {}, a.completedAt ? fmtDuration(Date.parse(a.completedAt) - Date.parse(a.startedAt)) : "")),
          a.error ? h("tr", {}, h("td", { colspan: 5, class: "attempt-error" }, a.error)) : null]))),
      h("div", { class: "muted" }, "Wrote"),
      t.wrote ? h("div", { id: "wrote" }, json(t.wrote)) : h("p", { class: "muted" }, t.status === "Completed" ? "Nothing." : "Nothing yet."),
      t.deleted.length > 0 ? [h("div", { class: "muted" }, "Deleted"), h("p", { class: "mono" }, t.deleted.join(", "))] : null)
  }
  let stream = null
  let gone = false
  /** An unknown (or pruned) execution: said once, and nothing is asked again. */
  const generation = state.generation
  const fail = (e) => {
    if (gone || generation !== state.generation) return
    gone = true
    if (stream) stream()
    clear(head)
    head.append(h("h1", { id: "not-found" }, e.status === 404 ? "Execution not found" : "Cannot show this execution"),
      h("div", { class: "mono muted" }, id))
    showError(e)
  }
  const load = coalesced(async () => {
    if (gone) return
    try {
      view = await api(path)
    } catch (e) {
      if (isFinal(e)) return fail(e)
      throw e
    }
    if (generation !== state.generation) return
    hideError()
    renderHead()
    renderDag()
    renderTimeline()
    renderPanel()
  })
  load()
  stream = subscribe(path + "/events", (name, event) => {
    const status = TASK_STATUS_OF[name]
    if (status && view) {
      const node = dagNode(event.taskId)
      if (node) node.setAttribute("data-status", status(event))
    }
    load()
  }, load, fail)
}
`
