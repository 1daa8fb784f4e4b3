/**
 * How often a failing task is tried again, and how long it waits in between. Options are checked
 * when the policy is made: a bad value throws `WorkflowDefinitionError`, it is never defaulted.
 *
 * @since 0.1.0
 */
import { Duration, Either, Schedule } from "effect"
import { ContextDecodeError, ContextValueError, WorkflowDefinitionError } from "./Errors.js"
import { decodeDuration } from "./internal/duration.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface RetryPolicy {
  readonly _tag: "RetryPolicy"
  readonly strategy: "none" | "fixed" | "linear" | "exponential" | "schedule"
  /** Every attempt counts: 1 means no retry. */
  readonly maxAttempts: number
  /** Gives the wait before each retry; it may also end the retries early. */
  readonly schedule: Schedule.Schedule<unknown, unknown>
  /** Retry only the errors it accepts (default: every error). */
  readonly retryIf: ((error: unknown) => boolean) | undefined
  /** A stable text of the options, part of the workflow version. */
  readonly description: string
}

/** @since 0.1.0 @category models */
export interface CommonOptions {
  readonly maxAttempts: number
  /** Multiply each wait by a random factor in [0.8, 1.2), so retries of many tasks spread out. */
  readonly jitter?: boolean | undefined
  readonly retryIf?: ((error: unknown) => boolean) | undefined
}

/** @since 0.1.0 @category models */
export interface FixedOptions extends CommonOptions {
  readonly delay: Duration.DurationInput
}

/** @since 0.1.0 @category models */
export interface BackoffOptions extends CommonOptions {
  readonly initialDelay?: Duration.DurationInput | undefined
  /** Same as `initialDelay`. */
  readonly delay?: Duration.DurationInput | undefined
  readonly maxDelay?: Duration.DurationInput | undefined
}

/** @since 0.1.0 @category models */
export interface ExponentialOptions extends BackoffOptions {
  /** Growth per retry, default 2. */
  readonly factor?: number | undefined
}

const invalid = (detail: string): never => {
  throw new WorkflowDefinitionError({ reason: "InvalidOption", detail: `retry: ${detail}` })
}

const checkAttempts = (n: unknown): number => {
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1) {
    return invalid(`maxAttempts must be an integer ≥ 1 (1 = no retry), got ${String(n)}`)
  }
  return n
}

const checkDuration = (name: string, input: unknown): Duration.Duration => {
  const decoded = decodeDuration(input)
  return Either.isLeft(decoded) ? invalid(`${name} ${decoded.left}`) : decoded.right
}

const checkRetryIf = (retryIf: unknown): ((error: unknown) => boolean) | undefined => {
  if (retryIf !== undefined && typeof retryIf !== "function") return invalid("retryIf must be a function")
  return retryIf as ((error: unknown) => boolean) | undefined
}

const finish = (
  strategy: RetryPolicy["strategy"],
  options: CommonOptions,
  base: Schedule.Schedule<unknown, unknown>,
  maxDelay: Duration.Duration | undefined,
  description: string
): RetryPolicy => {
  let schedule = options.jitter === true ? Schedule.jittered(base) : base
  if (maxDelay !== undefined) schedule = Schedule.modifyDelay(schedule, (_, d) => Duration.min(d, maxDelay))
  return {
    _tag: "RetryPolicy",
    strategy,
    maxAttempts: checkAttempts(options.maxAttempts),
    schedule,
    retryIf: checkRetryIf(options.retryIf),
    description: `${description},max=${options.maxAttempts},jitter=${options.jitter === true}`
  }
}

const backoff = (options: BackoffOptions): { initial: Duration.Duration; max: Duration.Duration | undefined } => {
  const initialInput = options.initialDelay ?? options.delay
  if (initialInput === undefined) return invalid("initialDelay is required")
  const initial = checkDuration("initialDelay", initialInput)
  const max = options.maxDelay === undefined ? undefined : checkDuration("maxDelay", options.maxDelay)
  if (max !== undefined && Duration.lessThan(max, initial)) {
    invalid(`maxDelay (${Duration.format(max)}) must not be less than initialDelay (${Duration.format(initial)})`)
  }
  return { initial, max }
}

/**
 * No retry: one attempt. The default.
 *
 * @since 0.1.0
 * @category constructors
 */
