/**
 * Storage in process memory: executions in a Map, each with its journal as the list of its
 * rounds (the arrays the runner committed, kept as they are: no entry is copied).
 */
import { Effect, Option } from "effect"
import { isFinal } from "../../Status.js"
import type { Entry } from "./journal.js"
import type {
  Batch,
  ExecutionRow,
  FireRow,
  ListFilter,
  ScheduleRow,
  ScheduleStorage,
  SignalRow,
  StorageService,
  WorkflowDefinition
} from "./service.js"

interface ExecutionEntry {
  row: ExecutionRow
  readonly journal: Array<ReadonlyArray<Entry>>
  rounds: number
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
  const signals = new Map<string, Array<SignalRow>>()
  /** Large values stored apart, by execution then digest (see ../codec.ts). */
  const blobs = new Map<string, Map<string, string>>()
  const schedules = new Map<string, ScheduleRow>()
  const fires = new Map<string, Array<FireRow>>()

  const insert = (row: ExecutionRow) => {
    if (executions.has(row.id)) return
    executions.set(row.id, { row, journal: [], rounds: 0 })
    if (row.idempotencyKey !== null) byKey.set(row.idempotencyKey, row.id)
  }

  const commit = (batch: Batch) =>
    Effect.sync(() => {
      for (const row of batch.executions) insert(row)
      for (const update of batch.executionUpdates) {
        const e = executions.get(update.id)
        if (e !== undefined) e.row = { ...e.row, ...update }
      }
      for (const round of batch.rounds) {
        const e = executions.get(round.executionId)
        // A round already stored (a commit retried) is not stored twice.
        if (e === undefined || round.round <= e.rounds) continue
        e.rounds = round.round
        e.journal.push(round.entries)
      }
    })

  const scheduleStorage: ScheduleStorage = {
    list: Effect.sync(() => [...schedules.values()]),
    put: (row, options) =>
      Effect.sync(() => {
        const stored = schedules.get(row.id)
        schedules.set(row.id, options?.keepNextAt === true && stored ? { ...row, nextAt: stored.nextAt } : row)
      }),
    remove: (id) =>
      Effect.sync(() => {
        fires.delete(id)
        return schedules.delete(id)
      }),
    // One synchronous step: nothing runs between the check and the writes.
    fire: (fire) =>
      Effect.suspend(() => {
        const row = schedules.get(fire.scheduleId)
        if (row === undefined || row.nextAt !== fire.expectedNextAt) return Effect.succeed(false)
        const list = fires.get(fire.scheduleId) ?? []
        const stored = new Set(list.map((f) => f.scheduledAt))
        if (fire.fires.some((f) => stored.has(f.scheduledAt))) return Effect.succeed(false)
        schedules.set(row.id, { ...row, nextAt: fire.nextAt })
        list.push(...fire.fires)
        fires.set(fire.scheduleId, list)
        return Effect.as(commit(fire.batch), true)
      }),
    fires: (id, limit) =>
      Effect.sync(() =>
        (fires.get(id) ?? []).toSorted((a, b) => b.scheduledAt - a.scheduledAt).slice(0, limit).map((f) => ({
          ...f,
          status: f.executionId === null ? null : executions.get(f.executionId)?.row.status ?? null
        }))
      )
  }

  return {
    readOnly: false,
    schedules: scheduleStorage,
    putSignal: (signal) =>
      Effect.sync(() => {
        const list = signals.get(signal.executionId) ?? []
        if (list.some((s) => s.name === signal.name)) return false
        list.push(signal)
        signals.set(signal.executionId, list)
        return true
      }),
    signals: (id) => Effect.sync(() => signals.get(id) ?? []),
    footprint: Effect.sync(() => {
      const counts: Record<string, number> = {}
      for (const e of executions.values()) counts[e.row.status] = (counts[e.row.status] ?? 0) + 1
      return { executions: counts, bytes: undefined }
    }),
    blobs: {
      put: (rows) =>
        Effect.sync(() => {
          for (const r of rows) {
            const stored = blobs.get(r.executionId) ?? new Map<string, string>()
            if (!stored.has(r.digest)) stored.set(r.digest, r.body)
            blobs.set(r.executionId, stored)
          }
        }),
      get: (executionId, digests) =>
        Effect.sync(() => {
          const stored = blobs.get(executionId)
          return digests.flatMap((digest) => {
            const body = stored?.get(digest)
            return body === undefined ? [] : [{ executionId, digest, body }]
          })
        })
    },
    commit,
    reopen: (id, round) =>
      Effect.suspend(() => {
        const e = executions.get(id)
        if (e === undefined || !isFinal(e.row.status)) return Effect.succeed(Option.none())
        e.row = { ...e.row, status: "Running", errorMessage: null, completedAt: null }
        return Effect.as(commit({ executions: [], executionUpdates: [], rounds: [round] }), Option.some(0))
      }),
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
    journal: (id) =>
      Effect.sync(() => {
        const e = executions.get(id)
        return { entries: e === undefined ? [] : e.journal.flat(), rounds: e?.rounds ?? 0 }
      }),
    claim: (row) =>
      Effect.sync(() => {
        const existing = row.idempotencyKey === null ? undefined : byKey.get(row.idempotencyKey)
        if (existing !== undefined) return Option.fromNullable(executions.get(existing)?.row)
        insert(row)
        return Option.none()
      }),
    prune: (before, status) =>
      Effect.sync(() => {
        let pruned = 0
        for (const [id, e] of executions) {
          const { completedAt, idempotencyKey, status: s } = e.row
          if (!isFinal(s) || completedAt === null || completedAt >= before) continue
          if (status !== undefined && !status.includes(s)) continue
          executions.delete(id)
          signals.delete(id)
          blobs.delete(id)
          if (idempotencyKey !== null) byKey.delete(idempotencyKey)
          pruned++
        }
        // Fires of pruned executions, and skipped ones as old, go with them.
        for (const [id, list] of fires) {
          fires.set(
            id,
            list.filter((f) => f.executionId === null ? f.firedAt >= before : executions.has(f.executionId))
          )
        }
        return pruned
      }),
    saveWorkflow: (definition) =>
      Effect.sync(() => {
        const key = `${definition.name}\u0000${definition.version}`
        if (!workflows.has(key)) workflows.set(key, definition)
      }),
    workflow: (name, version) => Effect.sync(() => Option.fromNullable(workflows.get(`${name}\u0000${version}`)))
  }
}
