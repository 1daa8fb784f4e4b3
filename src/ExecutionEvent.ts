/**
 * What happens during an execution, as it happens: `Runner.events` streams these for every
 * execution, a submit handle's `events` for its own, and `history(id)` reads them back from
 * storage. Each is a Schema: `Schema.encode(ExecutionEvent)` gives its JSON form (times as epoch
 * milliseconds), `Schema.decodeUnknown(ExecutionEvent)` reads it back.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { FinalStatus } from "./Status.js"

const base = { executionId: Schema.String, at: Schema.DateFromNumber }
const task = { ...base, taskId: Schema.String }

/**
 * Where the execution stands after a task ended: tasks finished (completed, failed, skipped,
 * cancelled) out of all its tasks. What a progress bar needs, on every task-ending event.
 *
 * @since 0.6.0
 * @category schemas
 */
export const Progress = Schema.Struct({ finished: Schema.Number, total: Schema.Number })
/** @since 0.6.0 @category models */
export type Progress = typeof Progress.Type
const progress = { progress: Schema.optional(Progress) }

/** @since 0.2.0 @category schemas */
export const ExecutionStarted = Schema.TaggedStruct("ExecutionStarted", {
  ...base,
  workflowName: Schema.String,
  /** True when a runner took it up again from storage (after a restart, or from another runner). */
  resumed: Schema.Boolean,
  /** The runner that runs it from here on. */
  runnerId: Schema.optional(Schema.String),
  /**
   * Why it moved to that runner: `"restarted"`, `"lease expired (<runner>)"`, `"waiting for a
   * runner"` (submitted or released unowned), `"resumed"`.
   */
  reason: Schema.optional(Schema.String),
  /** How many tasks it has (with `progress` on task-ending events: a progress bar). */
  taskCount: Schema.optional(Schema.Number)
})

/** @since 0.2.0 @category schemas */
export const TaskStarted = Schema.TaggedStruct("TaskStarted", {
  ...task,
  attempt: Schema.Number,
  /** The runner that runs this attempt. */
  runnerId: Schema.optional(Schema.String)
})

/** @since 0.2.0 @category schemas */
export const TaskCompleted = Schema.TaggedStruct("TaskCompleted", { ...task, attempt: Schema.Number, ...progress })

/** @since 0.2.0 @category schemas */
export const TaskFailed = Schema.TaggedStruct("TaskFailed", {
  ...task,
  attempt: Schema.Number,
  error: Schema.String,
  /** When another attempt follows: the time it is due. */
  retryAt: Schema.optional(Schema.DateFromNumber),
  /** When no attempt follows. */
  ...progress
})

/** @since 0.2.0 @category schemas */
export const TaskSkipped = Schema.TaggedStruct("TaskSkipped", { ...task, reason: Schema.String, ...progress })

/**
 * A durable wait began: a sleep (`until`: its end), a signal (`signal`; `until`: its timeout), a
 * deferral (neither).
 *
 * @since 0.4.0
 * @category schemas
 */
export const TaskWaiting = Schema.TaggedStruct("TaskWaiting", {
  ...task,
  until: Schema.optional(Schema.DateFromNumber),
  signal: Schema.optional(Schema.String)
})

/** @since 0.2.0 @category schemas */
export const TaskCancelled = Schema.TaggedStruct("TaskCancelled", { ...task, reason: Schema.String, ...progress })

/** @since 0.2.0 @category schemas */
export const ExecutionPaused = Schema.TaggedStruct("ExecutionPaused", base)

/** @since 0.2.0 @category schemas */
export const ExecutionResumed = Schema.TaggedStruct("ExecutionResumed", base)

/**
 * A finished execution runs again (`runner.rerun`): `tasks`, the tasks that run again (in
 * topological order), `from` when the rerun was asked from a task.
 *
 * @since 0.5.0
 * @category schemas
 */
export const ExecutionRerun = Schema.TaggedStruct("ExecutionRerun", {
  ...base,
  tasks: Schema.Array(Schema.String),
  from: Schema.optional(Schema.String)
})

/** @since 0.2.0 @category schemas */
export const ExecutionFinished = Schema.TaggedStruct("ExecutionFinished", {
  ...base,
  status: FinalStatus,
  errorMessage: Schema.optional(Schema.String)
})

/**
 * @since 0.2.0
 * @category schemas
 */
export const ExecutionEvent = Schema.Union(
  ExecutionStarted,
  TaskStarted,
  TaskCompleted,
  TaskFailed,
  TaskSkipped,
  TaskWaiting,
  TaskCancelled,
  ExecutionPaused,
  ExecutionResumed,
  ExecutionRerun,
  ExecutionFinished
)

/**
 * @since 0.1.0
 * @category models
 */
export type ExecutionEvent = typeof ExecutionEvent.Type

/**
 * @since 0.1.0
 * @category models
 */
export type Tag = ExecutionEvent["_tag"]

/**
 * In `Runner.events` only: the consumer fell behind by more than the runner's event buffer, and
 * this many events (the oldest) were dropped before the ones that follow. Not an execution's
 * event: `history(id)` has them all.
 *
 * @since 0.2.0
 * @category schemas
 */
export const EventsDropped = Schema.TaggedStruct("EventsDropped", { count: Schema.Number, at: Schema.DateFromNumber })

/**
 * @since 0.2.0
 * @category models
 */
export type EventsDropped = typeof EventsDropped.Type

/**
 * The last event of every execution.
 *
 * @since 0.1.0
 * @category guards
 */
export const isFinished = (event: ExecutionEvent): event is typeof ExecutionFinished.Type =>
  event._tag === "ExecutionFinished"
