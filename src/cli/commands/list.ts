/** `sluice list`: executions, newest first, filtered by status, workflow and age, a page at a time. */
import { Command, Options } from "@effect/cli"
import { Duration, Effect, Option } from "effect"
import { Runner } from "../../Runner.js"
import { usage } from "../errors.js"
import { executionStatuses, jsonOption, parseDuration, parseStatuses, storageOption, wantsJson } from "../options.js"
import { printJson, printLines } from "../output.js"
import { dim, formatDuration, formatTime, paintStatus, stdoutStyle } from "../render/style.js"
import { table } from "../render/table.js"
import { withRunner } from "./shared.js"

const options = {
  storage: storageOption,
  json: jsonOption,
  status: Options.text("status").pipe(
    Options.withDescription("only these statuses (repeat, or comma-separated)"),
    Options.repeated
  ),
  workflow: Options.text("workflow").pipe(Options.withDescription("only this workflow"), Options.optional),
  since: Options.text("since").pipe(
    Options.withDescription("started within this long (90s, 15m, 1h, 7d)"),
    Options.optional
  ),
  limit: Options.integer("limit").pipe(Options.withDescription("at most this many"), Options.withDefault(20)),
  offset: Options.integer("offset").pipe(Options.withDescription("skip the newest n (paging)"), Options.withDefault(0))
}

export const list = Command.make("list", options, (o) =>
  Effect.gen(function*() {
    const json = yield* wantsJson(o.json)
    const status = yield* parseStatuses(o.status, executionStatuses)
    if (o.limit < 1) return yield* usage("--limit: must be at least 1")
    if (o.offset < 0) return yield* usage("--offset: must not be negative")
    const since = Option.isSome(o.since) ? Option.some(yield* parseDuration("since", o.since.value)) : Option.none()
    yield* withRunner(
      o.storage,
      "read",
      Effect.gen(function*() {
        const runner = yield* Runner
        // Newest first, so the executions within `since` are a prefix of the listing: one more
        // than the page tells whether there is a next one.
        const rows = yield* runner.list({
          status: status.length > 0 ? status : undefined,
          workflowName: Option.getOrUndefined(o.workflow),
          limit: o.offset + o.limit + 1
        })
        const cutoff = Option.map(since, (d) => Date.now() - Duration.toMillis(d))
        const recent = Option.match(cutoff, {
          onNone: () => rows,
          onSome: (t) => rows.filter((r) => r.startedAt.getTime() >= t)
        })
        const page = recent.slice(o.offset, o.offset + o.limit)
        if (json) return yield* printJson(page)
        const style = stdoutStyle()
        if (page.length === 0) return yield* printLines([dim(style, "no executions")])
        const lines = table(
          style,
          [
            { header: "ID" },
            { header: "STATUS", paint: (s, text) => paintStatus(s, text) },
            { header: "WORKFLOW", flex: true, min: 8 },
            { header: "STARTED" },
            { header: "TIME", align: "right" }
          ],
          page.map((
            r
          ) => [r.executionId, r.status, r.workflowName, formatTime(r.startedAt, true), formatDuration(r.durationMs)])
        )
        const more = recent.length > o.offset + o.limit
        yield* printLines(more ? [...lines, dim(style, `more: --offset ${o.offset + o.limit}`)] : lines)
      })
    )
  })).pipe(Command.withDescription("executions, newest first"))
