/**
 * The tasks that run more than one body: `Task.workflow` (a child execution of another workflow)
 * and `Task.map` (a body per item of a list known only at run time). Both are durable waits of
 * their task: the supervisor runs them (runner/waits.ts, runner/map.ts) without a permit of
 * their own, and the state machine ends the task when they end. Re-exported by `Task`.
 */
import type { Duration } from "effect"
import type * as RetryPolicy from "../../RetryPolicy.js"
import type { TaskContext } from "../../TaskContext.js"
import type { Task, WaitOptions } from "./task.js"
import { invalidOption, retryAndTimeout, waiting } from "./task.js"

/**
 * @since 0.5.0
 * @category models
 */
export interface WorkflowOptions extends WaitOptions {
  /** The workflow the child runs: a workflow value or the name of one, registered on the runners. */
  readonly workflow: { readonly name: string } | string
  /** The child's input: an object, or one computed from the task's context (default: the context). */
  readonly input?: Record<string, unknown> | ((ctx: TaskContext) => Record<string, unknown>) | undefined
}

/**
 * Runs another workflow as a child execution: started once when the task is reached (also across
 * restarts and take-overs), listed with `parentExecutionId`, cancelled, paused and resumed with
 * its parent. When it ends `Completed`, its final context is the task's output, under the task's
 * id; when it ends otherwise, the task fails. Waiting for it holds no permit.
 *
 * @example
 * const ship = Task.workflow({ id: "ship", dependencies: [pack], workflow: shipping, input: (ctx) => ({ order: ctx.get("order") }) })
 *
 * @since 0.5.0
 * @category constructors
 */
export const workflow = (options: WorkflowOptions): Task<never> => {
  const { id } = options
  const name = typeof options.workflow === "string" ? options.workflow : options.workflow?.name
  if (typeof name !== "string" || name.length === 0) {
    invalidOption(String(id), "workflow must be a workflow or its name")
  }
  const given = options.input
  if (given !== undefined && typeof given !== "function" && (typeof given !== "object" || given === null)) {
    invalidOption(id, "input must be an object or a function of the context")
  }
  const input = typeof given === "function"
    ? given
    : given === undefined
    ? (ctx: TaskContext) => ctx.toJSON()
    : () => given
  return waiting(options, { _tag: "Child", workflow: name, input, describe: `child ${name}` })
}

/**
 * @since 0.5.0
 * @category models
 */
export interface MapOptions<I> extends WaitOptions {
  /** The items, from the task's context when it is reached: a JSON array (the same after a restart). */
  readonly over: (ctx: TaskContext) => ReadonlyArray<I>
  /** Runs once per item (retried on its own); returns the item's result (JSON). */
  readonly run: (item: I, ctx: TaskContext) => unknown
  /** At most this many items at once (default: the runner's `maxConcurrentTasks`). */
  readonly concurrency?: number | undefined
  /** Per item. */
  readonly retry?: RetryPolicy.RetryPolicy | undefined
  /** Per item attempt. */
  readonly timeout?: Duration.DurationInput | undefined
  /** Fail the task at the first item that fails for good (default: once the others finish). */
  readonly failFast?: boolean | undefined
}

/**
 * A durable fan-out whose width the data decides: `run(item, ctx)` once per item of `over(ctx)`,
 * each retried and recorded on its own (after a crash only items not recorded run again). The
 * task's output is the results, in item order, under its id. Items are data, not tasks: a map
 * over a million items is one task of the DAG.
 *
 * @example
 * const resize = Task.map({ id: "thumbs", dependencies: [list], over: (ctx) => ctx.get("images") as Array<string>, run: (url) => thumbnail(url), concurrency: 8 })
 *
 * @since 0.5.0
 * @category constructors
 */
export const map = <I>(options: MapOptions<I>): Task<never> => {
  const { id } = options
  if (typeof options.over !== "function") invalidOption(String(id), "over must be a function")
  if (typeof options.run !== "function") invalidOption(id, "run must be a function")
  const { concurrency } = options
  if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 1)) {
    invalidOption(id, `concurrency must be an integer ≥ 1, got ${String(concurrency)}`)
  }
  const { retry, timeoutMs } = retryAndTimeout(id, options)
  const failFast = options.failFast === true
  return waiting(options, {
    _tag: "Map",
    over: options.over,
    run: options.run,
    concurrency,
    retry,
    timeoutMs,
    failFast,
    describe: `map ${concurrency ?? ""} ${retry.description} ${timeoutMs ?? ""} ${failFast}`
  })
}