export const none: RetryPolicy = {
  _tag: "RetryPolicy",
  strategy: "none",
  maxAttempts: 1,
  schedule: Schedule.stop,
  retryIf: undefined,
  description: "none"
}

/**
 * The same wait before every retry.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fixed = (options: FixedOptions): RetryPolicy => {
  const delay = checkDuration("delay", options.delay)
  return finish("fixed", options, Schedule.spaced(delay), undefined, `fixed(${Duration.toMillis(delay)})`)
}

/**
 * Waits `initialDelay`, then twice that, three times, … capped by `maxDelay`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const linear = (options: BackoffOptions): RetryPolicy => {
  const { initial, max } = backoff(options)
  return finish(
    "linear",
    options,
    Schedule.linear(initial),
    max,
    `linear(${Duration.toMillis(initial)},${max ? Duration.toMillis(max) : ""})`
  )
}

/**
 * Waits `initialDelay`, then multiplies the wait by `factor` (2) each retry, capped by `maxDelay`.
 *
 * @example
 * RetryPolicy.exponential({ maxAttempts: 3, initialDelay: "50 millis", maxDelay: "2 seconds" })
 *
 * @since 0.1.0
 * @category constructors
 */
export const exponential = (options: ExponentialOptions): RetryPolicy => {
  const { initial, max } = backoff(options)
  const factor = options.factor ?? 2
  if (typeof factor !== "number" || !Number.isFinite(factor) || factor < 1) {
    invalid(`factor must be a number ≥ 1, got ${String(factor)}`)
  }
  return finish(
    "exponential",
    options,
    Schedule.exponential(initial, factor),
    max,
    `exponential(${Duration.toMillis(initial)},${factor},${max ? Duration.toMillis(max) : ""})`
  )
}

/**
 * Any Effect `Schedule` gives the waits; it can also end the retries itself (`Schedule.recurs`).
 * `maxAttempts` is then optional (unbounded by default).
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromSchedule = (
  schedule: Schedule.Schedule<unknown, any>,
  options?: { readonly maxAttempts?: number; readonly retryIf?: (error: unknown) => boolean }
): RetryPolicy => {
  if (!Schedule.isSchedule(schedule)) invalid("fromSchedule needs an Effect Schedule")
  const maxAttempts = options?.maxAttempts === undefined ? Number.POSITIVE_INFINITY : checkAttempts(options.maxAttempts)
  return {
    _tag: "RetryPolicy",
    strategy: "schedule",
    maxAttempts,
    schedule: schedule as Schedule.Schedule<unknown, unknown>,
    retryIf: checkRetryIf(options?.retryIf),
    description: `schedule,max=${maxAttempts}`
  }
}

/**
 * A policy from data, e.g. read from configuration: `strategy` picks the constructor.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options:
    | ({ readonly strategy: "fixed" } & FixedOptions)
    | ({ readonly strategy: "linear" } & BackoffOptions)
    | ({ readonly strategy: "exponential" } & ExponentialOptions)
    | { readonly strategy: "none" }
): RetryPolicy => {
  switch (options.strategy) {
    case "none":
      return none
    case "fixed":
      return fixed(options)
    case "linear":
      return linear(options)
    case "exponential":
      return exponential(options)
    default:
      return invalid(
        `unknown strategy "${String((options as { strategy: unknown }).strategy)}" (fixed, linear, exponential, none)`
      )
  }
}

/**
 * @since 0.1.0
 * @category guards
 */
export const isRetryPolicy = (u: unknown): u is RetryPolicy =>
  typeof u === "object" && u !== null && (u as { _tag?: unknown })._tag === "RetryPolicy"

/**
 * Errors that no retry can fix, not retried unless `retryIf` says so: a value that is not JSON
 * (`ContextValueError`) and a typed read that does not decode (`ContextDecodeError`).
 *
 * @since 0.2.0
 * @category guards
 */
export const isPermanent = (error: unknown): boolean =>
  error instanceof ContextValueError || error instanceof ContextDecodeError

/**
 * Whether attempt number `attempt`, which failed with `error`, may be followed by another
 * (before the schedule is asked for the wait, which may still end the retries).
 *
 * @since 0.2.0
 * @category guards
 */
export const allowsRetry = (policy: RetryPolicy, attempt: number, error: unknown): boolean => {
  if (attempt >= policy.maxAttempts) return false
  if (policy.retryIf === undefined) return !isPermanent(error)
  try {
    return policy.retryIf(error) === true
  } catch {
    return false
  }
}
