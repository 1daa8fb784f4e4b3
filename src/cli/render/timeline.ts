/**
 * An execution's attempts on a time axis, one bar per attempt, grouped by the runner that ran
 * it: what ran at the same time, and where, reads off the columns. The axis runs from the
 * execution's start to its end (or now, while it runs).
 */
import type { AttemptInfo } from "../../WorkflowResult.js"
import type { Style } from "./style.js"
import { bold, cyan, dim, formatDuration, green, red, safe, truncate } from "./style.js"

interface Span {
  readonly start: number
  readonly end: number
}

const LABEL = 24
const DURATION = 8

const bar = (style: Style, attempt: AttemptInfo, span: Span, cells: number, now: number) => {
  const length = Math.max(1, span.end - span.start)
  const at = (t: number) => Math.min(cells - 1, Math.max(0, Math.floor(((t - span.start) / length) * cells)))
  const from = at(attempt.startedAt.getTime())
  const to = Math.max(from, at(attempt.completedAt?.getTime() ?? now))
  // Without colour the glyph tells the outcome: █ completed, ▒ failed or interrupted, ▓ running.
  const glyph = attempt.status === "Completed" ? "█" : attempt.status === "Running" ? "▓" : "▒"
  const paint = attempt.status === "Completed" ? green : attempt.status === "Running" ? cyan : red
  const body = paint(style, glyph.repeat(to - from + 1))
  return `${" ".repeat(from)}${body}${" ".repeat(cells - to - 1)}`
}

/** The lines of the timeline (a note when nothing ran yet). */
export const timeline = (
  style: Style,
  attempts: ReadonlyArray<AttemptInfo>,
  startedAt: Date,
  completedAt: Date | undefined,
  now: number
): Array<string> => {
  if (attempts.length === 0) return [dim(style, "no attempt yet")]
  const span: Span = {
    start: Math.min(startedAt.getTime(), ...attempts.map((a) => a.startedAt.getTime())),
    end: Math.max(completedAt?.getTime() ?? now, ...attempts.map((a) => a.completedAt?.getTime() ?? now))
  }
  const cells = Math.max(10, style.width - LABEL - DURATION - 2)
  const total = formatDuration(span.end - span.start)
  const axis = `${" ".repeat(LABEL + 1)}|${"─".repeat(Math.max(0, cells - total.length - 1))}${total}`
  const lines = [dim(style, axis.slice(0, style.width))]
  const byRunner = new Map<string, Array<AttemptInfo>>()
  for (const a of [...attempts].sort((x, y) => x.startedAt.getTime() - y.startedAt.getTime())) {
    const runner = a.runnerId === undefined ? "(unknown runner)" : safe(a.runnerId)
    byRunner.set(runner, [...(byRunner.get(runner) ?? []), a])
  }
  for (const [runner, list] of byRunner) {
    lines.push(bold(style, truncate(`${runner}  (${list.length} attempt${list.length === 1 ? "" : "s"})`, style.width)))
    for (const a of list) {
      const label = truncate(`  ${safe(a.taskId)} #${a.attempt}`, LABEL).padEnd(LABEL)
      const took = formatDuration((a.completedAt?.getTime() ?? now) - a.startedAt.getTime()).padStart(DURATION)
      lines.push(`${label} ${bar(style, a, span, cells, now)}${took}`)
    }
  }
  return lines
}
