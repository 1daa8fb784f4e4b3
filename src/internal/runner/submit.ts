/**
 * Starting an execution: the workflow resolved (by value, with the caller's services, or by
 * name), the input checked, the execution and its first attempts committed before anyone is
 * told its id, then its supervisor started.
 */
import type { Context } from "effect"
import { Cause, Clock, Deferred, Duration, Effect, Exit, Option } from "effect"
import type { ContextValueError, InvalidOptionError, StorageError, WorkflowDefinitionError } from "../../Errors.js"
import { ExecutionAbortedError } from "../../Errors.js"
import type { WorkflowNotFoundError } from "../../Errors.js"
import * as Workflow from "../../Workflow.js"
import { toFrozenJsonObject } from "../dag/json.js"
import { ExecutionState } from "../execution/state.js"
import { executionId as newExecutionId } from "../ids.js"
import type { SubmitOptions } from "./options.js"
import { checkSubmitOptions } from "./options.js"
import type { Runnable } from "./registry.js"
import { notAWorkflow, runnable } from "./registry.js"
import { retryTransient } from "./retry.js"
import type { Runtime } from "./runtime.js"
import { prepare, start } from "./runtime.js"
import type { Active } from "./supervisor.js"
import { flush, startReady } from "./supervisor.js"

export type SubmitError =
  | WorkflowNotFoundError
  | WorkflowDefinitionError
  | ContextValueError
  | InvalidOptionError
  | StorageError

/**
 * The workflow to run. Given by value, it runs with the caller's services (its requirements are
 * in the caller's type), and is registered under its name if no workflow has that name.
 */
const resolve = <R>(
  rt: Runtime,
  target: Workflow.Workflow<R> | string
): Effect.Effect<Runnable, WorkflowNotFoundError | WorkflowDefinitionError | StorageError, R> => {
  if (typeof target === "string") return rt.registry.byNameOrFail(target)
  if (!Workflow.isWorkflow(target)) return Effect.fail(notAWorkflow())
  return Effect.flatMap(Effect.context<R>(), (services: Context.Context<R>) => {
    const entry = runnable(rt.env, target, services)
    // Its name taken by a registered workflow: this version runs as given, found by its version
    // (its offered attempts, a take-up) but not run by name.
    return Effect.as(rt.registry.has(target.name) ? rt.registry.addVersion(entry) : rt.registry.add(entry), entry)
  })
}

/** What `submit` checks before it stores anything (a debounced burst's submitters hear it at once). */
export const precheck = <R>(
  rt: Runtime,
  target: Workflow.Workflow<R> | string,
  input: Record<string, unknown> | undefined
): Effect.Effect<void, SubmitError, R> =>
  Effect.zipRight(
    resolve(rt, target),
    Effect.try({ try: () => void toFrozenJsonObject(input, rt.env.limits), catch: (e) => e as ContextValueError })
  )

/** What `submit` gives back: the execution's id, and its live record when it was started here. */
export interface Submitted {
  readonly executionId: string
  readonly active: Active | undefined
}

export const submit = <R>(
  rt: Runtime,
  target: Workflow.Workflow<R> | string,
  input: Record<string, unknown> | undefined,
  options: SubmitOptions | undefined,
  withLog: boolean,
  /** The id it gets (a debounced burst told its submitters already). */
  presetId?: string
): Effect.Effect<Submitted, SubmitError, R> =>
  Effect.gen(function*() {
    const entry = yield* resolve(rt, target)
    const frozenInput = yield* Effect.try({
      try: () => toFrozenJsonObject(input, rt.env.limits),
      catch: (e) => e as ContextValueError
    })
    const { key, priority, timeout } = yield* checkSubmitOptions(options)
    const now = yield* Clock.currentTimeMillis
    const executionId = presetId ?? newExecutionId()
    const state = new ExecutionState(entry.workflow, {
      executionId,
      input: frozenInput,
      createdAt: now,
      idempotencyKey: key ?? null,
      runnerId: rt.env.runnerId,
      deadlineAt: timeout === undefined ? null : now + Duration.toMillis(timeout)
    })
    const { fleet } = rt
    // Sharing a database: a worker with room owns what it submits (token 1); otherwise the
    // execution is stored for the first worker with room to take.
    // (A lease that may have lapsed does not matter here: were the execution taken over, its
    // commits would be fenced.)
    const owned = fleet === undefined ? undefined : fleet.hasRoom() ? 1 : null
    if (owned === null) return yield* leave(rt, state, key, now)
    const active = yield* prepare(rt.env, state, withLog, owned, priority)
    // Known here as running before it exists in storage: a concurrent submit with its key, or a
    // `result` or `cancel` with its id, finds it here instead of taking it up from storage.
    rt.active.set(executionId, active)
    let started: ReadonlyArray<number> = []
    let running = false
    const create = Effect.gen(function*() {
      if (key !== undefined) {
        // Claimed in storage, atomically: of submits with one key, wherever they run, one
        // creates the execution and the others get its handle.
        const claim = retryTransient(
          rt.env.storage.claim(state.row(), owned === undefined ? undefined : rt.env.runnerId),
          rt.env.storageRetry,
          "submit",
          "submit"
        )
        const existing = yield* claim
        // A claim tried again after its reply was lost finds its own row: it is this one's.
        if (Option.isSome(existing) && existing.value.id !== executionId) return existing.value.id
      }
      state.begin(now, { created: key !== undefined })
      started = startReady(rt.env, active, now)
      // The execution, and its first attempts, exist in storage before anyone is told its id.
      yield* flush(rt.env, state, active.log, "submit", owned)
      yield* start(rt, entry, active, { committed: started })
      running = true
      return executionId
    })
    const id = yield* create.pipe(
      // Whatever stopped it before its supervisor ran (a failure, an interruption): what it held
      // goes back, and whoever found it here is told.
      Effect.onExit((exit) =>
        Effect.suspend(() => {
          if (running) return Effect.void
          if (rt.active.get(executionId) === active) rt.active.delete(executionId)
          rt.env.permits.give(started.length)
          rt.env.permits.leave(active.waiter)
          if (Exit.isSuccess(exit)) return Effect.void
          const failure = Cause.failureOption(exit.cause)
          return Deferred.fail(
            active.done,
            Option.isSome(failure) && failure.value._tag === "StorageError"
              ? failure.value
              : new ExecutionAbortedError({ executionId, cause: new Error("its submit did not complete") })
          )
        })
      )
    )
    return { executionId: id, active: rt.active.get(id) }
  })

/**
 * Stores a new execution for another runner to run (this one runs no task, or has no room): its
 * start committed, unowned, and the workers told.
 */
const leave = (
  rt: Runtime,
  state: ExecutionState,
  key: string | undefined,
  now: number
): Effect.Effect<Submitted, StorageError> =>
  Effect.gen(function*() {
    if (key !== undefined) {
      const existing = yield* retryTransient(rt.env.storage.claim(state.row()), rt.env.storageRetry, "submit", "submit")
      if (Option.isSome(existing) && existing.value.id !== state.executionId) {
        return { executionId: existing.value.id, active: rt.active.get(existing.value.id) }
      }
    }
    state.begin(now, { created: key !== undefined })
    // Its commit tells the workers (see storage/sql/write.ts).
    yield* flush(rt.env, state, undefined, "submit")
    return { executionId: state.executionId, active: undefined }
  })
