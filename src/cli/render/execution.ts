/**
 * One execution as `show` prints it: a header (workflow, status, times, input, error), the
 * progress bar, then each task (status, attempts, duration, runner) with what it wrote (values
 * cut to the width), its error or why it was skipped; optionally the timeline. Everything read
 * from storage goes through `safe` (`oneLine`, `formatValue` and table cells do it).
 */
import type { ExecutionView, TaskView } from "../../operator/view.js"
import { progressLine } from "./progress.js"
import type { Style } from "./style.js"
import {
  bold,
  dim,
  formatDuration,
  formatTime,
  formatValue,
  oneLine,
  paintStatus,
  red,
  safe,
  truncate,
  yellow
} from "./style.js"
import { table } from "./table.js"
import { timeline } from "./timeline.js"

/** Keys of what a task wrote shown at most; the rest are counted. */
const MAX_WROTE = 4

const field = (style: Style, name: string, value: string) =>
  `${dim(style, name.padEnd(9))} ${truncate(value, style.width - 10)}`

const header = (style: Style, view: ExecutionView, now: number): Array<string> => {
  const { info } = view
  const took = info.durationMs ?? now - info.startedAt.getTime()
  const lines = [
    `${bold(style, "execution")} ${safe(info.executionId)}  ${paintStatus(style, info.status)}`,
    field(style, "workflow", safe(`${info.workflowName} (version ${info.workflowVersion})`)),
    field(
      style,
      "started",
      `${formatTime(info.startedAt)}  ${info.completedAt === undefined ? "running" : "took"} ${formatDuration(took)}`
    ),
    field(style, "input", formatValue(info.input, style.width))
  ]
  if (info.parentExecutionId !== undefined) lines.push(field(style, "parent", safe(info.parentExecutionId)))
  if (info.idempotencyKey !== undefined) lines.push(field(style, "key", safe(info.idempotencyKey)))
  if (info.errorMessage !== undefined) lines.push(field(style, "error", oneLine(info.errorMessage)))
  if (info.stranded !== undefined) lines.push(yellow(style, field(style, "stranded", oneLine(info.stranded))))
  return lines
}

const detail = (style: Style, task: TaskView): Array<string> => {
  const lines: Array<string> = []
  const indent = "    "
  const room = style.width - indent.length
  const wrote = Object.entries(task.wrote ?? {})
  for (const [key, value] of wrote.slice(0, MAX_WROTE)) {
    const name = truncate(safe(key), 24)
    lines.push(`${indent}${dim(style, "↳")} ${name} = ${formatValue(value, room - name.length - 5)}`)
  }
  if (wrote.length > MAX_WROTE) lines.push(dim(style, `${indent}  … ${wrote.length - MAX_WROTE} more`))
  if (task.deleted.length > 0) {
    lines.push(dim(style, truncate(`${indent}  deleted ${safe(task.deleted.join(", "))}`, style.width)))
  }
  if (task.error !== undefined) lines.push(red(style, truncate(`${indent}error: ${oneLine(task.error)}`, style.width)))
  else if (task.reason !== undefined) {
    lines.push(dim(style, truncate(`${indent}${task.status.toLowerCase()}: ${oneLine(task.reason)}`, style.width)))
  }
  return lines
}

const tasks = (style: Style, view: ExecutionView, now: number): Array<string> => {
  const rows = view.tasks.map((t) => [
    t.taskId,
    t.status,
    String(t.attempts),
    formatDuration(
      t.durationMs ?? (t.startedAt !== undefined && t.status === "Running" ?
        now - t.startedAt.getTime() :
        undefined)
    ),
    t.runnerId ?? "-"
  ])
  const [head, ...body] = table(style, [
    { header: "TASK", flex: true, min: 8 },
    { header: "STATUS", paint: (s, text) => paintStatus(s, text) },
    { header: "TRIES", align: "right" },
    { header: "TIME", align: "right" },
    { header: "RUNNER", flex: true, min: 6 }
  ], rows)
  return [head, ...body.flatMap((line, i) => [line, ...detail(style, view.tasks[i])])]
}

export interface ShowOptions {
  readonly timeline?: boolean | undefined
}

/** The whole view, as lines. */
export const renderExecution = (style: Style, view: ExecutionView, now: number, options: ShowOptions = {}) => [
  ...header(style, view, now),
  progressLine(style, view.progress.finished, view.progress.total),
  "",
  ...tasks(style, view, now),
  ...(options.timeline === true ?
    [
      "",
      bold(style, "timeline"),
      ...timeline(style, view.tasks.flatMap((t) => t.attemptList), view.info.startedAt, view.info.completedAt, now)
    ] :
    [])
]
