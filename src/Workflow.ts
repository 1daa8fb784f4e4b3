/**
 * A workflow: a named, validated DAG of tasks. Workflows are values: make them in loops, from
 * data, or from the tasks of other workflows.
 *
 * @since 0.1.0
 */
import { Effect, Either, ParseResult, Schema } from "effect"
import { createHash } from "node:crypto"
import { WorkflowDefinitionError } from "./Errors.js"
import type { Graph } from "./internal/dag/graph.js"
import { compile } from "./internal/dag/graph.js"
import type { WorkflowConcurrency } from "./internal/dag/task.js"
import { checkKeyLimit } from "./internal/dag/task.js"
import type { WorkflowDefinition } from "./internal/storage/service.js"
import type { Task } from "./Task.js"
import * as TriggerRule from "./TriggerRule.js"

/**
 * @since 0.1.0
 * @category symbols
 */
export const TypeId: unique symbol = Symbol.for("sluice/Workflow")

/**
 * A workflow whose tasks need the services `R` (to be provided to the runner's layer).
 *
 * @since 0.1.0
 * @category models
 */
export interface Workflow<out R = never, out O = unknown> {
  readonly [TypeId]: { readonly _R: (_: never) => R; readonly _O: (_: never) => O }
  readonly name: string
  readonly description: string | undefined
  readonly tags: ReadonlyArray<string>
  /** In declaration order. */
  readonly tasks: ReadonlyArray<Task<R>>
  /**
   * The version its executions are pinned to: the one given to `make`, else a content hash of the
   * definition (the same definition always gives the same version).
   */
  readonly version: string
  /** @internal */
  readonly graph: Graph
  /** Its typed final output: the final context decoded with the `output` schema given to `make`. */
  readonly output: WorkflowOutput<O> | undefined
  /** At most `limit` executions per key at once (see `Options`). */
  readonly concurrency?: WorkflowConcurrency | undefined
}

/**
 * A workflow's typed final output: decodes the final context (a failure says why).
 *
 * @since 0.5.0
 * @category models
 */
export interface WorkflowOutput<out O> {
  readonly decode: (finalContext: unknown) => Either.Either<O, string>
  readonly describe: string
}

/**
 * The services the tasks of a workflow need.
 *
 * @since 0.1.0
 * @category models
 */
export type Requirements<W> = W extends Workflow<infer R> ? R : never

/**
 * @since 0.1.0
 * @category models
 */
export interface Options<Tasks extends ReadonlyArray<Task<unknown>>, O = unknown, I = unknown> {
  readonly name: string
  /**
   * The final output's schema: an execution that completes has `result.output`, its final context
   * decoded (typed `O`); a final context the schema refuses fails the execution, saying why.
   */
  readonly output?: Schema.Schema<O, I> | undefined
  readonly description?: string | undefined
  readonly tags?: ReadonlyArray<string> | undefined
  readonly tasks: Tasks
  /**
   * The version executions started on this definition are pinned to. By default a hash of the
   * DAG (ids, dependencies, rules, retries, timeouts, waits, output schemas — not the bodies): a
   * changed DAG makes a new version, and an execution started on the old one waits for a runner
   * that has it; a changed body keeps the version. Name versions yourself ("2", "2024-06-01") to
   * decide otherwise (a body whose change must not reach running executions).
   */
  readonly version?: string | undefined
  /**
   * At most `limit` executions with the same key run at once (`key`: a string, or a function of
   * the input, e.g. the tenant), across the runners of one PostgreSQL database. An execution
   * waiting for its key runs no task and holds no permit; one that only waits (a sleep, a signal)
   * gives its slot back and takes one again to go on. `name` (default: the workflow's name) is
   * what `runner.setConcurrencyLimit` and `runner.concurrency()` call it.
   */
  readonly concurrency?: {
    readonly key: string | ((input: Record<string, unknown>) => string)
    readonly limit: number
    readonly name?: string | undefined
  } | undefined
}

type TaskRequirements<T> = T extends Task<infer R> ? R : never

/** The phantom type marker, shared by every workflow. */
const variance = { _R: (_: never) => _, _O: (_: never) => _ }

