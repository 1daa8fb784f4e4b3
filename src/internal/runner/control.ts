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
import type { FleetStorage } from "../storage/service.js"
import type { Fleet } from "./active.js"
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

/**
 * Controls a stored execution that no runner runs. `token`: runners share the database, and this
 * one took the execution over for this (it keeps it when it runs it now, else gives it back).
 */
const controlStored = (rt: Runtime, executionId: string, tag: ControlTag, token?: number) =>
  Effect.gen(function*() {
    const row = yield* rt.env.storage.execution(executionId)
    if (Option.isNone(row)) return yield* new ExecutionNotFoundError({ executionId })
    if (isFinal(row.value.status)) return []
    const stored = yield* tasksOf(rt, executionId)
    const found = rt.registry.forExecution(row.value, stored.tasks)
    const runsHere = !rt.env.storage.readOnly && (rt.fleet === undefined || rt.fleet.worker)
    if (tag === "Resume" && found._tag === "Runnable" && runsHere) {
      const active = yield* takeUp(rt, found.runnable, row.value, stored, { resume: true, token, reason: "resumed" })
      return active.state.waitingChildren()
    }
    const dag = found._tag === "Runnable" ? found.runnable.workflow : yield* rt.registry.dagOf(row.value)
    if (dag === undefined) {
      return yield* new StorageError({
        operation: `${tag.toLowerCase()} ${executionId}`,
        cause: new Error(`the definition of workflow "${row.value.workflowName}" is not stored`)
      })
    }
    const state = new ExecutionState(dag, metaOf(row.value, rt.env.runnerId, stored), stored.rounds)
    const now = yield* Clock.currentTimeMillis
    state.restore(stored.tasks, { paused: row.value.status === "Paused", resumed: false }, now)
    const children = state.waitingChildren()
    if (tag === "Cancel") {
      state.cancel("cancelled", now)
      state.finish(now)
    } else {
      state.setPaused(tag === "Pause", now)
    }
    yield* flush(rt.env, state, undefined, "execution", token)
    if (token !== undefined) yield* rt.fleet!.storage.release(rt.env.runnerId, { executionId, token })
    return children
  })

/** Passes a control down to an execution's children (after the take-up permit is given back). */
const passDown = (rt: Runtime, children: ReadonlyArray<string> | undefined, tag: ControlTag) =>
  Effect.forEach(children ?? [], (key) => rt.env.children.control(key, tag), { discard: true })

/**
 * Runners share the database: the owner of the execution, if it lives, is asked (and this waits
 * until it did it); an execution nobody runs (or whose runner died) is taken over and controlled
 * here.
 */
const controlShared = (rt: Runtime, fleet: Fleet, executionId: string, tag: ControlTag) => {
  let asked = false
  return fleet.awaitChange(
    executionId,
    Effect.gen(function*() {
      if (yield* message(rt, executionId, tag)) return Option.some(undefined)
      const own = yield* fleet.storage.ownership(executionId)
      if (Option.isNone(own)) return yield* new ExecutionNotFoundError({ executionId })
      const { live, owner, requested } = own.value
      if (live && owner !== rt.env.runnerId) {
        if (asked && requested === null) return Option.some(undefined)
        // Ended meanwhile: nothing left to control.
        const row = yield* rt.env.storage.execution(executionId)
        if (Option.isNone(row) || isFinal(row.value.status)) return Option.some(undefined)
        // Asked again at every look: an owner that was still taking the execution up missed it.
        yield* fleet.storage.request(executionId, tag)
        asked = true
        return Option.none()
      }
      // Serialized with taking executions up here, so that it cannot start meanwhile.
      return yield* rt.adopting.withPermits(1)(Effect.gen(function*() {
        if (yield* message(rt, executionId, tag)) return Option.some(undefined)
        const taken = yield* fleet.storage.adoptOne(rt.env.runnerId, executionId)
        if (Option.isNone(taken)) {
          // Finished, or another runner took it first: look again.
          const row = yield* rt.env.storage.execution(executionId)
          return Option.isNone(row) || isFinal(row.value.status) ? Option.some(undefined) : Option.none()
        }
        const children = yield* controlStored(rt, executionId, tag, taken.value.token)
        if (asked) yield* fleet.storage.answered(executionId, tag)
        return Option.some(children)
      })).pipe(Effect.tap((done) => Option.isSome(done) ? passDown(rt, done.value, tag) : Effect.void))
    })
  )
}

export const control =
  (rt: Runtime, tag: ControlTag) => (executionId: string): Effect.Effect<void, ExecutionNotFoundError | StorageError> =>
    Effect.gen(function*() {
      if (yield* message(rt, executionId, tag)) return
      if (rt.fleet !== undefined) return yield* controlShared(rt, rt.fleet, executionId, tag)
      // Not running here: serialized with taking executions up, so that it cannot start meanwhile.
      const children = yield* rt.adopting.withPermits(1)(
        Effect.flatMap(
          message(rt, executionId, tag),
          (sent) => sent ? Effect.succeed([]) : controlStored(rt, executionId, tag)
        )
      )
      yield* passDown(rt, children, tag)
    })

/** Runners sharing a database: applies a control another runner asked of an execution run here. */
export const answer = (rt: Runtime, storage: FleetStorage, executionId: string): Effect.Effect<void> =>
  Effect.gen(function*() {
    if (!rt.active.has(executionId)) return
    const own = yield* storage.ownership(executionId)
    if (Option.isNone(own) || own.value.owner !== rt.env.runnerId) return
    const asked = own.value.requested
    if (asked !== "Cancel" && asked !== "Pause" && asked !== "Resume") return
    if (yield* message(rt, executionId, asked)) yield* storage.answered(executionId, asked)
  }).pipe(Effect.catchAllCause((cause) => Effect.logWarning(`control of ${executionId} not answered`, cause)))
