/**
 * One attempt of a task body, whatever its shape (sync, Promise, Effect), under its timeout,
 * with its callbacks. Always succeeds with an `AttemptOutcome`: a body's failure is data here.
 * Interruption from outside (cancel, shutdown) is not an outcome: it propagates.
 */
import { Cause, Clock, Effect, Exit } from "effect"
import { TaskTimeoutError } from "../Errors.js"
import type { Task } from "../Task.js"
import { TaskContextImpl } from "../TaskContext.js"
import type { AttemptOutcome } from "./execution.js"
import type { JsonObject } from "./json.js"

export interface AttemptInput {
  readonly task: Task<any>
  readonly input: JsonObject
  readonly executionId: string
  readonly workflowName: string
  readonly attempt: number
}

const isPromiseLike = (u: unknown): u is PromiseLike<unknown> =>
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

const body = (task: Task<any>, ctx: TaskContextImpl): Effect.Effect<unknown, unknown, any> =>
  Effect.suspend(() => {
    const returned = task.run(ctx)
    if (Effect.isEffect(returned)) return returned
    if (isPromiseLike(returned)) return Effect.tryPromise({ try: () => returned as Promise<unknown>, catch: (e) => e })
    return Effect.void
  })

/** Runs a callback; what it throws or rejects with is logged, never propagated. */
const callback = (name: string, taskId: string, run: () => unknown): Effect.Effect<void> =>
  Effect.suspend(() => {
    const returned = run()
    if (Effect.isEffect(returned)) return returned as Effect.Effect<unknown, unknown>
    if (isPromiseLike(returned)) return Effect.tryPromise({ try: () => returned as Promise<unknown>, catch: (e) => e })
    return Effect.void
  }).pipe(
    Effect.catchAllCause((cause) =>
      Effect.logWarning(
        `${name} callback of task "${taskId}" failed (the task's outcome stands): ${errorMessage(Cause.squash(cause))}`
      )
    ),
    Effect.asVoid
  )

export const runAttempt = (a: AttemptInput): Effect.Effect<AttemptOutcome, never, any> =>
  Effect.gen(function*() {
    const { task } = a
    const ctx = new TaskContextImpl(a.input, {
      taskId: task.id,
      executionId: a.executionId,
      workflowName: a.workflowName,
      attempt: a.attempt
    })
    const startedAt = yield* Clock.currentTimeMillis
    let run = body(task, ctx)
    if (task.timeoutMs !== undefined) {
      run = Effect.timeoutFail(run, {
        duration: task.timeoutMs,
        onTimeout: () => new TaskTimeoutError({ taskId: task.id, timeoutMs: task.timeoutMs! })
      })
    }
    const exit = yield* Effect.exit(Effect.onInterrupt(run, () => Effect.sync(() => ctx.abort())))
    const completedAt = yield* Clock.currentTimeMillis
    if (Exit.isSuccess(exit)) {
      const outcome: AttemptOutcome = { _tag: "Succeeded", delta: ctx.delta(), startedAt, completedAt }
      if (task.onSuccess !== undefined) yield* callback("onSuccess", task.id, () => task.onSuccess!(task.id, ctx))
      return outcome
    }
    ctx.abort()
    // Interrupted from outside (cancel, shutdown), this fiber stops at its next step and reports
    // nothing; a body that interrupted itself is a failed attempt.
    const error = Cause.isInterruptedOnly(exit.cause)
      ? new Error("the task body was interrupted")
      : Cause.squash(exit.cause)
    if (task.onFailure !== undefined) yield* callback("onFailure", task.id, () => task.onFailure!(task.id, error, ctx))
    return { _tag: "Failed", error, message: errorMessage(error), startedAt, completedAt } satisfies AttemptOutcome
  })
