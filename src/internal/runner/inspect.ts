/**
 * Reading executions back: `get`, `list`, `history`, and `result` of any execution (a running
 * one is awaited on its Deferred; an unfinished one that no runner runs is taken up, when this
 * runner can run it).
 */
import { Deferred, Effect } from "effect"
import type { StorageError } from "../../Errors.js"
import { ExecutionNotFoundError, ExecutionNotRunnableError } from "../../Errors.js"
import type { ExecutionEvent } from "../../ExecutionEvent.js"
import type { AttemptInfo, ExecutionInfo, ExecutionSummary, WorkflowResult } from "../../WorkflowResult.js"
import { emptyObject } from "../dag/json.js"
import { eventsOf, fold } from "../storage/journal.js"
import type { ExecutionRow, ListFilter } from "../storage/service.js"
import { isFinished } from "../storage/service.js"
import { withProgress } from "./progress.js"
import { toInfo, toResult, toSummary } from "./projection.js"
import type { ResultError } from "./read.js"
import { readBack, resultShared, row } from "./read.js"
import { takeUp, tasksOf } from "./recovery.js"
import { versionKey, whyNot } from "./registry.js"
import type { Runtime } from "./runtime.js"

/**
 * Why no runner can run an unfinished execution, or undefined when one can (or it is finished):
 * its version is registered neither here nor, on a shared database, on a live worker. `known`
 * caches the fleet's answers per version within one read.
 */
const strandedOf = (
  rt: Runtime,
  execution: ExecutionRow,
  known: Map<string, boolean>
): Effect.Effect<string | undefined, StorageError> =>
  Effect.gen(function*() {
    if (isFinished(execution) || rt.active.has(execution.id)) return undefined
    const { workflowName, workflowVersion } = execution
    // A reader beside the runner that holds the storage cannot know what that runner has.
    if (rt.env.storage.readOnly) return undefined
    // Here, if this runner runs tasks; else (or as well) on a live worker.
    const here = rt.fleet === undefined || rt.fleet.worker
    if (here && rt.registry.runnableOf(workflowName, workflowVersion) !== undefined) return undefined
    const key = versionKey(workflowName, workflowVersion)
    if (rt.fleet !== undefined && !known.has(key)) {
      known.set(key, (yield* rt.fleet.storage.workers(key, rt.env.runnerId)) > 0)
    }
    if (known.get(key) === true) return undefined
    return `no runner has version ${workflowVersion} of workflow "${workflowName}"`
  })

export const get = (
  rt: Runtime,
  executionId: string
): Effect.Effect<ExecutionInfo, ExecutionNotFoundError | StorageError> =>
  Effect.gen(function*() {
    const execution = yield* row(rt, executionId)
    const { finalContext, tasks } = yield* readBack(rt, execution, (yield* tasksOf(rt, executionId)).tasks)
    return toInfo(execution, tasks, finalContext, yield* strandedOf(rt, execution, new Map()))
  })

export const list = (
  rt: Runtime,
  filter: ListFilter | undefined
): Effect.Effect<ReadonlyArray<ExecutionSummary>, StorageError> =>
  Effect.flatMap(rt.env.storage.executions(filter ?? {}), (rows) => {
    const known = new Map<string, boolean>()
    return Effect.forEach(rows, (r) => Effect.map(strandedOf(rt, r, known), (stranded) => toSummary(r, stranded)))
  })

export const history = (
  rt: Runtime,
  executionId: string
): Effect.Effect<ReadonlyArray<ExecutionEvent>, ExecutionNotFoundError | StorageError> =>
  Effect.gen(function*() {
    const execution = yield* row(rt, executionId)
    const events = eventsOf(executionId, (yield* rt.env.storage.journal(executionId)).entries)
    return withProgress(events, execution.taskCount, 0)
  })

/** Every recorded attempt of every task, by task in the order they first started, then by number. */
export const attempts = (
  rt: Runtime,
  executionId: string
): Effect.Effect<ReadonlyArray<AttemptInfo>, ExecutionNotFoundError | StorageError> =>
  Effect.gen(function*() {
    yield* row(rt, executionId)
    return fold((yield* rt.env.storage.journal(executionId)).entries).attempts.map((a) => ({
      taskId: a.taskId,
      attempt: a.attempt,
      status: a.status,
      error: a.error ?? undefined,
      startedAt: new Date(a.startedAt),
      completedAt: a.completedAt === null ? undefined : new Date(a.completedAt),
      runnerId: a.runnerId ?? undefined
    }))
  })

export type { ResultError } from "./read.js"

export const result = (rt: Runtime, executionId: string): Effect.Effect<WorkflowResult, ResultError> =>
  rt.fleet === undefined ? resultHere(rt, executionId) : resultShared(rt, rt.fleet, executionId)

const resultHere = (rt: Runtime, executionId: string): Effect.Effect<WorkflowResult, ResultError> => {
  /** Finished: its result; running here: its Deferred; unfinished and runnable here: taken up. */
  const lookUp = (takeUpIfIdle: boolean) =>
    Effect.gen(function*() {
      const running = rt.active.get(executionId)
      if (running !== undefined) return Deferred.await(running.done)
      const execution = yield* row(rt, executionId)
      const stored = yield* tasksOf(rt, executionId)
      const { tasks } = stored
      if (isFinished(execution)) {
        const read = yield* readBack(rt, execution, tasks)
        return Effect.succeed(toResult(execution, read.tasks, read.finalContext ?? emptyObject, read.dag))
      }
      const found = rt.registry.forExecution(execution, tasks)
      if (found._tag === "Unknown") return yield* rt.registry.notFound(execution.workflowName, executionId)
      const cannot = (detail: string) =>
        new ExecutionNotRunnableError({ executionId, workflowName: execution.workflowName, detail })
      if (found._tag !== "Runnable") return yield* cannot(whyNot(execution, found))
      if (rt.env.storage.readOnly) return yield* cannot("this runner's storage is open read-only")
      if (!takeUpIfIdle) return undefined
      const active = yield* takeUp(rt, found.runnable, execution, stored, { resume: false })
      return Deferred.await(active.done)
    })
  return Effect.gen(function*() {
    const known = yield* lookUp(false)
    if (known !== undefined) return yield* known
    // Nobody runs it: take it up, serialized with controls and other take-ups, reading it again.
    const taken = yield* rt.adopting.withPermits(1)(lookUp(true))
    return yield* taken!
  })
}