/**
 * The version: a hash of the DAG (ids, dependencies in their order, rules, retries, timeouts,
 * waits, output schemas), taken in task-id order so that listing the same tasks in another order
 * gives the same version. Not the bodies' source: it differs between builds of the same code (a
 * bundler, a test runner), and runner processes of one deployment must agree on the version.
 */
const hashDefinition = (name: string, tasks: ReadonlyArray<Task<unknown>>, output?: string): string => {
  const hash = createHash("sha256")
  hash.update(name)
  // Only when there is one: the versions of workflows without a typed output stay as they were.
  if (output !== undefined) hash.update(`output ${output}`)
  for (const t of [...tasks].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    hash.update(
      JSON.stringify([
        t.id,
        t.dependencies,
        TriggerRule.describe(t.triggerRule),
        t.retry.description,
        t.timeoutMs ?? null,
        // Only when there is one: the versions of workflows without waits stay as they were.
        ...(t.wait === undefined ? [] : [t.wait.describe]),
        ...(t.output === undefined ? [] : [`output ${String(t.output.key.schema.ast)}`])
      ])
    )
  }
  return hash.digest("hex").slice(0, 16)
}

const checkVersion = (options: Options<ReadonlyArray<Task<unknown>>, any, any>): string => {
  const { version } = options
  if (typeof version === "string" && /^[^\s/]{1,100}$/.test(version)) return version
  throw new WorkflowDefinitionError({
    reason: "InvalidOption",
    workflowName: options.name,
    detail: `version must be 1 to 100 characters without spaces or "/", got ${JSON.stringify(version)}`
  })
}

/**
 * Makes and validates a workflow. Throws `WorkflowDefinitionError` (with `reason` one of
 * `EmptyWorkflow`, `InvalidWorkflowName`, `InvalidTaskId`, `DuplicateTaskId`,
 * `UnknownDependency`, `Cycle` (with the cycle's path), `InvalidTriggerRule`).
 * The same task value listed twice counts once.
 *
 * @example
 * const etl = Workflow.make({ name: "etl", tasks: [extract, transform, load] })
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <const Tasks extends ReadonlyArray<Task<unknown>>, O = unknown, I = unknown>(
  options: Options<Tasks, O, I>
): Workflow<TaskRequirements<Tasks[number]>, O> => {
  // Each task needs some of the workflow's requirements: the union is what the workflow needs.
  const tasks = [...new Set(options.tasks ?? [])] as Array<Task<TaskRequirements<Tasks[number]>>>
  const graph = compile(options.name, tasks)
  const output = outputOf(options)
  const concurrency = concurrencyOf(options)
  return {
    [TypeId]: variance,
    name: options.name,
    description: options.description,
    tags: options.tags ?? [],
    tasks,
    version: options.version === undefined
      ? hashDefinition(options.name, tasks, output?.describe)
      : checkVersion(options),
    graph,
    output,
    ...(concurrency === undefined ? {} : { concurrency })
  }
}

const concurrencyOf = (
  options: Pick<Options<ReadonlyArray<Task<unknown>>>, "name" | "concurrency">
): WorkflowConcurrency | undefined => {
  const checked = checkKeyLimit<Record<string, unknown>>(options.concurrency, "concurrency", "input", (detail) => {
    throw new WorkflowDefinitionError({ reason: "InvalidOption", workflowName: options.name, detail })
  })
  return checked === undefined ? undefined : { ...checked, name: checked.name ?? options.name }
}

const outputOf = <O, I>(options: Options<ReadonlyArray<Task<unknown>>, O, I>): WorkflowOutput<O> | undefined => {
  const { output } = options
  if (output === undefined) return undefined
  if (!Schema.isSchema(output)) {
    throw new WorkflowDefinitionError({
      reason: "InvalidOption",
      workflowName: options.name,
      detail: "output must be a Schema"
    })
  }
  const decode = Schema.decodeUnknownEither(output)
  return {
    decode: (finalContext) => Either.mapLeft(decode(finalContext), (e) => ParseResult.TreeFormatter.formatErrorSync(e)),
    describe: String(output.ast)
  }
}

/**
 * `make` as an Effect: fails with `WorkflowDefinitionError` instead of throwing.
 *
 * @since 0.1.0
 * @category constructors
 */
