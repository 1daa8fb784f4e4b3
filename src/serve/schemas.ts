/**
 * What the API sends, as Schemas (the OpenAPI document is derived from them). Times are ISO
 * strings, except in events, which keep `ExecutionEvent`'s own encoding (epoch milliseconds).
 */
import { Schema } from "effect"
import { AttemptStatus, ExecutionStatus, FinalStatus, TaskStatus } from "../Status.js"

const optionalDate = Schema.optional(Schema.Date)
const optionalString = Schema.optional(Schema.String)
const optionalNumber = Schema.optional(Schema.Number)
const Json = Schema.Record({ key: Schema.String, value: Schema.Unknown })

/** An execution in a listing. */
export const ExecutionSummary = Schema.Struct({
  executionId: Schema.String,
  workflowName: Schema.String,
  workflowVersion: Schema.String,
  status: ExecutionStatus,
  startedAt: Schema.Date,
  completedAt: optionalDate,
  durationMs: optionalNumber,
  errorMessage: optionalString,
  idempotencyKey: optionalString,
  parentExecutionId: optionalString,
  stranded: optionalString
}).annotations({ identifier: "ExecutionSummary" })

/** A page of the listing, newest first. */
export const ExecutionPage = Schema.Struct({
  executions: Schema.Array(ExecutionSummary),
  limit: Schema.Number,
  offset: Schema.Number,
  hasMore: Schema.Boolean
}).annotations({ identifier: "ExecutionPage" })

/** One recorded attempt: on which runner, from when to when, how it ended. */
export const Attempt = Schema.Struct({
  taskId: Schema.String,
  attempt: Schema.Number,
  status: AttemptStatus,
  error: optionalString,
  startedAt: Schema.Date,
  completedAt: optionalDate,
  runnerId: optionalString
}).annotations({ identifier: "Attempt" })

/** One task: its status, its place in the DAG, what it wrote, its attempts. */
export const TaskDetail = Schema.Struct({
  taskId: Schema.String,
  status: TaskStatus,
  attempts: Schema.Number,
  startedAt: optionalDate,
  completedAt: optionalDate,
  durationMs: optionalNumber,
  error: optionalString,
  reason: optionalString,
  runnerId: optionalString,
  dependencies: Schema.Array(Schema.String),
  /** The longest path from a root to this task (roots: 0): its column in the drawing. */
  level: Schema.Number,
  wrote: Schema.optional(Json),
  deleted: Schema.Array(Schema.String),
  attemptList: Schema.Array(Attempt)
}).annotations({ identifier: "TaskDetail" })

/** One execution as the web view shows it. */
export const ExecutionDetail = Schema.Struct({
  ...ExecutionSummary.fields,
  input: Json,
  finalContext: Schema.optional(Json),
  tasks: Schema.Array(TaskDetail),
  progress: Schema.Struct({ finished: Schema.Number, total: Schema.Number })
}).annotations({ identifier: "ExecutionDetail" })

/** The answer to cancel, pause, resume and signal: the execution's status afterwards. */
export const ControlResult = Schema.Struct({
  executionId: Schema.String,
  status: ExecutionStatus
}).annotations({ identifier: "ControlResult" })

export const PruneRequest = Schema.Struct({
  /** A duration: `"7 days"`, `"12 hours"`, or milliseconds. */
  olderThan: Schema.Union(Schema.String, Schema.Number),
  status: Schema.optional(Schema.Union(FinalStatus, Schema.Array(FinalStatus)))
}).annotations({ identifier: "PruneRequest" })

export const PruneResult = Schema.Struct({ pruned: Schema.Number }).annotations({ identifier: "PruneResult" })

export const Schedule = Schema.Struct({
  id: Schema.String,
  kind: Schema.Literal("cron", "poll"),
  workflow: Schema.String,
  cron: optionalString,
  timezone: optionalString,
  everyMs: optionalNumber,
  input: Schema.optional(Json),
  catchUp: Schema.optional(Schema.Union(Schema.Literal("skip", "all"), Schema.Struct({ last: Schema.Number }))),
  overlap: Schema.optional(Schema.Literal("allow", "skip")),
  paused: Schema.Boolean,
  declared: Schema.Boolean,
  nextFire: optionalDate,
  lastFire: optionalDate
}).annotations({ identifier: "Schedule" })

export const ScheduleFire = Schema.Struct({
  scheduleId: Schema.String,
  scheduledTime: Schema.Date,
  executionId: optionalString,
  status: Schema.optional(Schema.Union(ExecutionStatus, Schema.Literal("Skipped"))),
  skipped: optionalString,
  firedAt: Schema.Date
}).annotations({ identifier: "ScheduleFire" })

/** How much is stored. */
export const Footprint = Schema.Struct({
  /** Executions by status (statuses with none are left out). */
  executions: Schema.Record({ key: Schema.String, value: Schema.Number }),
  /** Executions stored; absent: unknown (a storage without a `footprint` is not counted row by row). */
  total: optionalNumber,
  /** Bytes the storage takes (SQLite: the file's pages; PostgreSQL: tables and indexes); absent: unknown. */
  bytes: optionalNumber
}).annotations({ identifier: "Footprint" })

/** The server itself. */
export const ServerStatus = Schema.Struct({
  /** Event streams open now. */
  streams: Schema.Number,
  workflows: Schema.Array(Schema.String)
}).annotations({ identifier: "ServerStatus" })
