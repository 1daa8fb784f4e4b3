/**
 * `sluice run <module> <workflow>`: a runner in this process, on the storage, with the module's
 * workflows; submits one execution and waits for its end (`--follow`: drawn live). The exit code
 * says how it ended: 0 Completed, 1 Failed, 3 Cancelled. The runner takes up nothing else
 * (`recover: false`): a one-off command should not adopt executions it will leave at exit.
 */
import { Args, Command, Options } from "@effect/cli"
import { Console, Effect, Option, Stream } from "effect"
import { executionView } from "../../operator/view.js"
import { Runner } from "../../Runner.js"
import type { Workflow } from "../../Workflow.js"
import type { WorkflowResult } from "../../WorkflowResult.js"
import { CliError } from "../errors.js"
import { followExecution } from "../live.js"
import { loadModule, pickWorkflow } from "../module.js"
import { jsonOption, parseDuration, parseJsonObject, storageOption, wantsJson } from "../options.js"
import { printJson, printLines } from "../output.js"
import { renderExecution } from "../render/execution.js"
import { stdoutStyle } from "../render/style.js"
import { withRunner } from "./shared.js"

/** Failed and Cancelled are the command's failure: their exit codes, one line on stderr. */
const outcome = (result: WorkflowResult) =>
  result.status === "Completed" ? Effect.void : Effect.fail(
    new CliError({
      message: `execution ${result.executionId} ended ${result.status}${
        result.errorMessage === undefined ? "" : `: ${result.errorMessage}`
      }`,
      exitCode: result.status === "Cancelled" ? 3 : 1
    })
  )

export const run = Command.make("run", {
  storage: storageOption,
  json: jsonOption,
  input: Options.text("input").pipe(Options.withDescription("the execution's input, a JSON object"), Options.optional),
  timeout: Options.text("timeout").pipe(
    Options.withDescription("cancel the execution after this long (it ends Cancelled: exit 3)"),
    Options.optional
  ),
  follow: Options.boolean("follow").pipe(Options.withAlias("f"), Options.withDescription("draw its progress live")),
  module: Args.text({ name: "module" }),
  workflow: Args.text({ name: "workflow" })
}, (o) =>
  Effect.gen(function*() {
    const json = yield* wantsJson(o.json)
    const input = Option.isSome(o.input) ? yield* parseJsonObject("--input", o.input.value) : {}
    const timeout = Option.isSome(o.timeout) ? yield* parseDuration("timeout", o.timeout.value) : undefined
    const loaded = yield* loadModule(o.module)
    const workflow = yield* pickWorkflow(loaded, o.workflow)
    const result = yield* withRunner(
      o.storage,
      "work",
      Effect.gen(function*() {
        const runner = yield* Runner
        const handle = yield* runner.submit(workflow as Workflow<never>, input, { executionTimeout: timeout })
        if (o.follow) {
          yield* followExecution(handle.executionId, { json, also: Stream.catchAll(handle.events, () => Stream.empty) })
          return yield* handle.result
        }
        if (!json) yield* Console.log(`execution ${handle.executionId} (${workflow.name}) submitted`)
        const result = yield* handle.result
        if (json) yield* printJson(result)
        else yield* printLines(renderExecution(stdoutStyle(), yield* executionView(handle.executionId), Date.now()))
        return result
      }),
      { workflows: loaded.workflows, recover: false }
    )
    yield* outcome(result)
  })).pipe(
    Command.withDescription("run a workflow of a module here, and wait for its end (exit 0, 1 failed, 3 cancelled)")
  )