export const validate = <const Tasks extends ReadonlyArray<Task<unknown>>, O = unknown, I = unknown>(
  options: Options<Tasks, O, I>
): Effect.Effect<Workflow<TaskRequirements<Tasks[number]>, O>, WorkflowDefinitionError> =>
  Effect.try({
    try: () => make(options),
    catch: (e) =>
      e instanceof WorkflowDefinitionError
        ? e
        : new WorkflowDefinitionError({ reason: "InvalidOption", workflowName: options.name, detail: String(e) })
  })

/**
 * @since 0.1.0
 * @category guards
 */
export const isWorkflow = (u: unknown): u is Workflow<unknown> => typeof u === "object" && u !== null && TypeId in u

const idsOf = (workflow: Workflow<unknown>, indices: ReadonlyArray<number>): Array<string> =>
  indices.map((i) => workflow.graph.ids[i])

/**
 * Task ids in an order where every task comes after its dependencies (level by level,
 * declaration order within a level).
 *
 * @since 0.1.0
 * @category inspection
 */
export const topologicalOrder = (workflow: Workflow<unknown>): Array<string> => idsOf(workflow, workflow.graph.topo)

/**
 * Task ids grouped by execution level: level 0 holds the roots, level k the tasks whose deepest
 * dependency is on level k-1. Tasks of one level can run in parallel.
 *
 * @since 0.1.0
 * @category inspection
 */
export const levels = (workflow: Workflow<unknown>): Array<Array<string>> =>
  workflow.graph.levels.map((level) => idsOf(workflow, level))

/**
 * Tasks without dependencies.
 *
 * @since 0.1.0
 * @category inspection
 */
export const roots = (workflow: Workflow<unknown>): Array<string> => idsOf(workflow, workflow.graph.roots)

/**
 * Tasks nothing depends on: their outputs make the final context.
 *
 * @since 0.1.0
 * @category inspection
 */
export const leaves = (workflow: Workflow<unknown>): Array<string> => idsOf(workflow, workflow.graph.leaves)

/**
 * The version executions of this workflow are pinned to: the one given to `make`, else the
 * content hash of the DAG (ids, dependencies, rules, retries, timeouts, waits, output schemas).
 *
 * @since 0.1.0
 * @category inspection
 */
export const version = (workflow: Workflow<unknown>): string => workflow.version

/**
 * A Mermaid `graph TD` of the workflow; tasks with a trigger rule other than the default show it.
 *
 * @since 0.1.0
 * @category inspection
 */
export const toMermaid = (workflow: Workflow<unknown>): string => {
  const { graph } = workflow
  const label = (i: number): string => {
    const task = workflow.tasks[i]
    const rule = task.triggerRule._tag === "NoneFailed" ? "" : `<br/><i>${TriggerRule.describe(task.triggerRule)}</i>`
    // Node names are positions: task ids may hold "-" or ".", which Mermaid reads as syntax.
    return `t${i}["${graph.ids[i]}${rule.replaceAll("\"", "'")}"]`
  }
  const lines = ["graph TD"]
  for (const i of graph.topo) {
    if (graph.deps[i].length === 0 && graph.succs[i].length === 0) lines.push(`  ${label(i)}`)
    for (const d of graph.deps[i]) lines.push(`  ${label(d)} --> ${label(i)}`)
  }
  return lines.join("\n")
}

/**
 * The workflow's shape as storage keeps it, once per version: ids, dependencies and rules.
 *
 * @since 0.2.0
 * @category conversions
 */
export const toDefinition = (workflow: Workflow<unknown>): WorkflowDefinition => ({
  name: workflow.name,
  version: workflow.version,
  description: workflow.description ?? null,
  tasks: workflow.tasks.map((t) => ({
    id: t.id,
    dependencies: t.dependencies,
    triggerRule: t.triggerRule,
    ...(t.wait?._tag === "Signal" ? { signal: t.wait.signal } : {})
  }))
})
