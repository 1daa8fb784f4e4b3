/**
 * Starting an execution: the workflow resolved (by value, with the caller's services, or by
 * name), the input checked, the execution and its first attempts committed before anyone is
 * told its id, then its supervisor started.
 */
import type { Context } from "effect"
import { Clock, Deferred, Effect, Option } from "effect"
import type { ContextValueError, InvalidOptionError, StorageError, WorkflowDefinitionError } from "../../Errors.js"
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
    return rt.registry.has(target.name) ? Effect.succeed(entry) : Effect.as(rt.registry.add(entry), entry)
  })
}

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
  withLog: boolean
): Effect.Effect<Submitted, SubmitError, R> =>
  Effect.gen(function*() {
    const entry = yield* resolve(rt, target)
    const frozenInput = yield* Effect.try({
      try: () => toFrozenJsonObject(input, rt.env.limits),
      catch: (e) => e as ContextValueError
    })
    const { key, timeout } = yield* checkSubmitOptions(options)
    const now = yield* Clock.currentTimeMillis
    const executionId = newExecutionId()
    const state = new ExecutionState(entry.workflow, {
      executionId,
      input: frozenInput,
      createdAt: now,
      idempotencyKey: key ?? null
    })
    const active = yield* prepare(state, withLog)
    const abandon = (error: StorageError) =>
      Effect.sync(() => {
        if (rt.active.get(executionId) === active) rt.active.delete(executionId)
        rt.env.permits.leave(active.waiter)
      }).pipe(Effect.zipRight(Deferred.fail(active.done, error)))
    if (key !== undefined) {
      // Claimed in storage, atomically: of submits with one key, wherever they run, one creates
      // the execution and the others get its handle. Known here from now on, so that a
      // concurrent submit with the key finds this one running.
      rt.active.set(executionId, active)
      const claim = retryTransient(rt.env.storage.claim(state.row()), rt.env.storageRetry, "submit", "submit")
      const existing = yield* Effect.tapError(claim, abandon)
      if (Option.isSome(existing)) {
        rt.active.delete(executionId)
        rt.env.permits.leave(active.waiter)
        const id = existing.value.id
        return { executionId: id, active: rt.active.get(id) }
      }
    }
    state.begin(now, { created: key !== undefined })
    const started = startReady(rt.env, active, now)
    // The execution, and its first attempts, exist in storage before anyone is told its id.
    yield* flush(rt.env, state, active.log, "submit").pipe(
      Effect.tapError((error) =>
        Effect.zipRight(Effect.sync(() => rt.env.permits.give(started.length)), abandon(error))
      )
    )
    yield* start(rt, entry, active, { executionTimeout: timeout, committed: started })
    return { executionId, active }
  })
