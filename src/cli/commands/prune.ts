/** `sluice prune --older-than <duration> [--status …]`: deletes finished executions, with all their rows. */
import { Command, Options } from "@effect/cli"
import { Duration, Effect } from "effect"
import { Runner } from "../../Runner.js"
import type { FinalStatus } from "../../Status.js"
import { jsonOption, parseDuration, parseStatuses, storageOption, wantsJson } from "../options.js"
import { printJson, printLines } from "../output.js"
import { withRunner } from "./shared.js"

const finalStatuses: ReadonlyArray<FinalStatus> = ["Completed", "Failed", "Cancelled"]

export const prune = Command.make("prune", {
  storage: storageOption,
  json: jsonOption,
  olderThan: Options.text("older-than").pipe(Options.withDescription("finished longer ago than this (1h, 7d)")),
  status: Options.text("status").pipe(
    Options.withDescription("only these final statuses (repeat, or comma-separated)"),
    Options.repeated
  )
}, (o) =>
  Effect.gen(function*() {
    const json = yield* wantsJson(o.json)
    const olderThan = yield* parseDuration("older-than", o.olderThan)
    const status = yield* parseStatuses(o.status, finalStatuses)
    const pruned = yield* withRunner(
      o.storage,
      "write",
      Effect.flatMap(Runner, (r) =>
        r.prune({ olderThan: Duration.toMillis(olderThan), status: status.length > 0 ? status : undefined }))
    )
    if (json) {
      return yield* printJson({ pruned })
    }
    yield* printLines([`pruned ${pruned} execution${pruned === 1 ? "" : "s"}`])
  })).pipe(Command.withDescription("delete finished executions older than a duration"))
