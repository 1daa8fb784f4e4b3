/**
 * The journal: what happens inside an execution, as the list of its transitions, appended in
 * the order they were committed. It is the one stored truth about an execution's tasks: task
 * rows, attempts and the public events are all folded from it, by every storage alike. See
 * docs/ARCHITECTURE.md, "The journal".
 */
import { Schema } from "effect"
import type { ExecutionEvent } from "../../ExecutionEvent.js"
import { AttemptStatus, FinalStatus, TaskStatus } from "../../Status.js"
import { JsonObjectFromSelf } from "../dag/json.js"

/** What an attempt changed in its context: the keys it set, the keys it deleted. */
export const ContextDelta = Schema.Struct({ set: JsonObjectFromSelf, deleted: Schema.Array(Schema.String) })

const at = Schema.Number
const taskId = Schema.String
const attempt = Schema.Number

/**
 * One transition, as stored (times in epoch milliseconds). Most are the public events without
 * their execution id; `output` and `interrupted` are kept for recovery, and `TaskSuspended`
 * (an attempt given back at shutdown, which does not count) is never shown as an event.
 */
export const Entry = Schema.Union(
  Schema.TaggedStruct("ExecutionStarted", {
    at,
    workflowName: Schema.String,
    resumed: Schema.Boolean,
    /** The runner that runs it from here on. */
    runnerId: Schema.optional(Schema.String),
    /** Why it moved to that runner (taken up after a restart, a lease that expired). */
    reason: Schema.optional(Schema.String),
    /** When the execution times out (epoch ms): stored, so that it holds after a restart. */
    deadlineAt: Schema.optional(at)
  }),
  Schema.TaggedStruct("TaskStarted", { at, taskId, attempt, runnerId: Schema.optional(Schema.String) }),
  /** `runnerId`: the runner that ran an attempt its owner offered to the others. */
  Schema.TaggedStruct("TaskCompleted", {
    at,
    taskId,
    attempt,
    output: Schema.optional(ContextDelta),
    runnerId: Schema.optional(Schema.String)
  }),
  Schema.TaggedStruct("TaskFailed", {
    at,
    taskId,
    attempt,
    error: Schema.String,
    retryAt: Schema.optional(at),
    runnerId: Schema.optional(Schema.String)
  }),
  Schema.TaggedStruct("TaskSkipped", { at, taskId, reason: Schema.String }),
  /**
   * A durable wait began (a sleep, a signal, a deferral): `until`, when it is due (a sleep's end,
   * a signal's timeout). A signal or sleep that ends completes the task with an attempt of its
   * own (`TaskStarted` and `TaskCompleted` in one round); a deferral's end starts the body.
   */
  Schema.TaggedStruct("TaskWaiting", {
    at,
    taskId,
    until: Schema.optional(at),
    signal: Schema.optional(Schema.String)
  }),
  Schema.TaggedStruct("TaskCancelled", {
    at,
    taskId,
    reason: Schema.String,
    /** The attempt that was running and was interrupted. */
    interrupted: Schema.optional(attempt)
  }),
  Schema.TaggedStruct("TaskSuspended", { at, taskId, attempt }),
  /** Items of a `Task.map` done: `[index, result]`; after a restart only the others run. */
  Schema.TaggedStruct("ItemsDone", {
    at,
    taskId,
    done: Schema.Array(Schema.Tuple(Schema.Number, Schema.Unknown))
  }),
  Schema.TaggedStruct("ExecutionPaused", { at }),
  Schema.TaggedStruct("ExecutionResumed", { at }),
  /** A finished execution runs again: these tasks are pending again, their attempts counted on. */
  Schema.TaggedStruct("ExecutionRerun", {
    at,
    tasks: Schema.Array(taskId),
    from: Schema.optional(taskId),
    /** The execution's timeout counted again from the rerun. */
    deadlineAt: Schema.optional(at)
  }),
  Schema.TaggedStruct("ExecutionFinished", { at, status: FinalStatus, errorMessage: Schema.optional(Schema.String) })
)
export type Entry = typeof Entry.Type

/** A round's entries as one stored JSON document. */
export const Entries = Schema.parseJson(Schema.Array(Entry))

