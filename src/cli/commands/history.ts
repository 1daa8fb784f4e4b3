/** `sluice history <id>`: an execution's persisted events, one per line. */
import { Args, Command } from "@effect/cli"
import { Effect } from "effect"
import type { ExecutionEvent } from "../../ExecutionEvent.js"
import { Runner } from "../../Runner.js"
import { jsonOption, storageOption, wantsJson } from "../options.js"
import { printJson, printLines } from "../output.js"
import type { Style } from "../render/style.js"
import { dim, formatTime, oneLine, safe, stdoutStyle, truncate } from "../render/style.js"
import { withRunner } from "./shared.js"

const what = (event: ExecutionEvent): string => {
  switch (event._tag) {
    case "ExecutionStarted":
      return `${event.workflowName}${event.resumed ? " resumed" : ""}${
        event.runnerId === undefined ? "" : ` on ${event.runnerId}`
      }${event.reason === undefined ? "" : ` (${event.reason})`}`
    case "TaskStarted":
      return `${event.taskId} #${event.attempt}${event.runnerId === undefined ? "" : ` on ${event.runnerId}`}`
    case "TaskCompleted":
      return `${event.taskId} #${event.attempt}`
    case "TaskFailed":
      return `${event.taskId} #${event.attempt}: ${oneLine(event.error)}${
        event.retryAt === undefined ? "" : ` (retry at ${formatTime(event.retryAt, true)})`
      }`
    case "TaskSkipped":
    case "TaskCancelled":
      return `${event.taskId}: ${oneLine(event.reason)}`
    case "TaskWaiting":
      return `${event.taskId}${event.signal === undefined ? "" : ` for signal "${event.signal}"`}${
        event.until === undefined ? "" : ` until ${formatTime(event.until, true)}`
      }`
    case "ExecutionRerun":
      return `${event.tasks.join(", ")}${event.from === undefined ? "" : ` (from ${event.from})`}`
    case "ExecutionFinished":
      return `${event.status}${event.errorMessage === undefined ? "" : `: ${oneLine(event.errorMessage)}`}`
    case "ExecutionPaused":
    case "ExecutionResumed":
      return ""
  }
}

/**
 * `15:40:01.123  TaskStarted       extract #1 on runner-1`, cut to the width; what the event
 * carries (names, runner ids, errors, reasons: from storage) made safe for a terminal.
 */
export const historyLine = (style: Style, event: ExecutionEvent): string => {
  const at = event.at
  const time = `${formatTime(at).slice(11)}.${String(at.getMilliseconds()).padStart(3, "0")}`
  const text = truncate(`${time}  ${event._tag.padEnd(17)} ${safe(what(event))}`.trimEnd(), style.width)
  return `${dim(style, time)}${text.slice(time.length)}`
}

export const history = Command.make("history", {
  storage: storageOption,
  json: jsonOption,
  id: Args.text({ name: "execution-id" })
}, (o) =>
  Effect.gen(function*() {
    const json = yield* wantsJson(o.json)
    const events = yield* withRunner(o.storage, "read", Effect.flatMap(Runner, (r) => r.history(o.id)))
    if (json) return yield* printJson(events)
    const style = stdoutStyle()
    yield* printLines(events.map((e) => historyLine(style, e)))
  })).pipe(Command.withDescription("an execution's events, one per line"))
