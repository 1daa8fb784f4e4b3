/**
 * `sluice cancel|pause|resume <id>` and `sluice signal <id> <name> [json]`: through the runner
 * API, so they make the same transitions as in code. On PostgreSQL they reach the runner that
 * owns the execution; a SQLite file held by a runner refuses them (see ../storage.ts).
 */
import { Args, Command } from "@effect/cli"
import { Effect, Option } from "effect"
import { Runner } from "../../Runner.js"
import { jsonOption, parseJson, storageOption, wantsJson } from "../options.js"
import { printJson, printLines } from "../output.js"
import { paintStatus, stdoutStyle } from "../render/style.js"
import { withRunner } from "./shared.js"

const done = (json: boolean, executionId: string, verb: string) =>
  Effect.gen(function*() {
    const status = yield* Effect.flatMap(Runner, (r) => r.status(executionId))
    if (json) return yield* printJson({ executionId, status })
    yield* printLines([`${verb} ${executionId}: ${paintStatus(stdoutStyle(), status)}`])
  })

const control = (name: "cancel" | "pause" | "resume", verb: string, description: string) =>
  Command.make(
    name,
    { storage: storageOption, json: jsonOption, id: Args.text({ name: "execution-id" }) },
    (o) =>
      Effect.gen(function*() {
        const json = yield* wantsJson(o.json)
        yield* withRunner(
          o.storage,
          "write",
          Effect.zipRight(Effect.flatMap(Runner, (r) => r[name](o.id)), done(json, o.id, verb))
        )
      })
  ).pipe(Command.withDescription(description))

export const cancel = control("cancel", "cancelled", "cancel an execution (running tasks are interrupted)")
export const pause = control("pause", "paused", "pause an execution (running tasks finish, none starts)")
export const resume = control("resume", "resumed", "resume a paused execution")

export const signal = Command.make("signal", {
  storage: storageOption,
  json: jsonOption,
  id: Args.text({ name: "execution-id" }),
  name: Args.text({ name: "signal" }),
  payload: Args.text({ name: "json" }).pipe(Args.optional)
}, (o) =>
  Effect.gen(function*() {
    const json = yield* wantsJson(o.json)
    const payload = Option.isSome(o.payload) ? yield* parseJson("the signal's payload", o.payload.value) : undefined
    yield* withRunner(
      o.storage,
      "write",
      Effect.zipRight(
        Effect.flatMap(Runner, (r) => r.signal(o.id, o.name, payload)),
        done(json, o.id, `signal "${o.name}" sent to`)
      )
    )
  })).pipe(Command.withDescription("send a signal (and a JSON payload) to an execution's waiting tasks"))