/** The public event of a stored transition; none for the internal ones. */
export const toEvent = (executionId: string, entry: Entry): ExecutionEvent | undefined => {
  const when = new Date(entry.at)
  switch (entry._tag) {
    case "TaskCompleted":
      return { _tag: entry._tag, executionId, at: when, taskId: entry.taskId, attempt: entry.attempt }
    case "TaskFailed":
      return {
        _tag: entry._tag,
        executionId,
        at: when,
        taskId: entry.taskId,
        attempt: entry.attempt,
        error: entry.error,
        ...(entry.retryAt === undefined ? {} : { retryAt: new Date(entry.retryAt) })
      }
    case "TaskCancelled":
      return { _tag: entry._tag, executionId, at: when, taskId: entry.taskId, reason: entry.reason }
    case "TaskWaiting":
      return {
        _tag: entry._tag,
        executionId,
        at: when,
        taskId: entry.taskId,
        ...(entry.until === undefined ? {} : { until: new Date(entry.until) }),
        ...(entry.signal === undefined ? {} : { signal: entry.signal })
      }
    case "TaskSuspended":
    case "ItemsDone":
      return undefined
    case "ExecutionStarted":
    case "ExecutionRerun": {
      const { deadlineAt: _, ...event } = entry
      return { ...event, executionId, at: when }
    }
    default:
      return { ...entry, executionId, at: when }
  }
}

