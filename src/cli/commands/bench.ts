/**
 * `sluice bench <module> <workflow>`: the user's own workflow run again and again on a runner
 * here, measured as `npm run bench` measures sluice's (see operator/bench.ts): latency
 * quantiles, workflows/s, and the engine's overhead over the critical path of the task bodies.
 *
 * It writes hundreds of executions, so it runs only on a storage named for it: its own
 * `--storage` (after `bench`), SQLite `:memory:` by default. `SLUICE_STORAGE` is not read (it
 * names the operator's real database for the other commands), and a `--storage` before the
 * subcommand is refused. The storage is printed with its password masked.
 */
import { Args, Command, Options } from "@effect/cli"
import { Effect, Option } from "effect"
import { bench as measure } from "../../operator/bench.js"
import { usage } from "../errors.js"
import { loadModule, pickWorkflow } from "../module.js"
import { jsonOption, parseJsonObject, wantsJson } from "../options.js"
import { printJson, printLines } from "../output.js"
import { root } from "../root.js"
import { open } from "../storage.js"

const count = (name: string, fallback: number, description: string) =>
  Options.integer(name).pipe(Options.withDescription(description), Options.withDefault(fallback))

/** A storage URL for output: its password (in the authority or `?password=`) masked. */
export const maskPassword = (url: string): string =>
  url
    .replace(/^([a-z][a-z0-9+.-]*:\/\/[^/?#@:]*:)[^/?#@]*@/i, "$1***@")
    .replace(/([?&]password=)[^&#]*/gi, "$1***")

const ms = (n: number) => n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : n.toFixed(0)

export const bench = Command.make("bench", {
  storage: Options.text("storage").pipe(
    Options.withPseudoName("url"),
    Options.withDescription("storage to bench on (not $SLUICE_STORAGE: bench writes hundreds of executions)"),
    Options.withDefault("sqlite://:memory:")
  ),
  json: jsonOption,
  runs: count("runs", 100, "executions measured"),
  concurrency: count("concurrency", 1, "executions in flight at once"),
  warmup: count("warmup", 100, "executions run first, not measured (the JIT warms up)"),
  input: Options.text("input").pipe(
    Options.withDescription("every execution's input, a JSON object"),
    Options.optional
  ),
  module: Args.text({ name: "module" }),
  workflow: Args.text({ name: "workflow" })
}, (o) =>
  Effect.gen(function*() {
    const json = yield* wantsJson(o.json)
    if (Option.isSome((yield* root).storage)) {
      return yield* usage(
        "bench runs only on a storage given after it (sluice bench … --storage <url>; default sqlite://:memory:)"
      )
    }
    for (
      const [name, value, least] of [["runs", o.runs, 1], ["concurrency", o.concurrency, 1], [
        "warmup",
        o.warmup,
        0
      ]] as const
    ) {
      if (value < least) return yield* usage(`--${name}: must be at least ${least}, got ${value}`)
    }
    const input = Option.isSome(o.input) ? yield* parseJsonObject("--input", o.input.value) : {}
    const loaded = yield* loadModule(o.module)
    const workflow = yield* pickWorkflow(loaded, o.workflow)
    const url = o.storage
    const shown = maskPassword(url)
    const report = yield* measure(workflow, { runs: o.runs, concurrency: o.concurrency, warmup: o.warmup, input }).pipe(
      Effect.provide(open(url, "work", { workflows: loaded.workflows, recover: false }))
    )
    if (json) return yield* printJson({ storage: shown, ...report })
    const { latency } = report
    yield* printLines([
      `${report.workflow} (${report.tasks} tasks) on ${shown}: ${report.runs} runs, ${report.concurrency} at a time`,
      `  latency     p50 ${ms(latency.p50)} ms   p90 ${ms(latency.p90)} ms   p99 ${ms(latency.p99)} ms   max ${
        ms(latency.max)
      } ms`,
      `  throughput  ${report.workflowsPerSecond.toFixed(0)} workflows/s`,
      `  overhead    ${ms(report.overheadMs)} ms an execution (${
        report.overheadPerTaskUs.toFixed(0)
      } µs a task) over a critical path of ${ms(report.criticalPathMs)} ms`,
      `  failed      ${report.failed} of ${report.runs}`
    ])
  })).pipe(
    Command.withDescription("run a workflow of a module many times; latency, workflows/s, the engine's overhead")
  )
