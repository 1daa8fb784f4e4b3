/**
 * Taking up executions found unfinished in storage: at start (recovery after a restart), and
 * when `result` or `resume` asks for one that no runner is running. Completed tasks keep their
 * outputs, tasks that were running run again with the next attempt, waiting retries keep their
 * due times (see ExecutionState.restore).
 */
import { Clock, Effect } from "effect"
import type { StorageError } from "../../Errors.js"
import type { ExecutionMeta } from "../execution/model.js"
import { ExecutionState } from "../execution/state.js"
import type { TaskRow } from "../storage/journal.js"
import { fold } from "../storage/journal.js"
import type { ExecutionRow } from "../storage/service.js"
import type { Runnable } from "./registry.js"
import type { Runtime } from "./runtime.js"
import { prepare, start } from "./runtime.js"
import type { Active } from "./supervisor.js"

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
}

export const tasksOf = (
  rt: Runtime,
  executionId: string
): Effect.Effect<Stored, StorageError> =>
  Effect.map(rt.env.storage.journal(executionId), (journal) => {
    const { deadlineAt, tasks } = fold(journal.entries)
    return { tasks, rounds: journal.rounds, deadlineAt }
  })

/** Restores a stored execution and runs it here; `resume` also lifts a pause. */
export const takeUp = (
  rt: Runtime,
  runnable: Runnable,
  row: ExecutionRow,
  stored: Stored,
  options: { readonly resume: boolean; readonly reason?: string | undefined; readonly token?: number | undefined }
): Effect.Effect<Active> =>
  Effect.gen(function*() {
    const state = new ExecutionState(runnable.workflow, metaOf(row, rt.env.runnerId, stored), stored.rounds)
    const now = yield* Clock.currentTimeMillis
    const waiting = state.restore(stored.tasks, {
      paused: row.status === "Paused",
      resumed: true,
      reason: options.reason ?? "restarted"
    }, now)
    if (options.resume) state.setPaused(false, now)
    const active = yield* prepare(state, false, options.token)
    yield* start(rt, runnable, active, { waiting })
    return active
  })

/** At start: takes up every unfinished execution of a workflow this runner knows. */
export const recover = (rt: Runtime): Effect.Effect<void, StorageError> =>
  Effect.gen(function*() {
    const unfinished = yield* rt.env.storage.executions({ status: ["Pending", "Running", "Paused"] })
    for (const row of unfinished.toReversed()) {
      const stored = yield* tasksOf(rt, row.id)
      const found = rt.registry.forExecution(row, stored.tasks)
      if (found._tag === "Unknown") {
        yield* Effect.logWarning(`execution ${row.id} of unknown workflow "${row.workflowName}" is left as it is`)
      } else if (found._tag === "Changed") {
        yield* Effect.logWarning(
          `execution ${row.id}: workflow "${row.workflowName}" no longer has its tasks ${
            found.missing.join(", ")
          }; left as it is`
        )
      } else {
        yield* takeUp(rt, found.runnable, row, stored, { resume: false })
      }
    }
  })
