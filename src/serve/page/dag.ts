/**
 * The page's script, part 4: the DAG as SVG. Layered: a task's column is its level (the longest
 * path from a root, computed by the server); within a column tasks are ordered by the mean
 * height of their dependencies (a few sweeps), to keep edges short and crossings few.
 */
export const dag = String.raw`
const NODE_W = 146, NODE_H = 34, COL_GAP = 44, ROW_GAP = 16, PAD = 14

function layoutDag(tasks) {
  const columns = []
  for (const t of tasks) (columns[t.level] = columns[t.level] || []).push(t)
  const rows = Math.max(1, ...columns.map((c) => (c ? c.length : 0)))
  const y = new Map()
  const place = (column) => {
    const top = ((rows - column.length) * (NODE_H + ROW_GAP)) / 2
    column.forEach((t, i) => y.set(t.taskId, PAD + top + i * (NODE_H + ROW_GAP)))
  }
  columns.forEach((c) => c && place(c))
  const mean = (t) => {
    const ys = t.dependencies.filter((d) => y.has(d)).map((d) => y.get(d))
    return ys.length === 0 ? y.get(t.taskId) : ys.reduce((a, b) => a + b, 0) / ys.length
  }
  for (let sweep = 0; sweep < 4; sweep++) {
    for (let level = 1; level < columns.length; level++) {
      const column = columns[level]
      if (!column) continue
      const keys = new Map(column.map((t) => [t.taskId, mean(t)]))
      column.sort((a, b) => keys.get(a.taskId) - keys.get(b.taskId))
      place(column)
    }
  }
  const coords = new Map()
  columns.forEach((column, level) => column && column.forEach((t) =>
    coords.set(t.taskId, { x: PAD + level * (NODE_W + COL_GAP), y: y.get(t.taskId) })))
  return {
    coords,
    width: PAD * 2 + Math.max(1, columns.length) * (NODE_W + COL_GAP) - COL_GAP,
    height: PAD * 2 + rows * (NODE_H + ROW_GAP) - ROW_GAP
  }
}

function shorten(text, max) { return text.length > max ? text.slice(0, max - 1) + "…" : text }

function drawDag(tasks, selected, onSelect) {
  const { coords, width, height } = layoutDag(tasks)
  const svg = s("svg", { id: "dag", width, height, viewBox: "0 0 " + width + " " + height, role: "img", "aria-label": "the workflow's tasks" },
    s("defs", {}, s("marker", { id: "arrow", viewBox: "0 0 8 8", refX: 8, refY: 4, markerWidth: 7, markerHeight: 7, orient: "auto" },
      s("path", { d: "M0,0 L8,4 L0,8 z", fill: "#b8c0cc" }))))
  for (const t of tasks) {
    for (const d of t.dependencies) {
      const a = coords.get(d), b = coords.get(t.taskId)
      if (!a || !b) continue
      const x1 = a.x + NODE_W, y1 = a.y + NODE_H / 2, x2 = b.x - 2, y2 = b.y + NODE_H / 2, mx = (x1 + x2) / 2
      svg.append(s("path", { class: "edge", d: "M" + x1 + "," + y1 + " C" + mx + "," + y1 + " " + mx + "," + y2 + " " + x2 + "," + y2, "marker-end": "url(#arrow)" }))
    }
  }
  for (const t of tasks) {
    const at = coords.get(t.taskId)
    const node = s("g", {
      class: "node" + (t.taskId === selected ? " selected" : ""),
      "data-task": t.taskId,
      "data-status": t.status,
      transform: "translate(" + at.x + "," + at.y + ")",
      tabindex: 0,
      on: { click: () => onSelect(t.taskId), keydown: (e) => { if (e.key === "Enter") onSelect(t.taskId) } }
    },
      s("title", {}, t.taskId + ": " + t.status),
      s("rect", { width: NODE_W, height: NODE_H, rx: 7 }),
      s("text", { x: 10, y: 21 }, shorten(t.taskId, 18)))
    svg.append(node)
  }
  return svg
}

/** The drawn node of a task (compared by value: a task id is data, never a selector). */
function dagNode(taskId) {
  for (const node of document.querySelectorAll("#dag g.node")) if (node.getAttribute("data-task") === taskId) return node
  return null
}

function legend() {
  return h("div", { class: "legend" },
    ["Pending", "Waiting", "Running", "Retrying", "Completed", "Failed", "Skipped", "Cancelled"].map((st) => h("span", { class: st }, st)))
}
`
