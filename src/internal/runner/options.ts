/** The runner's options and `submit`'s, defaulted and checked in one place. */
import { Duration, Effect, Either, Schedule } from "effect"
import { randomUUID } from "node:crypto"
import type { CronSchedule } from "../../CronSchedule.js"
import type { StorageError } from "../../Errors.js"
import { InvalidOptionError } from "../../Errors.js"
import type { PollTrigger } from "../../PollTrigger.js"
import type { Workflow } from "../../Workflow.js"
import type { SizeLimits } from "../dag/json.js"
import { defaultLimits } from "../dag/json.js"
import { decodeDuration } from "../duration.js"
import type { RetentionOptions } from "./retention.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface RunnerConfig<R = never> {
  /** The workflows this runner can run by name (and resume after a restart). */
  readonly workflows?: ReadonlyArray<Workflow<R>> | undefined
  /** Task attempts running at once, over all executions. Default 4, as in cloaca. */
  readonly maxConcurrentTasks?: number | undefined
  /**
   * Resume unfinished executions found in storage when the runner starts. Default true. Runners
   * sharing a PostgreSQL database: `false` also keeps this runner from taking over other runners'
   * executions (it runs what it submits, and what `result` or `resume` asks of it).
   */
  readonly recover?: boolean | undefined
  /**
   * The waits between tries of a commit that failed for a transient reason (database away,
   * busy, full). Default: exponential from 20 ms, capped at 2 s.
   */
  readonly storageRetry?: Schedule.Schedule<unknown, StorageError> | undefined
  /**
   * How many events `Runner.events` keeps for a consumer that falls behind; beyond, the oldest
   * are dropped and an `EventsDropped` marker says how many. Default 10,000.
   */
  readonly eventBuffer?: number | undefined
  /** Finished executions older than `olderThan` are deleted in the background, every `every`. */
  readonly retention?: RetentionOptions | undefined
  /**
   * Size limits on context values, in bytes of JSON: one value set (or one key of an input),
   * default 64 MiB; everything one attempt sets (or a whole input), default 256 MiB. Past them,
   * `set` (or `submit`) fails with `ContextValueError`, before anything is stored.
   */
  readonly contextLimits?: Partial<SizeLimits> | undefined
  /** This runner's name, recorded with every attempt it runs. Default: a fresh id. */
  readonly runnerId?: string | undefined
  /**
   * PostgreSQL, several runners: how long the executions of a runner that stopped renewing its
   * lease (it died, stalled, or lost the database) stay with it before others take them over.
   * Default 5 seconds; at least 300 ms.
   */
  readonly lease?: Duration.DurationInput | undefined
  /**
   * `false`: a runner that submits, reads and controls executions but runs no task (PostgreSQL
   * only: the executions it submits wait for a runner that does). Default true.
   */
  readonly worker?: boolean | undefined
  /**
   * Finish started executions before starting new ones: the permits are served to executions in
   * the order they came (and a task that ends hands its permit to its own execution first), so a
   * burst of new executions does not stall those half done. Default false: first come, first
   * served between supervisors asking, round by round.
   */
  readonly depthFirst?: boolean | undefined
  /**
   * Cron schedules (and poll triggers) this runner fires. Reconciled with storage at start: new
   * ones added, changed ones updated, stored ones that were declared before and are no longer
   * removed (schedules added at run time are left alone). A schedule's workflow must be among
   * `workflows`.
   */
  readonly schedules?: ReadonlyArray<CronSchedule | PollTrigger<R>> | undefined
  /** Poll triggers this runner polls (the same as giving them in `schedules`). */
  readonly triggers?: ReadonlyArray<PollTrigger<R>> | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface SubmitOptions {
  /** A second submit with the same key returns the first execution instead of starting one. */
  readonly idempotencyKey?: string | undefined
  /** The execution is cancelled (status `Cancelled`, reason "timed out") after this long. */
  readonly executionTimeout?: Duration.DurationInput | undefined
  /**
   * When tasks of several executions wait for the runner's permits, higher goes first (default
   * 0; a finite number). Held by this runner while it runs the execution, not stored.
   */
  readonly priority?: number | undefined
  /**
   * Submits of one workflow with this key within `period` of each other make one execution, with
   * the last input (`keep: "first"`: the first); it starts once `period` passes with no new
   * submit. Every submit of the burst gets its handle. Held by this runner until it starts.
   */
  readonly debounce?: {
    readonly key: string
    readonly period: Duration.DurationInput
    readonly keep?: "first" | "last" | undefined
  } | undefined
}

export const DEFAULT_MAX_CONCURRENT_TASKS = 4

export const checkMaxConcurrentTasks = (value: unknown): Effect.Effect<number, InvalidOptionError> => {
  const max = value ?? DEFAULT_MAX_CONCURRENT_TASKS
  return typeof max === "number" && Number.isInteger(max) && max >= 1
    ? Effect.succeed(max)
    : Effect.fail(
      new InvalidOptionError({ option: "maxConcurrentTasks", detail: `must be an integer ≥ 1, got ${String(max)}` })
    )
}

export const checkEventBuffer = (value: unknown): Effect.Effect<number, InvalidOptionError> => {
  const n = value ?? 10_000
  return typeof n === "number" && Number.isInteger(n) && n >= 1
    ? Effect.succeed(n)
    : Effect.fail(new InvalidOptionError({ option: "eventBuffer", detail: `must be an integer ≥ 1, got ${String(n)}` }))
}

