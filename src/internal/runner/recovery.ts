/**
 * Taking up executions found unfinished in storage: at start (recovery after a restart), and
 * when `result` or `resume` asks for one that no runner is running. Completed tasks keep their
 * outputs, tasks that were running run again with the next attempt, waiting retries keep their
 * due times (see ExecutionState.restore).
 */
import { Clock, Effect, Option } from "effect"
import type { StorageError } from "../../Errors.js"
import type { ExecutionMeta } from "../execution/model.js"
import { ExecutionState } from "../execution/state.js"
import type { Entry, TaskRow } from "../storage/journal.js"
import { fold } from "../storage/journal.js"
import type { Adopted, Dequeued, ExecutionRow } from "../storage/service.js"
import { isFinished } from "../storage/service.js"
import type { Runnable } from "./registry.js"
import { whyNot } from "./registry.js"
import type { Runtime } from "./runtime.js"
import { prepare, start } from "./runtime.js"
import type { Active, Restored } from "./supervisor.js"

/** What an execution restored from storage is, as this runner sees it. */
export const metaOf = (row: ExecutionRow, runnerId: string, stored?: Stored): ExecutionMeta => ({
  executionId: row.id,
  input: row.input,
  createdAt: row.createdAt,
  idempotencyKey: row.idempotencyKey,
  runnerId,
  deadlineAt: stored?.deadlineAt ?? null
})

/** An execution's task rows, folded from its journal, and how many rounds it stored. */
export interface Stored {
  readonly tasks: ReadonlyMap<string, TaskRow>
  readonly rounds: number
  readonly deadlineAt: number | null
  readonly timeoutMs: number | null
}

export const tasksOf = (
  rt: Runtime,
  executionId: string
): Effect.Effect<Stored, StorageError> =>
  Effect.map(rt.env.storage.journal(executionId), (journal) => {
    const { deadlineAt, tasks, timeoutMs } = fold(journal.entries)
    return { tasks, rounds: journal.rounds, deadlineAt, timeoutMs }
  })

/**
 * Runners sharing a database: what becomes of the attempts the previous owner offered. Those
 * another runner completed are recorded now (not run again); those still without an outcome
 * stay offered, with the same attempt; the others (stale, failed) are dropped.
 */
const offeredOf = (
  rt: Runtime,
  executionId: string,
  stored: Stored
): Effect.Effect<
  { readonly stored: Stored; readonly recovered: ReadonlyArray<Entry>; readonly offered?: Restored }
> => {
  if (rt.fleet === undefined) return Effect.succeed({ stored, recovered: [] })
  const fleet = rt.fleet
  return Effect.gen(function*() {
    const rows = yield* fleet.storage.offered(executionId)
    const recovered: Array<Entry> = []
    const keep = new Map<string, number>()
    const drop: Array<Dequeued> = []
    for (const { attempt, outcome, taskId } of rows) {
      const task = stored.tasks.get(taskId)
      const current = task?.status === "Running" && task.attempts === attempt
      if (current && outcome === null) {
        keep.set(taskId, attempt)
        continue
      }
      drop.push({ executionId, taskId, attempt })
      if (!current || outcome === null || outcome.error !== undefined) continue
      const { completedAt: at, delta, runnerId } = outcome
      recovered.push({
        _tag: "TaskCompleted",
        at,
        taskId,
        attempt,
        runnerId,
        ...(delta === undefined ? {} : { output: delta })
      })
    }
    const offered = { keep, drop }
    if (recovered.length === 0) return { stored, recovered, offered }
    const journal = yield* rt.env.storage.journal(executionId)
    return { stored: { ...stored, tasks: fold([...journal.entries, ...recovered]).tasks }, recovered, offered }
  }).pipe(
    // Not readable: every offer of the previous run is dropped, and its attempts run again.
    Effect.orElseSucceed(() => ({ stored, recovered: [], offered: { keep: new Map(), drop: [{ executionId }] } }))
  )
}

/** Restores a stored execution and runs it here; `resume` also lifts a pause. */
export const takeUp = (
  rt: Runtime,
  runnable: Runnable,
  row: ExecutionRow,
  stored: Stored,
  options: { readonly resume: boolean; readonly reason?: string | undefined; readonly token?: number | undefined }
): Effect.Effect<Active> =>
  Effect.gen(function*() {
    const { offered, recovered, stored: withOutcomes } = yield* offeredOf(rt, row.id, stored)
    const state = new ExecutionState(runnable.workflow, metaOf(row, rt.env.runnerId, stored), stored.rounds)
    for (const entry of recovered) state.round.add(entry)
    const now = yield* Clock.currentTimeMillis
    const waiting = state.restore(withOutcomes.tasks, {
      paused: row.status === "Paused",
      resumed: true,
      reason: options.reason ?? "restarted",
      offered: offered?.keep
    }, now)
    if (options.resume) state.setPaused(false, now)
    const active = yield* prepare(rt.env, state, false, options.token)
    yield* start(rt, runnable, active, { waiting, offered })
    return active
  })

/**
 * Runners sharing a database: runs here an execution this runner just took over, restored as
 * after a restart, with why it moved; one it cannot run (unknown here, changed, or finished
 * meanwhile) is given back.
 */
export const takeOver = (rt: Runtime, taken: Adopted): Effect.Effect<Option.Option<Active>, StorageError> =>
  Effect.gen(function*() {
    const { executionId, previousOwner, token } = taken
    const row = yield* rt.env.storage.execution(executionId)
    if (Option.isNone(row)) return Option.none()
    const stored = yield* tasksOf(rt, executionId)
    const found = rt.registry.forExecution(row.value, stored.tasks)
    if (found._tag !== "Runnable" || isFinished(row.value)) {
      if (found._tag !== "Runnable") {
        yield* Effect.logWarning(`execution ${executionId} cannot run here (${whyNot(row.value, found)}); released`)
      }
      yield* rt.fleet!.storage.release(rt.env.runnerId, { executionId, token })
      return Option.none()
    }
    const reason = previousOwner === null
      ? "waiting for a runner"
      : previousOwner === rt.env.runnerId
      ? "restarted"
      : `lease expired (${previousOwner})`
    return Option.some(yield* takeUp(rt, found.runnable, row.value, stored, { resume: false, reason, token }))
  })

/** At start: takes up every unfinished execution of a workflow this runner knows. */
export const recover = (rt: Runtime): Effect.Effect<void, StorageError> =>
  Effect.gen(function*() {
    const unfinished = yield* rt.env.storage.executions({ status: ["Pending", "Running", "Paused"] })
    for (const row of unfinished.toReversed()) {
      // Serialized with `result` taking an execution up (a parent awaiting its child does): the
      // one that comes second finds it running.
      yield* rt.adopting.withPermits(1)(recoverOne(rt, row))
    }
  })

const recoverOne = (rt: Runtime, row: ExecutionRow): Effect.Effect<void, StorageError> =>
  Effect.gen(function*() {
    if (rt.active.has(row.id)) return
    const stored = yield* tasksOf(rt, row.id)
    const found = rt.registry.forExecution(row, stored.tasks)
    if (found._tag !== "Runnable") {
      yield* Effect.logWarning(`execution ${row.id} is left as it is: ${whyNot(row, found)}`)
    } else {
      yield* takeUp(rt, found.runnable, row, stored, { resume: false })
    }
  })
