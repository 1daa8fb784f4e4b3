/**
 * A task: one unit of work with its dependencies, and how it is run (retries, timeout, trigger
 * rule, callbacks). Tasks are values: build them in loops, share them between workflows.
 *
 * @since 0.1.0
 */
import { Duration, Either, Schema } from "effect"
import type * as Effect from "effect/Effect"
import * as ContextKey from "./ContextKey.js"
import type { Json } from "./internal/dag/json.js"
import type { Body, Requirements, Task, Wait } from "./internal/dag/task.js"
import type { WaitOptions } from "./internal/dag/task.js"
import {
  checkConcurrency,
  checkRateLimit,
  invalidOption,
  retryAndTimeout,
  TypeId,
  variance,
  waiting
} from "./internal/dag/task.js"
import { decodeDuration } from "./internal/duration.js"
import * as RetryPolicy from "./RetryPolicy.js"
import type { TaskContext, TaskOutput } from "./TaskContext.js"
import * as TriggerRule from "./TriggerRule.js"

export type { MapOptions, WorkflowOptions } from "./internal/dag/nested.js"
export { map, workflow } from "./internal/dag/nested.js"
export type { Body, Requirements, Task, Wait } from "./internal/dag/task.js"
export { TypeId } from "./internal/dag/task.js"

/**
 * What a task depends on: task values or task ids.
 *
 * @since 0.5.0
 * @category models
 */
export type Dependencies = ReadonlyArray<Task<any, any, any, any> | string>

/**
 * The ids upstream of a task with these dependencies: each one's id and what is upstream of it;
 * `string` (any) as soon as one is given by id, which TypeScript cannot follow.
 *
 * @since 0.5.0
 * @category models
 */
export type UpstreamOf<Deps extends Dependencies> = Deps[number] extends infer D
  ? D extends string ? string : D extends Task<any, any, infer Id, infer Up> ? Id | Up : never
  : never

/**
 * @since 0.1.0
 * @category models
 */
export interface Options<Ret, Id extends string = string, Deps extends Dependencies = Dependencies> {
  readonly id: Id
  readonly description?: string | undefined
  /** Task values or task ids. */
  readonly dependencies?: Deps | undefined
  /** A plain function, an async function, or a function returning an Effect. */
  readonly run: (ctx: TaskContext<UpstreamOf<Deps>>) => Ret
  readonly retry?: RetryPolicy.RetryPolicy | undefined
  /** Per attempt: the attempt's fiber is interrupted (finalizers run) and the attempt fails. */
  readonly timeout?: Duration.DurationInput | undefined
  /** Among the ready tasks of its execution, higher starts first (default 0; a finite number). */
  readonly priority?: number | undefined
  /**
   * At most `limit` attempts with the same key at once on the runner (`key`: a string, or a
   * function of the task's context, e.g. the customer); a task waiting for its key holds no
   * permit. `name` (default: the task's id) is what `runner.setConcurrencyLimit` and
   * `runner.concurrency()` call it; tasks that give one name share its limits.
   */
  readonly concurrency?: {
    readonly key: string | ((ctx: TaskContext) => string)
    readonly limit: number
    readonly name?: string | undefined
  } | undefined
  /**
   * At most `limit` attempts with the same key per `per` (a token bucket holding `limit` tokens,
   * refilled evenly; shared by every runner on PostgreSQL, timed by the database's clock). A task
   * waiting for a token holds no permit. `name` as for `concurrency`.
   */
  readonly rateLimit?: {
    readonly key: string | ((ctx: TaskContext) => string)
    readonly limit: number
    readonly per: Duration.DurationInput
    readonly name?: string | undefined
  } | undefined
  readonly triggerRule?: TriggerRule.TriggerRule | undefined
  /** After each successful attempt. An error here is logged and changes nothing. */
  readonly onSuccess?: ((taskId: string, ctx: TaskContext) => unknown) | undefined
  /** After each failed attempt. An error here is logged and changes nothing. */
  readonly onFailure?: ((taskId: string, error: unknown, ctx: TaskContext) => unknown) | undefined
  /**
   * Waits, without holding a concurrency permit, until `check(ctx)` holds (sync, Promise or
   * Effect returning a boolean), asked every `every`; then the body runs. A check that throws
   * fails the task. Cloacina's `defer_until`.
   */
  readonly deferUntil?: {
    readonly check: (ctx: TaskContext) => unknown
    readonly every: Duration.DurationInput
  } | undefined
}