export const checkContextLimits = (
  value: Partial<SizeLimits> | undefined
): Effect.Effect<SizeLimits, InvalidOptionError> =>
  Effect.suspend(() => {
    const limits = { ...defaultLimits, ...value }
    for (const option of ["maxValueBytes", "maxOutputBytes"] as const) {
      const n = limits[option]
      if (typeof n !== "number" || !Number.isInteger(n) || n < 1) {
        return Effect.fail(
          new InvalidOptionError({
            option: `contextLimits.${option}`,
            detail: `must be an integer ≥ 1, got ${String(n)}`
          })
        )
      }
    }
    return Effect.succeed(limits)
  })

export const checkStorageRetry = (
  value: unknown
): Effect.Effect<Schedule.Schedule<unknown, StorageError> | undefined, InvalidOptionError> =>
  value === undefined || Schedule.isSchedule(value)
    ? Effect.succeed(value as Schedule.Schedule<unknown, StorageError> | undefined)
    : Effect.fail(new InvalidOptionError({ option: "storageRetry", detail: "must be an Effect Schedule" }))

/** `submit`'s `debounce`, checked. */
export const checkDebounce = (
  value: unknown
): Effect.Effect<
  { readonly key: string; readonly periodMs: number; readonly keep: "first" | "last" },
  InvalidOptionError
> =>
  Effect.suspend(() => {
    const bad = (detail: string) => Effect.fail(new InvalidOptionError({ option: "debounce", detail }))
    if (typeof value !== "object" || value === null) return bad("must be { key, period }")
    const { keep = "last", key, period } = value as Record<string, unknown>
    if (typeof key !== "string" || key.length === 0) return bad("key must be a non-empty string")
    if (keep !== "first" && keep !== "last") return bad(`keep must be "first" or "last", got ${String(keep)}`)
    const decoded = decodeDuration(period as Duration.DurationInput, { positive: true })
    if (Either.isLeft(decoded)) return bad(`period ${decoded.left}`)
    return Effect.succeed({ key, periodMs: Duration.toMillis(decoded.right), keep })
  })

export interface CheckedSubmitOptions {
  readonly key: string | undefined
  readonly timeout: Duration.Duration | undefined
  readonly priority: number
}

export const checkSubmitOptions = (
  options: SubmitOptions | undefined
): Effect.Effect<CheckedSubmitOptions, InvalidOptionError> =>
  Effect.suspend(() => {
    let timeout: Duration.Duration | undefined
    if (options?.executionTimeout !== undefined) {
      const decoded = decodeDuration(options.executionTimeout, { positive: true })
      if (Either.isLeft(decoded)) {
        return Effect.fail(new InvalidOptionError({ option: "executionTimeout", detail: decoded.left }))
      }
      timeout = decoded.right
    }
    const key = options?.idempotencyKey
    if (key !== undefined && (typeof key !== "string" || key.length === 0)) {
      return Effect.fail(new InvalidOptionError({ option: "idempotencyKey", detail: "must be a non-empty string" }))
    }
    const priority = options?.priority ?? 0
    if (typeof priority !== "number" || !Number.isFinite(priority)) {
      return Effect.fail(new InvalidOptionError({ option: "priority", detail: "must be a finite number" }))
    }
    return Effect.succeed({ key, timeout, priority })
  })

export const checkRunnerId = (value: unknown): Effect.Effect<string, InvalidOptionError> => {
  if (value === undefined) return Effect.succeed(`runner-${randomUUID().slice(0, 8)}`)
  return typeof value === "string" && /^[\x21-\x7e]{1,100}$/.test(value)
    ? Effect.succeed(value)
    : Effect.fail(
      new InvalidOptionError({
        option: "runnerId",
        detail: `must be 1 to 100 printable characters without spaces, got ${JSON.stringify(value)}`
      })
    )
}

export const checkLease = (value: unknown): Effect.Effect<number, InvalidOptionError> => {
  if (value === undefined) return Effect.succeed(5_000)
  const decoded = decodeDuration(value as Duration.DurationInput, { positive: true })
  if (Either.isLeft(decoded)) return Effect.fail(new InvalidOptionError({ option: "lease", detail: decoded.left }))
  const ms = Math.round(Duration.toMillis(decoded.right))
  return ms >= 300 && Number.isFinite(ms)
    ? Effect.succeed(ms)
    : Effect.fail(new InvalidOptionError({ option: "lease", detail: `must be at least 300 ms, got ${ms} ms` }))
}

export const checkDepthFirst = (value: unknown): Effect.Effect<boolean, InvalidOptionError> =>
  value === undefined || typeof value === "boolean"
    ? Effect.succeed(value === true)
    : Effect.fail(new InvalidOptionError({ option: "depthFirst", detail: `must be a boolean, got ${String(value)}` }))

export const checkWorker = (value: unknown, shared: boolean): Effect.Effect<boolean, InvalidOptionError> => {
  if (value === undefined || value === true) return Effect.succeed(true)
  if (value !== false) {
    return Effect.fail(new InvalidOptionError({ option: "worker", detail: `must be a boolean, got ${String(value)}` }))
  }
  return shared ? Effect.succeed(false) : Effect.fail(
    new InvalidOptionError({
      option: "worker",
      detail: "a runner that runs no task needs a PostgreSQL storage that runners running them share"
    })
  )
}
