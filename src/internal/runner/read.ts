/**
 * Reading one execution back from storage, and what several runners on one database add to it:
 * `result` and `events` of an execution that any runner runs, waited for without polling in a
 * loop (woken by the runner that commits; see fleet.ts).
 */
import { Chunk, Deferred, Effect, Option, Stream } from "effect"
import type { ExecutionAbortedError, RunnerShutdownError, StorageError, WorkflowNotFoundError } from "../../Errors.js"
import { ExecutionNotFoundError, ExecutionNotRunnableError } from "../../Errors.js"
import type { ExecutionEvent } from "../../ExecutionEvent.js"
import type { WorkflowResult } from "../../WorkflowResult.js"
import { emptyObject } from "../dag/json.js"
import { ExecutionState } from "../execution/state.js"
import type { TaskRow } from "../storage/journal.js"
import { eventsOf } from "../storage/journal.js"
import type { ExecutionRow } from "../storage/service.js"
import { isFinished } from "../storage/service.js"
import type { Fleet } from "./active.js"
import { taskResults, toResult } from "./projection.js"
import { metaOf, takeOver, tasksOf } from "./recovery.js"
import { versionKey, whyNot } from "./registry.js"
import type { Runtime } from "./runtime.js"

export const row = (
  rt: Runtime,
  executionId: string
): Effect.Effect<ExecutionRow, ExecutionNotFoundError | StorageError> =>
  Effect.flatMap(
    rt.env.storage.execution(executionId),
    Option.match({
      onNone: () => Effect.fail(new ExecutionNotFoundError({ executionId })),
      onSome: Effect.succeed
    })
  )

/**
 * An execution read back: its tasks in topological order and, once it finished, its final
 * context, computed from the journal as the live execution computed it (it is not stored twice).
 */
export const readBack = (rt: Runtime, execution: ExecutionRow, tasks: ReadonlyMap<string, TaskRow>) =>
  Effect.map(rt.registry.dagOf(execution), (dag) => {
    const results = taskResults(dag?.graph, tasks)
    if (!isFinished(execution)) return { tasks: results, finalContext: undefined, dag }
    if (dag === undefined) return { tasks: results, finalContext: emptyObject, dag }
    const state = new ExecutionState(dag, metaOf(execution, rt.env.runnerId))
    state.restore(tasks, { paused: false, resumed: false }, execution.completedAt)
    return { tasks: results, finalContext: state.finalContext(), dag }
  })

export type ResultError =
  | ExecutionNotFoundError
  | WorkflowNotFoundError
  | ExecutionNotRunnableError
  | StorageError
  | ExecutionAbortedError
  | RunnerShutdownError

/** Takes over an execution nobody runs (or whose runner died) and runs it here, if it can. */
const adoptHere = (rt: Runtime, fleet: Fleet, executionId: string) =>
  rt.adopting.withPermits(1)(Effect.gen(function*() {
    const here = rt.active.get(executionId)
    if (here !== undefined && !here.lost) return Option.some(here)
    const taken = yield* fleet.storage.adoptOne(rt.env.runnerId, executionId)
    return Option.isNone(taken) ? Option.none() : yield* takeOver(rt, taken.value)
  }))

/**
 * `result` when runners share the database: finished, its result; run here, its Deferred;
 * waiting for a runner and runnable here, taken over; run elsewhere (or about to be), waited
 * for. It fails as on one runner only when no live runner could run it.
 */
export const resultShared = (
  rt: Runtime,
  fleet: Fleet,
  executionId: string
): Effect.Effect<WorkflowResult, ResultError> =>
  Effect.flatten(fleet.awaitChange(
    executionId,
    Effect.gen(function*() {
      const running = rt.active.get(executionId)
      if (running !== undefined && !running.lost) return Option.some(Deferred.await(running.done))
      const execution = yield* row(rt, executionId)
      const stored = yield* tasksOf(rt, executionId)
      if (isFinished(execution)) {
        const read = yield* readBack(rt, execution, stored.tasks)
        return Option.some(Effect.succeed(toResult(execution, read.tasks, read.finalContext ?? emptyObject, read.dag)))
      }
      const found = rt.registry.forExecution(execution, stored.tasks)
      if (found._tag === "Runnable" && fleet.worker && fleet.leaseHolds()) {
        const active = yield* adoptHere(rt, fleet, executionId)
        if (Option.isSome(active)) return Option.some(Deferred.await(active.value.done))
      }
      const own = yield* fleet.storage.ownership(executionId)
      if (Option.isSome(own) && own.value.live) return Option.none()
      // This runner could run it once its lease holds again; or another worker will take it.
      if (found._tag === "Runnable" && fleet.worker) return Option.none()
      if (
        (yield* fleet.storage.workers(versionKey(execution.workflowName, execution.workflowVersion), rt.env.runnerId)) >
          0
      ) return Option.none()
      // No live runner runs it or could: the answers of a lone runner.
      if (found._tag === "Unknown") return yield* rt.registry.notFound(execution.workflowName, executionId)
      return yield* new ExecutionNotRunnableError({
        executionId,
        workflowName: execution.workflowName,
        detail: found._tag === "Runnable" ? "no runner that runs its tasks is running" : whyNot(execution, found)
      })
    }),
    "end"
  ))

/** An execution's events from its start, as they are committed, by whichever runner runs it. */
export const follow = (rt: Runtime, fleet: Fleet, executionId: string): Stream.Stream<ExecutionEvent, StorageError> =>
  Stream.unfoldChunkEffect(
    { seen: 0, ended: false },
    (at) =>
      at.ended ? Effect.succeed(Option.none()) : fleet.awaitChange(
        executionId,
        Effect.map(rt.env.storage.journal(executionId), (journal) => {
          const events = eventsOf(executionId, journal.entries)
          return events.length > at.seen ? Option.some(events.slice(at.seen)) : Option.none()
        })
      ).pipe(Effect.map((events) =>
        Option.some(
          [
            Chunk.unsafeFromArray(events),
            { seen: at.seen + events.length, ended: events.some((e) => e._tag === "ExecutionFinished") }
          ] as const
        )
      ))
  )