/**
 * A task with a typed output: `run` returns the value (plain, Promise or Effect), which is encoded
 * with `output`, stored in the context under the task's id, and read by dependents with
 * `ctx.output(task)`, decoded.
 *
 * @since 0.5.0
 * @category models
 */
export interface OutputOptions<A, I, R, Id extends string = string, Deps extends Dependencies = Dependencies>
  extends Omit<Options<unknown, Id, Deps>, "run">
{
  readonly output: Schema.Schema<A, I>
  readonly run: (
    ctx: TaskContext<UpstreamOf<Deps>>
  ) => Effect.Effect<NoInfer<A>, unknown, R> | PromiseLike<NoInfer<A>> | NoInfer<A>
}

/**
 * Makes a task. Its id is checked when a workflow is made from it; its options are checked here
 * and a bad one throws `WorkflowDefinitionError` with reason `InvalidOption`.
 *
 * @example
 * const extract = Task.make({ id: "extract", run: (ctx) => { ctx.set("rows", [1, 2, 3]) } })
 * const load = Task.make({ id: "load", dependencies: [extract], run: async (ctx) => save(ctx.get("rows")) })
 * // Typed: `run` returns the value; a dependent reads it with `ctx.output(count)`, a number.
 * const count = Task.make({ id: "count", dependencies: [extract], output: Schema.Number, run: () => 3 })
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: {
  <A, I, const Id extends string, R = never, const Deps extends Dependencies = readonly []>(
    options: OutputOptions<A, I, R, Id, Deps>
  ): Task<R, A, Id, UpstreamOf<Deps>>
  <Ret, const Deps extends Dependencies = readonly []>(options: Options<Ret, string, Deps>): Task<Requirements<Ret>>
} = (options: Options<unknown> & { readonly output?: Schema.Schema<any, any> }): Task<any, any, any, any> => {
  const id = options.id
  if (typeof options.run !== "function") invalidOption(String(id), "run must be a function")
  const { retry, timeoutMs } = retryAndTimeout(id, options)
  const { priority } = options
  if (priority !== undefined && (typeof priority !== "number" || !Number.isFinite(priority))) {
    invalidOption(id, `priority must be a finite number, got ${String(priority)}`)
  }
  const concurrency = checkConcurrency(id, options.concurrency)
  const rateLimit = checkRateLimit(id, options.rateLimit, (per) => positiveMs(id, "rateLimit.per", per))
  for (const cb of ["onSuccess", "onFailure"] as const) {
    if (options[cb] !== undefined && typeof options[cb] !== "function") invalidOption(id, `${cb} must be a function`)
  }
  let output: TaskOutput<unknown> | undefined
  if (options.output !== undefined) {
    if (!Schema.isSchema(options.output)) invalidOption(id, "output must be a Schema")
    output = { key: ContextKey.make(id, options.output), _A: (_: never) => _ }
  }
  const dependencies = (options.dependencies ?? []).map((d) => typeof d === "string" ? d : d.id)
  let wait: Wait | undefined
  if (options.deferUntil !== undefined) {
    const { check, every } = options.deferUntil
    if (typeof check !== "function") invalidOption(id, "deferUntil.check must be a function")
    const everyMs = positiveMs(id, "deferUntil.every", every)
    wait = { _tag: "Defer", check, everyMs, describe: `defer ${everyMs}` }
  }
  return {
    [TypeId]: variance,
    id,
    description: options.description,
    dependencies,
    // The one place the body's type is widened: `R` was inferred from what `run` returns.
    run: options.run as (ctx: TaskContext) => Body<unknown>,
    retry,
    timeoutMs,
    ...(priority === undefined || priority === 0 ? {} : { priority }),
    ...(concurrency === undefined ? {} : { concurrency }),
    ...(rateLimit === undefined ? {} : { rateLimit }),
    triggerRule: options.triggerRule ?? TriggerRule.noneFailed,
    onSuccess: options.onSuccess,
    onFailure: options.onFailure,
    wait,
    output
  }
}

const positiveMs = (id: string, option: string, value: unknown): number => {
  const decoded = decodeDuration(value as Duration.DurationInput, { positive: true })
  if (Either.isLeft(decoded)) return invalidOption(id, `${option} ${decoded.left}`)
  const ms = Duration.toMillis(decoded.right)
  return Number.isFinite(ms) ? ms : invalidOption(id, `${option} must be finite`)
}

/**
 * @since 0.4.0
 * @category models
 */
