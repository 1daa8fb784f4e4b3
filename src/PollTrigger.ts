/**
 * Poll triggers: a check asked every interval; when it gives an input, an execution of the
 * workflow starts with it, unless one started with an equal input is still unfinished. On
 * runners sharing PostgreSQL, one runner polls a trigger at a time.
 *
 * @since 0.4.0
 */
import { Duration, Either } from "effect"
import type { Effect } from "effect"
import { ScheduleError } from "./Errors.js"
import { isValidId } from "./internal/dag/graph.js"
import { decodeDuration } from "./internal/duration.js"
import { isWorkflow } from "./Workflow.js"
import type { Workflow } from "./Workflow.js"

/**
 * @since 0.4.0
 * @category symbols
 */
export const TypeId: unique symbol = Symbol.for("sluice/PollTrigger")

/**
 * What a check gives: an input to start an execution with, or nothing (`undefined`, `null`).
 *
 * @since 0.4.0
 * @category models
 */
export type CheckResult = Record<string, unknown> | undefined | null

/**
 * @since 0.4.0
 * @category models
 */
export interface PollTrigger<R = never> {
  readonly [TypeId]: { readonly _R: (_: never) => R }
  readonly _tag: "PollTrigger"
  readonly id: string
  readonly workflow: string
  readonly everyMs: number
  readonly check: () => CheckResult | PromiseLike<CheckResult> | Effect.Effect<CheckResult, unknown, R>
}

/**
 * @since 0.4.0
 * @category models
 */
export interface Options<Ret> {
  readonly id: string
  readonly workflow: Workflow<any> | string
  readonly every: Duration.DurationInput
  /** Sync, Promise or Effect: an input, or nothing. A check that fails is logged and asked again. */
  readonly check: () => Ret
}

type Requirements<Ret> = Ret extends Effect.Effect<any, any, infer R> ? R : never

const variance = { _R: (_: never) => _ }

/**
 * Makes a poll trigger, checked now (`ScheduleError` for a bad id, workflow or interval).
 *
 * @example
 * const inbox = PollTrigger.make({ id: "inbox", workflow: ingest, every: "30 seconds", check: () => nextFile() })
 *
 * @since 0.4.0
 * @category constructors
 */
export const make = <Ret extends CheckResult | PromiseLike<CheckResult> | Effect.Effect<CheckResult, unknown, any>>(
  options: Options<Ret>
): PollTrigger<Requirements<Ret>> => {
  const { id } = options
  const fail = (detail: string): never => {
    throw new ScheduleError({ scheduleId: String(id), reason: "InvalidOption", detail })
  }
  if (!isValidId(id)) {
    fail(`invalid trigger id ${JSON.stringify(id)}: use letters, digits, "_", "-" and "."`)
  }
  const workflow: unknown = isWorkflow(options.workflow) ? options.workflow.name : options.workflow
  if (typeof workflow !== "string" || workflow.length === 0) return fail("workflow must be a workflow or a name")
  if (typeof options.check !== "function") fail("check must be a function")
  const every = decodeDuration(options.every, { positive: true })
  if (Either.isLeft(every)) return fail(`every ${every.left}`)
  const everyMs = Duration.toMillis(every.right)
  if (!Number.isFinite(everyMs)) fail("every must be finite")
  return {
    [TypeId]: variance,
    _tag: "PollTrigger",
    id,
    workflow,
    everyMs,
    check: options.check as PollTrigger<Requirements<Ret>>["check"]
  }
}

/**
 * @since 0.4.0
 * @category guards
 */
export const isPollTrigger = (u: unknown): u is PollTrigger<unknown> =>
  typeof u === "object" && u !== null && TypeId in u
