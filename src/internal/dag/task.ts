/**
 * What a task is, as a value: its identity, dependencies, body and how it runs. `Task.ts` holds
 * the constructors; the model lives here so that the constructors of the waiting tasks and the
 * typed ones share it without an import cycle.
 */
import { Duration, Either } from "effect"
import type * as Effect from "effect/Effect"
import { WorkflowDefinitionError } from "../../Errors.js"
import * as RetryPolicy from "../../RetryPolicy.js"
import type { TaskContext, TaskOutput } from "../../TaskContext.js"
import * as TriggerRule from "../../TriggerRule.js"
import { decodeDuration } from "../duration.js"
import type { Json } from "./json.js"

/**
 * @since 0.1.0
 * @category symbols
 */
export const TypeId: unique symbol = Symbol.for("sluice/Task")

/**
 * A task whose Effect body needs the services `R`; with a typed output (`output` schema), `A` is
 * what it produces. `Id` is its id and `Upstream` the ids of the tasks upstream of it, as far as
 * TypeScript can see them (`string`: any), so that `ctx.output` reads only upstream tasks.
 *
 * @since 0.1.0
 * @category models
 */
export interface Task<
  out R = never,
  out A = unknown,
  out Id extends string = string,
  out Upstream extends string = string
> {
  readonly [TypeId]: {
    readonly _R: (_: never) => R
    readonly _A: (_: never) => A
    readonly _Upstream: (_: never) => Upstream
  }
  readonly id: Id
  readonly description: string | undefined
  /** Ids of the tasks this one waits for, in declaration order (the order their contexts merge). */
  readonly dependencies: ReadonlyArray<string>
  readonly run: (ctx: TaskContext) => Body<R>
  readonly retry: RetryPolicy.RetryPolicy
  /** Per-attempt timeout in milliseconds. */
  readonly timeoutMs: number | undefined
  /** Among its execution's ready tasks, higher starts first (absent: 0). */
  readonly priority?: number | undefined
  /** At most `limit` attempts with one key at once (see runner/keys.ts). */
  readonly concurrency?: TaskConcurrency | undefined
  /** At most `limit` attempts with one key per `perMs` (a token bucket, see runner/rates.ts). */
  readonly rateLimit?: TaskRateLimit | undefined
  readonly triggerRule: TriggerRule.TriggerRule
  readonly onSuccess: ((taskId: string, ctx: TaskContext) => unknown) | undefined
  readonly onFailure: ((taskId: string, error: unknown, ctx: TaskContext) => unknown) | undefined
  /** A durable wait before the task runs (or instead of a body): see `sleep`, `waitForSignal`, `deferUntil`. */
  readonly wait: Wait | undefined
  /** Its typed output: what `run` returns, stored under its id with the schema. */
  readonly output: TaskOutput<A> | undefined
}

/**
 * A durable wait, held by the execution's supervisor without a concurrency permit and stored,
 * so that it survives a restart or a move to another runner.
 * - `Sleep`: the task completes at `until` (computed from its input context when it is reached).
 * - `Signal`: the task completes when `runner.signal(executionId, signal, payload)` arrives (before
 *   or after it is reached), with the payload in its context under the signal's name; it fails
 *   after `timeoutMs`.
 * - `Defer`: the body runs once `check` holds, asked every `everyMs`.
 * - `Map`: the task completes with the items' results, in item order, under its id, once every
 *   item ran (each retried and recorded on its own); it fails when an item fails for good.
 * - `Child`: the task completes when a child execution of `workflow` ends `Completed` (its final
 *   context becomes the task's output, under the task's id), and fails when it ends otherwise.
 *
 * @since 0.4.0
 * @category models
 */