export type SleepOptions =
  & WaitOptions
  & (
    | { readonly duration: Duration.DurationInput; readonly until?: undefined }
    | {
      readonly duration?: undefined
      /** A time, or a time computed from the task's input context when it is reached. */
      readonly until: Date | number | ((ctx: TaskContext) => Date | number)
    }
  )

const toMillis = (id: string, value: unknown): number => {
  const ms = value instanceof Date ? value.getTime() : value
  if (typeof ms !== "number" || !Number.isFinite(ms)) {
    throw new Error(`task "${id}": until must be a Date or epoch milliseconds, got ${String(value)}`)
  }
  return ms
}

/**
 * A durable sleep: the task completes `duration` after it is reached, or at `until`. It holds no
 * permit while it sleeps; the due time is stored, so a restart or a move to another runner does
 * not start the sleep again.
 *
 * @example
 * const cool = Task.sleep({ id: "cool-down", dependencies: [charge], duration: "6 hours" })
 *
 * @since 0.4.0
 * @category constructors
 */
export const sleep = (options: SleepOptions): Task<never> => {
  const { id } = options
  if ((options.duration === undefined) === (options.until === undefined)) {
    invalidOption(id, "give one of duration and until")
  }
  let until: (ctx: TaskContext, now: number) => number
  let describe: string
  if (options.duration !== undefined) {
    const decoded = decodeDuration(options.duration, { positive: false })
    if (Either.isLeft(decoded)) invalidOption(id, `duration ${decoded.left}`)
    const ms = Duration.toMillis(Either.getOrThrow(decoded))
    if (!Number.isFinite(ms)) invalidOption(id, "duration must be finite")
    until = (_, now) => now + ms
    describe = `sleep ${ms}`
  } else {
    const at = options.until!
    if (typeof at === "function") until = (ctx) => toMillis(id, at(ctx))
    else {
      const ms = toMillis(id, at)
      until = () => ms
    }
    describe = `sleep until ${typeof at === "function" ? "(computed)" : toMillis(id, at)}`
  }
  return waiting(options, { _tag: "Sleep", until, describe })
}

/**
 * @since 0.4.0
 * @category models
 */
export interface WaitForSignalOptions<A, I> extends WaitOptions {
  /** The signal's name: `runner.signal(executionId, name, payload)`. */
  readonly signal: string
  /** Checks the payload; its encoded form (JSON) is what the task's context gets. */
  readonly schema?: Schema.Schema<A, I> | undefined
  /** Past it, the task fails (trigger rules can route around it). */
  readonly timeout?: Duration.DurationInput | undefined
}

/**
 * Waits for a signal: the task completes when `runner.signal(executionId, signal, payload)`
 * arrives, whether before or after it is reached, and its context gets the payload under the
 * signal's name. Waiting holds no permit; the signal and the wait's deadline are stored.
 *
 * @example
 * const approval = Task.waitForSignal({ id: "approval", dependencies: [draft], signal: "approved", timeout: "2 days" })
 *
 * @since 0.4.0
 * @category constructors
 */
export const waitForSignal = <A = unknown, I = unknown>(options: WaitForSignalOptions<A, I>): Task<never> => {
  const { id, signal, schema } = options
  if (typeof signal !== "string" || signal.length === 0 || signal.length > 200) {
    invalidOption(String(id), "signal must be a non-empty string of at most 200 characters")
  }
  if (schema !== undefined && !Schema.isSchema(schema)) invalidOption(id, "schema must be a Schema")
  const timeoutMs = options.timeout === undefined ? undefined : positiveMs(id, "timeout", options.timeout)
  const decode = schema === undefined
    ? (payload: unknown) => Either.right(payload as Json)
    : (payload: unknown) =>
      Either.mapLeft(
        Either.flatMap(
          Schema.decodeUnknownEither(schema)(payload),
          (value) => Schema.encodeEither(schema)(value)
        ),
        (e) => e.message
      ) as Either.Either<Json, string>
  return waiting(options, {
    _tag: "Signal",
    signal,
    decode,
    timeoutMs,
    describe: `signal ${signal} ${timeoutMs ?? ""} ${schema === undefined ? "" : String(schema.ast)}`
  })
}

/**
 * @since 0.1.0
 * @category guards
 */
export const isTask = (u: unknown): u is Task<unknown> => typeof u === "object" && u !== null && TypeId in u
