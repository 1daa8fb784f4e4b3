/**
 * A task: one unit of work with its dependencies, and how it is run (retries, timeout, trigger
 * rule, callbacks). Tasks are values: build them in loops, share them between workflows.
 *
 * @since 0.1.0
 */
import { Duration, Either } from "effect"
import type * as Effect from "effect/Effect"
import { WorkflowDefinitionError } from "./Errors.js"
import { decodeDuration } from "./internal/duration.js"
import * as RetryPolicy from "./RetryPolicy.js"
import type { TaskContext } from "./TaskContext.js"
import * as TriggerRule from "./TriggerRule.js"

/**
 * @since 0.1.0
 * @category symbols
 */
export const TypeId: unique symbol = Symbol.for("sluice/Task")

/**
 * A task whose Effect body needs the services `R`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Task<out R = never> {
  readonly [TypeId]: { readonly _R: (_: never) => R }
  readonly id: string
  readonly description: string | undefined
  /** Ids of the tasks this one waits for, in declaration order (the order their contexts merge). */
  readonly dependencies: ReadonlyArray<string>
  readonly run: (ctx: TaskContext) => Body<R>
  readonly retry: RetryPolicy.RetryPolicy
  /** Per-attempt timeout in milliseconds. */
  readonly timeoutMs: number | undefined
  readonly triggerRule: TriggerRule.TriggerRule
  readonly onSuccess: ((taskId: string, ctx: TaskContext) => unknown) | undefined
  readonly onFailure: ((taskId: string, error: unknown, ctx: TaskContext) => unknown) | undefined
}

/**
 * What a body returns: an Effect needing `R`, a Promise, or anything else (a sync body).
 *
 * @since 0.2.0
 * @category models
 */
export type Body<R> = Effect.Effect<unknown, unknown, R> | PromiseLike<unknown> | void

/**
 * The services an Effect body needs, from its return type.
 *
 * @since 0.1.0
 * @category models
 */
export type Requirements<Ret> = Ret extends Effect.Effect<any, any, infer R> ? R : never

/**
 * @since 0.1.0
 * @category models
 */
export interface Options<Ret> {
  readonly id: string
  readonly description?: string | undefined
  /** Task values or task ids. */
  readonly dependencies?: ReadonlyArray<Task<any> | string> | undefined
  /** A plain function, an async function, or a function returning an Effect. */
  readonly run: (ctx: TaskContext) => Ret
  readonly retry?: RetryPolicy.RetryPolicy | undefined
  /** Per attempt: the attempt's fiber is interrupted (finalizers run) and the attempt fails. */
  readonly timeout?: Duration.DurationInput | undefined
  readonly triggerRule?: TriggerRule.TriggerRule | undefined
  /** After each successful attempt. An error here is logged and changes nothing. */
  readonly onSuccess?: ((taskId: string, ctx: TaskContext) => unknown) | undefined
  /** After each failed attempt. An error here is logged and changes nothing. */
  readonly onFailure?: ((taskId: string, error: unknown, ctx: TaskContext) => unknown) | undefined
}

/** The phantom type marker, shared: one object for every task. */
const variance = { _R: (_: never) => _ }

const invalidOption = (id: string, detail: string): never => {
  throw new WorkflowDefinitionError({ reason: "InvalidOption", taskId: id, detail: `task "${id}": ${detail}` })
}

/**
 * Makes a task. Its id is checked when a workflow is made from it; its options are checked here
 * and a bad one throws `WorkflowDefinitionError` with reason `InvalidOption`.
 *
 * @example
 * const extract = Task.make({ id: "extract", run: (ctx) => { ctx.set("rows", [1, 2, 3]) } })
 * const load = Task.make({ id: "load", dependencies: [extract], run: async (ctx) => save(ctx.get("rows")) })
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <Ret>(options: Options<Ret>): Task<Requirements<Ret>> => {
  const id = options.id
  if (typeof options.run !== "function") invalidOption(String(id), "run must be a function")
  const retry = options.retry ?? RetryPolicy.none
  if (!RetryPolicy.isRetryPolicy(retry)) invalidOption(id, "retry must be a RetryPolicy")
  let timeoutMs: number | undefined
  if (options.timeout !== undefined) {
    const decoded = decodeDuration(options.timeout, { positive: true })
    if (Either.isLeft(decoded)) invalidOption(id, `timeout ${decoded.left}`)
    else timeoutMs = Duration.toMillis(decoded.right)
  }
  for (const cb of ["onSuccess", "onFailure"] as const) {
    if (options[cb] !== undefined && typeof options[cb] !== "function") invalidOption(id, `${cb} must be a function`)
  }
  const dependencies = (options.dependencies ?? []).map((d) => typeof d === "string" ? d : d.id)
  return {
    [TypeId]: variance,
    id,
    description: options.description,
    dependencies,
    // The one place the body's type is widened: `R` was inferred from what `run` returns.
    run: options.run as (ctx: TaskContext) => Body<Requirements<Ret>>,
    retry,
    timeoutMs,
    triggerRule: options.triggerRule ?? TriggerRule.noneFailed,
    onSuccess: options.onSuccess,
    onFailure: options.onFailure
  }
}

/**
 * @since 0.1.0
 * @category guards
 */
export const isTask = (u: unknown): u is Task<unknown> => typeof u === "object" && u !== null && TypeId in u