export type Wait =
  | { readonly _tag: "Sleep"; readonly until: (ctx: TaskContext, now: number) => number; readonly describe: string }
  | {
    readonly _tag: "Signal"
    readonly signal: string
    /** The payload as it is stored: checked (and encoded back) with the task's schema. */
    readonly decode: (payload: unknown) => Either.Either<Json, string>
    readonly timeoutMs: number | undefined
    readonly describe: string
  }
  | {
    readonly _tag: "Defer"
    readonly check: (ctx: TaskContext) => unknown
    readonly everyMs: number
    readonly describe: string
  }
  | {
    /** A durable fan-out (`Task.map`): `run` once per item of `over(ctx)`, each recorded. */
    readonly _tag: "Map"
    readonly over: (ctx: TaskContext) => ReadonlyArray<unknown>
    readonly run: (item: any, ctx: TaskContext) => unknown
    readonly concurrency: number | undefined
    readonly retry: RetryPolicy.RetryPolicy
    readonly timeoutMs: number | undefined
    readonly failFast: boolean
    readonly describe: string
  }
  | {
    /** A child execution of another workflow (`Task.workflow`), started once, awaited. */
    readonly _tag: "Child"
    readonly workflow: string
    /** The child's input, from the task's context. */
    readonly input: (ctx: TaskContext) => unknown
    readonly describe: string
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

/** The phantom type marker, shared: one object for every task. */
export const variance = { _R: (_: never) => _, _A: (_: never) => _, _Upstream: (_: never) => _ }

export const invalidOption = (id: string, detail: string): never => {
  throw new WorkflowDefinitionError({ reason: "InvalidOption", taskId: id, detail: `task "${id}": ${detail}` })
}

/** A task's concurrency limit, as `Task.make` checked it: its name (default: the task's id). */
export interface TaskConcurrency {
  readonly name: string
  readonly key: string | ((ctx: TaskContext) => string)
  readonly limit: number
}

/** A workflow's concurrency limit, as `Workflow.make` checked it: keyed by the input (default name: the workflow's). */
export interface WorkflowConcurrency {
  readonly name: string
  readonly key: string | ((input: Record<string, unknown>) => string)
  readonly limit: number
}

/** A task's rate limit, as `Task.make` checked it: a bucket of `limit` tokens refilled over `perMs`. */
export interface TaskRateLimit {
  readonly name: string
  readonly key: string | ((ctx: TaskContext) => string)
  readonly limit: number
  readonly perMs: number
}

/** The common options of the waiting tasks (sleeps, signal waits, children, maps). */
export interface WaitOptions {
  readonly id: string
  readonly description?: string | undefined
  readonly dependencies?: ReadonlyArray<Task<any> | string> | undefined
  readonly triggerRule?: TriggerRule.TriggerRule | undefined
}

/** A task that is a durable wait: no body of its own (the supervisor ends it). */
export const waiting = (options: WaitOptions, wait: Wait): Task<never> => {
  const { id } = options
  if (typeof id !== "string") invalidOption(String(id), "id must be a string")
  return {
    [TypeId]: variance,
    id,
    description: options.description,
    dependencies: (options.dependencies ?? []).map((d) => typeof d === "string" ? d : d.id),
    run: () => undefined,
    retry: RetryPolicy.none,
    timeoutMs: undefined,
    triggerRule: options.triggerRule ?? TriggerRule.noneFailed,
    onSuccess: undefined,
    onFailure: undefined,
    wait,
    output: undefined
  }
}

/** A task's (or a map item's) retry policy and per-attempt timeout, checked as `Task.make` does. */
export const retryAndTimeout = (
  id: string,
  options: {
    readonly retry?: RetryPolicy.RetryPolicy | undefined
    readonly timeout?: Duration.DurationInput | undefined
  }
): { readonly retry: RetryPolicy.RetryPolicy; readonly timeoutMs: number | undefined } => {
  const retry = options.retry ?? RetryPolicy.none
  if (!RetryPolicy.isRetryPolicy(retry)) invalidOption(id, "retry must be a RetryPolicy")
  let timeoutMs: number | undefined
  if (options.timeout !== undefined) {
    const decoded = decodeDuration(options.timeout, { positive: true })
    if (Either.isLeft(decoded)) invalidOption(id, `timeout ${decoded.left}`)
    else timeoutMs = Duration.toMillis(decoded.right)
  }
  return { retry, timeoutMs }
}

/** A task's `concurrency` option, checked: a key (string or function) and an integer limit ≥ 1. */
export const checkConcurrency = (
  id: string,
  given: { readonly key?: unknown; readonly limit?: unknown; readonly name?: unknown } | undefined,
  option = "concurrency"
): TaskConcurrency | undefined => {
  const checked = checkKeyLimit<TaskContext>(given, option, "context", (detail) => invalidOption(id, detail))
  return checked === undefined ? undefined : { ...checked, name: checked.name ?? id }
}

/**
 * `{ key, limit, name? }` (a task's or a workflow's `concurrency`, a task's `rateLimit`), checked:
 * a key (a string, or a function of the `of`), an integer limit ≥ 1, a non-empty name if given.
 */
export const checkKeyLimit = <A>(
  given: { readonly key?: unknown; readonly limit?: unknown; readonly name?: unknown } | undefined,
  option: string,
  of: string,
  fail: (detail: string) => never
):
  | { readonly name: string | undefined; readonly key: string | ((arg: A) => string); readonly limit: number }
  | undefined =>
{
  if (given === undefined) return undefined
  if (typeof given !== "object" || given === null) fail(`${option} must be { key, limit }`)
  const { key, limit, name } = given
  if (typeof key !== "string" && typeof key !== "function") {
    fail(`${option}.key must be a string or a function of the ${of}`)
  }
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1) {
    fail(`${option}.limit must be an integer ≥ 1, got ${String(limit)}`)
  }
  if (name !== undefined && (typeof name !== "string" || name.length === 0)) {
    fail(`${option}.name must be a non-empty string`)
  }
  return { name: name as string | undefined, key: key as string | ((arg: A) => string), limit: limit as number }
}

/** A task's `rateLimit` option, checked: a key, an integer limit ≥ 1, a positive `per`. */
export const checkRateLimit = (
  id: string,
  given:
    | { readonly key?: unknown; readonly limit?: unknown; readonly per?: unknown; readonly name?: unknown }
    | undefined,
  perMs: (value: unknown) => number
): TaskRateLimit | undefined => {
  if (given === undefined) return undefined
  if (typeof given !== "object" || given === null) invalidOption(id, "rateLimit must be { key, limit, per }")
  const { name, per } = given
  const { key, limit } = checkConcurrency(id, { key: given.key, limit: given.limit, name }, "rateLimit")!
  return { name: (name as string | undefined) ?? id, key, limit, perMs: perMs(per) }
}
