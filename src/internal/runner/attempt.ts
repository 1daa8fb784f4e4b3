/**
 * One attempt of a task body, whatever its shape (sync, Promise, Effect), under its timeout,
 * with its callbacks. Always succeeds with an `AttemptOutcome`: a body's failure is data here.
 * Interruption from outside (cancel, shutdown) is not an outcome: it propagates.
 */
import { Cause, Clock, Effect, Exit } from "effect"
import { TaskTimeoutError } from "../../Errors.js"
import type * as Task from "../../Task.js"
import { TaskContextImpl } from "../../TaskContext.js"
import type { Graph } from "../dag/graph.js"
import type { JsonObject, SizeLimits } from "../dag/json.js"
import type { AttemptOutcome } from "../execution/model.js"

export interface AttemptInput<R> {
  readonly task: Task.Task<R>
  readonly input: JsonObject
  readonly executionId: string
  readonly workflowName: string
  readonly attempt: number
  readonly limits: SizeLimits
  /** The workflow's graph and the task's index in it (`ctx.output` reads only upstream tasks). */
  readonly graph?: Graph | undefined
  readonly index?: number | undefined
}

export const isPromiseLike = (u: unknown): u is PromiseLike<unknown> =>
  typeof u === "object" && u !== null && typeof (u as { then?: unknown }).then === "function"

/** The text an error is recorded with. */
export const errorMessage = (error: unknown): string => {
  if (error instanceof Error) {
    // A tagged error without a message still says what it is.
    const tag = (error as { _tag?: unknown })._tag
    return error.message === "" && typeof tag === "string" ? tag : error.message
  }
  if (typeof error === "string") return error
  try {
    return JSON.stringify(error) ?? String(error)
  } catch {
    return String(error)
  }
}

/**
 * Calls a user function that returns an Effect, a Promise or a plain value (a callback, a
 * deferral's check, a trigger's check), as an Effect: a throw, a rejection or a failure fails it.
 */
export const callUser = <R = never>(f: () => unknown): Effect.Effect<unknown, unknown, R> =>
  Effect.suspend(() => {
    const returned = f()
    if (Effect.isEffect(returned)) return returned as Effect.Effect<unknown, unknown, R>
    if (isPromiseLike(returned)) return Effect.tryPromise({ try: () => returned as Promise<unknown>, catch: (e) => e })
    return Effect.succeed(returned)
  })

/** Runs a callback; what it throws or rejects with is logged, never propagated. */
const callback = (name: string, taskId: string, run: () => unknown): Effect.Effect<void> =>
  callUser(run).pipe(
    Effect.catchAllCause((cause) =>
      Effect.logWarning(
        `${name} callback of task "${taskId}" failed (the task's outcome stands): ${errorMessage(Cause.squash(cause))}`
      )
    ),
    Effect.asVoid
  )

/**
 * Starts an attempt: calls the body. A sync body without callbacks is done at once and its
 * outcome is returned as it is (no fiber is needed: nothing in it can be interrupted or timed
 * out); otherwise the rest of the attempt is returned as an Effect, to run in a fiber of its own.
 */
export const runAttempt = <R>(
  a: AttemptInput<R>,
  clock: Clock.Clock
): AttemptOutcome | Effect.Effect<AttemptOutcome, never, R> => {
  const { task } = a
  const ctx = new TaskContextImpl(a.input, {
    taskId: task.id,
    executionId: a.executionId,
    workflowName: a.workflowName,
    attempt: a.attempt,
    limits: a.limits,
    graph: a.graph,
    index: a.index
  })
  const plain = task.onSuccess === undefined && task.onFailure === undefined

  const outcomeOf = (exit: Exit.Exit<unknown, unknown>): AttemptOutcome => {
    const completedAt = clock.unsafeCurrentTimeMillis()
    if (Exit.isSuccess(exit)) {
      if (task.output === undefined) return { _tag: "Succeeded", delta: ctx.delta(), completedAt }
      // A typed output: what the body returned, encoded with its schema, under the task's id.
      try {
        ctx.set(task.output.key, exit.value)
        return { _tag: "Succeeded", delta: ctx.delta(), completedAt }
      } catch (error) {
        ctx.abort()
        return { _tag: "Failed", error, message: errorMessage(error), completedAt }
      }
    }
    ctx.abort()
    // Interrupted from outside (cancel, shutdown), the fiber stops at its next step and reports
    // nothing; a body that interrupted itself is a failed attempt.
    const error = Cause.isInterruptedOnly(exit.cause)
      ? new Error("the task body was interrupted")
      : Cause.squash(exit.cause)
    return { _tag: "Failed", error, message: errorMessage(error), completedAt }
  }

  const finish = (exit: Exit.Exit<unknown, unknown>): Effect.Effect<AttemptOutcome> => {
    const outcome = outcomeOf(exit)
    if (outcome._tag === "Succeeded") {
      return task.onSuccess === undefined
        ? Effect.succeed(outcome)
        : Effect.as(callback("onSuccess", task.id, () => task.onSuccess!(task.id, ctx)), outcome)
    }
    return task.onFailure === undefined
      ? Effect.succeed(outcome)
      : Effect.as(callback("onFailure", task.id, () => task.onFailure!(task.id, outcome.error, ctx)), outcome)
  }

  let returned: Task.Body<R>
  try {
    returned = task.run(ctx)
  } catch (error) {
    return plain ? outcomeOf(Exit.die(error)) : finish(Exit.die(error))
  }
  if (!Effect.isEffect(returned) && !isPromiseLike(returned)) {
    const done = task.output === undefined ? Exit.void : Exit.succeed(returned)
    return plain ? outcomeOf(done) : finish(done)
  }

  let run: Effect.Effect<unknown, unknown, R> = Effect.isEffect(returned)
    ? returned
    : Effect.tryPromise({ try: () => returned, catch: (e) => e })
  if (task.timeoutMs !== undefined) {
    run = Effect.timeoutFail(run, {
      duration: task.timeoutMs,
      onTimeout: () => new TaskTimeoutError({ taskId: task.id, timeoutMs: task.timeoutMs! })
    })
  }
  return Effect.flatMap(Effect.exit(Effect.onInterrupt(run, () => Effect.sync(() => ctx.abort()))), finish)
}
