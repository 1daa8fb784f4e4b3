/** `sluice schedules`: cron schedules and poll triggers with their next and last fire; `pause`, `resume`. */
import { Args, Command } from "@effect/cli"
import { Effect } from "effect"
import { Runner } from "../../Runner.js"
import { jsonOption, storageOption, wantsJson } from "../options.js"
import { printJson, printLines } from "../output.js"
import { dim, formatDuration, formatTime, stdoutStyle, yellow } from "../render/style.js"
import { table } from "../render/table.js"
import { withRunner } from "./shared.js"

const listing = Command.make("schedules", { storage: storageOption, json: jsonOption }, (o) =>
  Effect.gen(function*() {
    const json = yield* wantsJson(o.json)
    const schedules = yield* withRunner(o.storage, "read", Effect.flatMap(Runner, (r) => r.listSchedules()))
    if (json) return yield* printJson(schedules)
    const style = stdoutStyle()
    if (schedules.length === 0) return yield* printLines([dim(style, "no schedules")])
    yield* printLines(table(
      style,
      [
        { header: "ID", flex: true, min: 6 },
        { header: "WORKFLOW", flex: true, min: 8 },
        { header: "WHEN", flex: true, min: 6 },
        { header: "NEXT" },
        { header: "LAST" },
        { header: "", paint: (s, text) => yellow(s, text) }
      ],
      schedules.map((s) => [
        s.id,
        s.workflow,
        s.kind === "cron"
          ? `${s.cron ?? ""}${s.timezone === undefined ? "" : ` ${s.timezone}`}`
          : `every ${formatDuration(s.everyMs)}`,
        s.paused ? "-" : formatTime(s.nextFire, true),
        formatTime(s.lastFire, true),
        s.paused ? "paused" : ""
      ])
    ))
  }))

const toggle = (name: "pause" | "resume", description: string) =>
  Command.make(
    name,
    { storage: storageOption, json: jsonOption, id: Args.text({ name: "schedule-id" }) },
    (o) =>
      Effect.gen(function*() {
        const json = yield* wantsJson(o.json)
        yield* withRunner(
          o.storage,
          "write",
          Effect.flatMap(Runner, (r) => name === "pause" ? r.pauseSchedule(o.id) : r.resumeSchedule(o.id))
        )
        if (json) return yield* printJson({ id: o.id, paused: name === "pause" })
        yield* printLines([`${name === "pause" ? "paused" : "resumed"} schedule ${o.id}`])
      })
  ).pipe(Command.withDescription(description))

export const schedules = listing.pipe(
  Command.withDescription("schedules and poll triggers, with their next and last fire"),
  Command.withSubcommands([
    toggle("pause", "pause a schedule: no fire until resumed"),
    toggle("resume", "resume a schedule, from now on")
  ])
)
