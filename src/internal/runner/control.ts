/**
 * Cancel, pause and resume: one path whether this runner runs the execution or not. A running
 * execution gets a message and its supervisor makes the transition; a stored one is restored
 * into the same state machine, makes the same transition, and the same rows and events are
 * committed (a resumed one that this runner can run is taken up and runs here).
 */
import { Clock, Deferred, Effect, Option } from "effect"
import { ExecutionNotFoundError, StorageError } from "../../Errors.js"
import { isFinal } from "../../Status.js"
import { ExecutionState } from "../execution/state.js"
import { metaOf, takeUp, tasksOf } from "./recovery.js"
import type { Runtime } from "./runtime.js"
import { flush } from "./supervisor.js"

export type ControlTag = "Cancel" | "Pause" | "Resume"

/**
 * Sends the control to the running execution; false when this runner does not run it, or its
 * supervisor ended before it acknowledged (then the stored execution is controlled instead).
 */
const message = (rt: Runtime, executionId: string, tag: ControlTag) =>
  Effect.gen(function*() {
    const execution = rt.active.get(executionId)
    if (execution === undefined) return false
    const ack = yield* Deferred.make<void>()
    execution.mailbox.offer(tag === "Cancel" ? { _tag: "Cancel", reason: "cancelled", ack } : { _tag: tag, ack })
    // The supervisor acknowledges once the change is committed, unless it ends first.
    return yield* Effect.raceFirst(
      Effect.as(Deferred.await(ack), true),
      Effect.as(Effect.ignore(Deferred.await(execution.done)), false)
    )
  })

const controlStored = (rt: Runtime, executionId: string, tag: ControlTag) =>
  Effect.gen(function*() {
    const row = yield* rt.env.storage.execution(executionId)
    if (Option.isNone(row)) return yield* new ExecutionNotFoundError({ executionId })
    if (isFinal(row.value.status)) return
    const stored = yield* tasksOf(rt, executionId)
    const found = rt.registry.forExecution(row.value, stored.tasks)
    if (tag === "Resume" && found._tag === "Runnable" && !rt.env.storage.readOnly) {
      yield* takeUp(rt, found.runnable, row.value, stored, { resume: true })
      return
    }
    const dag = found._tag === "Runnable" ? found.runnable.workflow : yield* rt.registry.dagOf(row.value)
    if (dag === undefined) {
      return yield* new StorageError({
        operation: `${tag.toLowerCase()} ${executionId}`,
        cause: new Error(`the definition of workflow "${row.value.workflowName}" is not stored`)
      })
    }
    const state = new ExecutionState(dag, metaOf(row.value, stored), stored.rounds)
    const now = yield* Clock.currentTimeMillis
    state.restore(stored.tasks, { paused: row.value.status === "Paused", resumed: false }, now)
    if (tag === "Cancel") {
      state.cancel("cancelled", now)
      state.finish(now)
    } else {
      state.setPaused(tag === "Pause", now)
    }
    yield* flush(rt.env, state, undefined)
  })

export const control =
  (rt: Runtime, tag: ControlTag) => (executionId: string): Effect.Effect<void, ExecutionNotFoundError | StorageError> =>
    Effect.gen(function*() {
      if (yield* message(rt, executionId, tag)) return
      // Not running here: serialized with taking executions up, so that it cannot start meanwhile.
      yield* rt.adopting.withPermits(1)(
        Effect.flatMap(
          message(rt, executionId, tag),
          (sent) => sent ? Effect.void : controlStored(rt, executionId, tag)
        )
      )
    })
