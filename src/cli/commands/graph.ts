/** `sluice graph <module>`: a module's workflows as Mermaid (default) or Graphviz dot. */
import { Args, Command, Options } from "@effect/cli"
import { Effect, Option } from "effect"
import { toMermaid } from "../../Workflow.js"
import { loadModule, pickWorkflow } from "../module.js"
import { jsonOption, wantsJson } from "../options.js"
import { printJson, printLines } from "../output.js"
import { toDot } from "../render/graph.js"

export const graph = Command.make("graph", {
  json: jsonOption,
  workflow: Options.text("workflow").pipe(Options.withDescription("only this workflow"), Options.optional),
  format: Options.choice("format", ["mermaid", "dot"]).pipe(Options.withDefault("mermaid" as const)),
  module: Args.text({ name: "module" })
}, (o) =>
  Effect.gen(function*() {
    const json = yield* wantsJson(o.json)
    const loaded = yield* loadModule(o.module)
    const workflows = Option.isSome(o.workflow) ? [yield* pickWorkflow(loaded, o.workflow.value)] : loaded.workflows
    if (json) {
      return yield* printJson(workflows.map((w) => ({
        name: w.name,
        version: w.version,
        tasks: w.tasks.map((t) => ({ id: t.id, dependencies: t.dependencies })),
        [o.format]: o.format === "dot" ? toDot(w) : toMermaid(w)
      })))
    }
    yield* printLines(
      workflows.map((w) =>
        o.format === "dot" ? toDot(w) : workflows.length === 1 ? toMermaid(w) : `%% ${w.name}\n${toMermaid(w)}`
      ).join("\n\n").split("\n")
    )
  })).pipe(Command.withDescription("a module's workflows as a graph: Mermaid or dot"))
