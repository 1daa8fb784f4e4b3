/** Storage in process memory: executions in a Map, each with its journal as an array. */
import { Effect, Option } from "effect"
import type { Entry } from "./journal.js"
import type { Batch, ExecutionRow, ListFilter, StorageService, WorkflowDefinition } from "./service.js"

interface ExecutionEntry {
  row: ExecutionRow
  readonly journal: Array<Entry>
}

const matches = (row: ExecutionRow, filter: ListFilter): boolean => {
  if (filter.workflowName !== undefined && row.workflowName !== filter.workflowName) return false
  if (filter.status === undefined) return true
  return typeof filter.status === "string" ? row.status === filter.status : filter.status.includes(row.status)
}

export const make = (): StorageService => {
  const executions = new Map<string, ExecutionEntry>()
  const byKey = new Map<string, string>()
  const workflows = new Map<string, WorkflowDefinition>()

  const commit = (batch: Batch) =>
    Effect.sync(() => {
      for (const row of batch.executions) {
        executions.set(row.id, { row, journal: [] })
        if (row.idempotencyKey !== null) byKey.set(row.idempotencyKey, row.id)
      }
      for (const update of batch.executionUpdates) {
        const e = executions.get(update.id)
        if (e !== undefined) e.row = { ...e.row, ...update }
      }
      for (const round of batch.rounds) {
        const journal = executions.get(round.executionId)?.journal
        if (journal !== undefined) { for (const entry of round.entries) journal.push(entry) }
      }
    })

  return {
    readOnly: false,
    commit,
    execution: (id) => Effect.sync(() => Option.fromNullable(executions.get(id)?.row)),
    executionByIdempotencyKey: (key) =>
      Effect.sync(() => {
        const id = byKey.get(key)
        return Option.fromNullable(id === undefined ? undefined : executions.get(id)?.row)
      }),
    executions: (filter) =>
      Effect.sync(() => {
        const rows = [...executions.values()].map((e) => e.row).filter((row) => matches(row, filter)).reverse()
        return filter.limit === undefined ? rows : rows.slice(0, filter.limit)
      }),
    journal: (id) => Effect.sync(() => [...(executions.get(id)?.journal ?? [])]),
    saveWorkflow: (definition) =>
      Effect.sync(() => {
        const key = `${definition.name}\u0000${definition.version}`
        if (!workflows.has(key)) workflows.set(key, definition)
      }),
    workflow: (name, version) => Effect.sync(() => Option.fromNullable(workflows.get(`${name}\u0000${version}`)))
  }
}
