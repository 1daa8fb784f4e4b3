/** Storage in process memory: Maps keyed like the SQL tables. */
import { Effect, Option } from "effect"
import type { AttemptRow, Batch, EventRow, ExecutionRow, ListFilter, StorageService, TaskRow } from "../../Storage.js"

interface ExecutionEntry {
  row: ExecutionRow
  readonly tasks: Map<string, TaskRow>
  readonly attempts: Map<string, AttemptRow>
  readonly events: Array<EventRow>
}

export const make = (): StorageService => {
  const executions = new Map<string, ExecutionEntry>()
  const byKey = new Map<string, string>()
  const entry = (id: string): ExecutionEntry | undefined => executions.get(id)

  const commit = (batch: Batch) =>
    Effect.sync(() => {
      for (const row of batch.executions) {
        executions.set(row.id, { row, tasks: new Map(), attempts: new Map(), events: [] })
        if (row.idempotencyKey !== null) byKey.set(row.idempotencyKey, row.id)
      }
      for (const update of batch.executionUpdates) {
        const e = entry(update.id)
        if (e !== undefined) e.row = { ...e.row, ...update }
      }
      for (const row of batch.tasks) entry(row.executionId)?.tasks.set(row.taskId, row)
      for (const row of batch.attempts) entry(row.executionId)?.attempts.set(`${row.taskId}\u0000${row.attempt}`, row)
      for (const row of batch.attemptDeletes) {
        entry(row.executionId)?.attempts.delete(`${row.taskId}\u0000${row.attempt}`)
      }
      for (const row of batch.events) entry(row.executionId)?.events.push(row)
    })

  const matches = (row: ExecutionRow, filter: ListFilter): boolean => {
    if (filter.workflowName !== undefined && row.workflowName !== filter.workflowName) return false
    if (filter.status === undefined) return true
    return typeof filter.status === "string" ? row.status === filter.status : filter.status.includes(row.status)
  }

  return {
    commit,
    execution: (id) => Effect.sync(() => Option.fromNullable(entry(id)?.row)),
    executionByIdempotencyKey: (key) =>
      Effect.sync(() => {
        const id = byKey.get(key)
        return Option.fromNullable(id === undefined ? undefined : entry(id)?.row)
      }),
    executions: (filter) =>
      Effect.sync(() => {
        const rows = [...executions.values()].map((e) => e.row).filter((row) => matches(row, filter)).reverse()
        return filter.limit === undefined ? rows : rows.slice(0, filter.limit)
      }),
    tasks: (id) => Effect.sync(() => [...(entry(id)?.tasks.values() ?? [])].sort((a, b) => a.position - b.position)),
    attempts: (id) =>
      Effect.sync(() =>
        [...(entry(id)?.attempts.values() ?? [])].sort((a, b) =>
          a.taskId === b.taskId ? a.attempt - b.attempt : a.taskId < b.taskId ? -1 : 1
        )
      ),
    events: (id) => Effect.sync(() => [...(entry(id)?.events ?? [])])
  }
}
