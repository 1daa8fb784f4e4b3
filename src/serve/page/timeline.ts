/**
 * The page's script, part 5: the timeline, one bar per task attempt on a time axis, one lane per
 * runner (attempts that overlap on a runner stack in rows of its lane).
 */
export const timeline = String.raw`
function drawTimeline(tasks, width) {
  const attempts = tasks.flatMap((t) => t.attemptList)
  if (attempts.length === 0) return h("p", { class: "muted" }, "No attempt yet.")
  const now = Date.now()
  const startOf = (a) => Date.parse(a.startedAt)
  const endOf = (a) => (a.completedAt ? Date.parse(a.completedAt) : Math.max(now, startOf(a)))
  const t0 = Math.min(...attempts.map(startOf))
  const t1 = Math.max(t0 + 1, ...attempts.map(endOf))
  const LABEL = 130, BAR = 16, GAP = 4, AXIS = 24, W = Math.max(420, width)
  const x = (t) => LABEL + ((t - t0) / (t1 - t0)) * (W - LABEL - 12)
  const lanes = new Map()
  for (const a of [...attempts].sort((p, q) => startOf(p) - startOf(q))) {
    const runner = a.runnerId || "(no runner)"
    if (!lanes.has(runner)) lanes.set(runner, [])
    const rows = lanes.get(runner)
    let row = rows.findIndex((r) => r.end <= startOf(a))
    if (row < 0) { row = rows.length; rows.push({ end: 0, bars: [] }) }
    rows[row].end = endOf(a)
    rows[row].bars.push(a)
  }
  let height = AXIS
  for (const rows of lanes.values()) height += rows.length * (BAR + GAP) + 10
  const svg = s("svg", { id: "timeline", width: W, height, viewBox: "0 0 " + W + " " + height, role: "img", "aria-label": "attempts over time" })
  for (let i = 0; i <= 4; i++) {
    const t = t0 + ((t1 - t0) * i) / 4
    svg.append(s("line", { class: "axis", x1: x(t), x2: x(t), y1: 14, y2: height }),
      s("text", { class: "tick", x: x(t), y: 11, "text-anchor": i === 0 ? "start" : i === 4 ? "end" : "middle" }, "+" + fmtDuration(t - t0)))
  }
  let y = AXIS
  for (const [runner, rows] of lanes) {
    svg.append(s("text", { class: "lane-label mono", x: 0, y: y + BAR - 3 }, shorten(runner, 20)))
    rows.forEach((row, r) => {
      for (const a of row.bars) {
        const left = x(startOf(a)), w = Math.max(3, x(endOf(a)) - left), top = y + r * (BAR + GAP)
        const bar = s("g", { class: "attempt", "data-task": a.taskId, "data-attempt": a.attempt },
          s("title", {}, a.taskId + " #" + a.attempt + ": " + a.status + ", " + fmtDuration(endOf(a) - startOf(a)) +
            (a.error ? " — " + a.error : "")),
          s("rect", { class: "bar " + a.status, x: left, y: top, width: w, height: BAR }))
        if (w > 46) bar.append(s("text", { class: "bar-label", x: left + 4, y: top + 12 }, shorten(a.taskId, Math.floor(w / 7))))
        svg.append(bar)
      }
    })
    y += rows.length * (BAR + GAP) + 10
  }
  return svg
}
`