/** The public events of entries, in order. */
export const eventsOf = (executionId: string, entries: ReadonlyArray<Entry>): Array<ExecutionEvent> => {
  const out: Array<ExecutionEvent> = []
  for (const entry of entries) {
    const event = toEvent(executionId, entry)
    if (event !== undefined) out.push(event)
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// The folded view

/** A task of an execution as its transitions left it. Tasks that never left `Pending` have none. */
export const TaskRow = Schema.Struct({
  taskId: Schema.String,
  status: TaskStatus,
  /** Attempts started (and not given back at a shutdown). */
  attempts: Schema.Number,
  /** What the completing attempt changed in its context. */
  output: Schema.NullOr(ContextDelta),
  /** The last attempt's error. */
  error: Schema.NullOr(Schema.String),
  /** Why it was skipped or cancelled. */
  reason: Schema.NullOr(Schema.String),
  /** When its first attempt started. */
  startedAt: Schema.NullOr(Schema.Number),
  completedAt: Schema.NullOr(Schema.Number),
  /** The runner of the last attempt. */
  runnerId: Schema.NullOr(Schema.String),
  /** When a waiting retry is due, or a durable wait (a sleep's end, a signal's timeout). */
  retryAt: Schema.NullOr(Schema.Number),
  /** Run again by `rerun` this many times; its attempts before the last rerun (retries count from there). */
  reruns: Schema.optional(Schema.Number),
  rerunBase: Schema.optional(Schema.Number)
})
export type TaskRow = typeof TaskRow.Type

export const AttemptRow = Schema.Struct({
  taskId: Schema.String,
  attempt: Schema.Number,
  status: AttemptStatus,
  error: Schema.NullOr(Schema.String),
  startedAt: Schema.Number,
  completedAt: Schema.NullOr(Schema.Number),
  runnerId: Schema.NullOr(Schema.String)
})
export type AttemptRow = typeof AttemptRow.Type

type Mutable<A> = { -readonly [K in keyof A]: A[K] }

export interface Folded {
  readonly tasks: ReadonlyMap<string, TaskRow>
  /** By task, then attempt number, in the order the tasks first started. */
  readonly attempts: ReadonlyArray<AttemptRow>
  /** When the execution times out, if it has a timeout. */
  readonly deadlineAt: number | null
  /** Its timeout's length (a rerun counts it again from its start). */
  readonly timeoutMs: number | null
}

/** Folds an execution's transitions, in commit order, into its task and attempt rows. */
export const fold = (entries: Iterable<Entry>): Folded => {
  const tasks = new Map<string, Mutable<TaskRow>>()
  const attempts = new Map<string, Mutable<AttemptRow>>()
  const task = (id: string): Mutable<TaskRow> => {
    let row = tasks.get(id)
    if (row === undefined) {
      row = {
        taskId: id,
        status: "Pending",
        attempts: 0,
        output: null,
        error: null,
        reason: null,
        startedAt: null,
        completedAt: null,
        runnerId: null,
        retryAt: null
      }
      tasks.set(id, row)
    }
    return row
  }
  const key = (id: string, n: number) => `${id}\u0000${n}`
  const endAttempt = (
    id: string,
    n: number,
    status: AttemptStatus,
    error: string | null,
    when: number | null,
    runnerId?: string
  ) => {
    const row = attempts.get(key(id, n))
    if (row === undefined) return
    row.status = status
    row.error = error
    row.completedAt = when
    if (runnerId !== undefined) row.runnerId = tasks.get(id)!.runnerId = runnerId
  }
  let deadlineAt: number | null = null
  let timeoutMs: number | null = null
  for (const e of entries) {
    switch (e._tag) {
      case "ExecutionStarted":
        if (deadlineAt === null && e.deadlineAt !== undefined) {
          deadlineAt = e.deadlineAt
          timeoutMs = e.deadlineAt - e.at
        }
        break
      case "TaskStarted": {
        const row = task(e.taskId)
        // An attempt still running when the next one starts was lost with the process that ran it.
        if (row.status === "Running") {
          endAttempt(e.taskId, row.attempts, "Interrupted", "lost: its runner stopped", null)
        }
        row.status = "Running"
        row.attempts = e.attempt
        row.startedAt ??= e.at
        row.retryAt = null
        row.runnerId = e.runnerId ?? null
        attempts.set(key(e.taskId, e.attempt), {
          taskId: e.taskId,
          attempt: e.attempt,
          status: "Running",
          error: null,
          startedAt: e.at,
          completedAt: null,
          runnerId: e.runnerId ?? null
        })
        break
      }
      case "TaskCompleted": {
        const row = task(e.taskId)
        row.status = "Completed"
        row.output = e.output ?? { set: {}, deleted: [] }
        row.error = null
        row.completedAt = e.at
        endAttempt(e.taskId, e.attempt, "Completed", null, e.at, e.runnerId)
        break
      }
      case "TaskFailed": {
        const row = task(e.taskId)
        row.error = e.error
        endAttempt(e.taskId, e.attempt, "Failed", e.error, e.at, e.runnerId)
        if (e.retryAt === undefined) {
          row.status = "Failed"
          row.completedAt = e.at
        } else {
          row.status = "Retrying"
          row.retryAt = e.retryAt
        }
        break
      }
      case "TaskWaiting": {
        const row = task(e.taskId)
        row.status = "Waiting"
        row.retryAt = e.until ?? null
        break
      }
      case "TaskSkipped":
      case "TaskCancelled": {
        const row = task(e.taskId)
        row.status = e._tag === "TaskSkipped" ? "Skipped" : "Cancelled"
        row.reason = e.reason
        row.completedAt = e.at
        row.retryAt = null
        if (e._tag === "TaskCancelled" && e.interrupted !== undefined) {
          endAttempt(e.taskId, e.interrupted, "Interrupted", e.reason, e.at)
        }
        break
      }
      case "ExecutionRerun":
        if (e.deadlineAt !== undefined) deadlineAt = e.deadlineAt
        for (const id of e.tasks) {
          const row = task(id)
          // Its attempts stay (the history keeps them); the next one counts on from them.
          Object.assign(row, { status: "Pending", output: null, error: null, reason: null, retryAt: null })
          row.startedAt = row.completedAt = null
          row.reruns = (row.reruns ?? 0) + 1
          row.rerunBase = row.attempts
        }
        break
      case "TaskSuspended": {
        // Given back at a shutdown: the attempt does not count, the task is as it was before it.
        const row = task(e.taskId)
        attempts.delete(key(e.taskId, e.attempt))
        row.attempts = e.attempt - 1
        if (e.attempt > 1) {
          row.status = "Retrying"
          row.retryAt = 0
        } else {
          row.status = "Pending"
          row.startedAt = null
        }
        break
      }
    }
  }
  return { tasks, attempts: [...attempts.values()], deadlineAt, timeoutMs }
}
