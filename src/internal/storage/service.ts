/**
 * What a storage is: the rows it keeps and the operations the runner needs of it. Every
 * implementation (memory, SQL on SQLite and PostgreSQL) passes one conformance suite
 * (test/support/storageConformance.ts). `Storage.ts` re-exports all of it.
 */
import type { Effect, Option } from "effect"
import { Schema } from "effect"
import type { StorageError } from "../../Errors.js"
import type { ExecutionStatus as ExecutionStatusType, FinalStatus } from "../../Status.js"
import { ExecutionStatus, isFinal } from "../../Status.js"
import * as TriggerRule from "../../TriggerRule.js"
import { JsonObjectFromSelf } from "../dag/json.js"
import type { Dequeued, Fence, FleetStorage, QueuedTask } from "./fleetModel.js"
import type { Entry } from "./journal.js"

export * from "./fleetModel.js"

/**
 * @since 0.1.0
 * @category rows
 */
export const ExecutionRow = Schema.Struct({
  id: Schema.String,
  workflowName: Schema.String,
  workflowVersion: Schema.String,
  status: ExecutionStatus,
  input: JsonObjectFromSelf,
  errorMessage: Schema.NullOr(Schema.String),
  idempotencyKey: Schema.NullOr(Schema.String),
  taskCount: Schema.Number,
  createdAt: Schema.Number,
  completedAt: Schema.NullOr(Schema.Number)
})
/** @since 0.1.0 @category rows */
export type ExecutionRow = typeof ExecutionRow.Type

/**
 * An execution that ended: its status is final and it has an end time.
 *
 * @since 0.2.0
 * @category rows
 */
export type FinishedRow = ExecutionRow & { readonly status: FinalStatus; readonly completedAt: number }

/** @since 0.2.0 @category guards */
export const isFinished = (row: ExecutionRow): row is FinishedRow => isFinal(row.status) && row.completedAt !== null

/**
 * The fields of an execution that change after it is created.
 *
 * @since 0.1.0
 * @category rows
 */
export type ExecutionUpdate = Pick<ExecutionRow, "id" | "status" | "errorMessage" | "completedAt">

/**
 * A workflow's shape as stored, once per version: what a runner that does not have the
 * workflow's code still needs to show, cancel or pause its executions.
 *
 * @since 0.2.0
 * @category rows
 */
export const WorkflowDefinition = Schema.Struct({
  name: Schema.String,
  version: Schema.String,
  description: Schema.NullOr(Schema.String),
  tasks: Schema.Array(Schema.Struct({
    id: Schema.String,
    dependencies: Schema.Array(Schema.String),
    triggerRule: TriggerRule.schema,
    /** A task that waits for a signal: its name. */
    signal: Schema.optional(Schema.String)
  }))
})
/** @since 0.2.0 @category rows */
export type WorkflowDefinition = typeof WorkflowDefinition.Type

/**
 * The transitions one round of an execution made, in order. `round` numbers an execution's
 * rounds from 1: a round committed twice (a commit retried after a lost connection) is stored
 * once.
 *
 * @since 0.2.0
 * @category rows
 */
export interface Round {
  readonly executionId: string
  readonly round: number
  readonly entries: ReadonlyArray<Entry>
}

/**
 * An execution's journal as stored: its transitions in order, and the number of its last round.
 *
 * @since 0.2.0
 * @category rows
 */
export interface Journal {
  readonly entries: ReadonlyArray<Entry>
  readonly rounds: number
}

/**
 * Everything a commit writes, atomically: new executions, changes to executions, and rounds
 * appended to their journals.
 *
 * @since 0.1.0
 * @category rows
 */
export interface Batch {
  readonly executions: ReadonlyArray<ExecutionRow>
  readonly executionUpdates: ReadonlyArray<ExecutionUpdate>
  readonly rounds: ReadonlyArray<Round>
  /**
   * PostgreSQL with several runners: the executions this batch writes for as their owner
   * (`owner`), with the token it holds each under. A new execution with a fence is created owned
   * by `owner`; the updates and rounds of an execution whose stored token differs are not
   * written, and the commit fails with a fenced `StorageError` (see `isFenced`).
   */
  readonly fences?: ReadonlyArray<Fence> | undefined
  readonly owner?: string | undefined
  /** PostgreSQL, several runners: attempts started here offered to any runner (see `QueuedTask`). */
  readonly offers?: ReadonlyArray<QueuedTask> | undefined
  /** Offered attempts done with (their outcome recorded, or the execution ended): removed. */
  readonly dequeued?: ReadonlyArray<Dequeued> | undefined
  /** Executions another runner follows: their changes are announced (`c <ids>`). */
  readonly followed?: ReadonlyArray<string> | undefined
}

/**
 * @since 0.1.0
 * @category rows
 */
export const emptyBatch: Batch = { executions: [], executionUpdates: [], rounds: [] }

/**
 * @since 0.1.0
 * @category rows
 */
export interface ListFilter {
  readonly workflowName?: string | undefined
  readonly status?: ExecutionStatus | ReadonlyArray<ExecutionStatus> | undefined
  readonly limit?: number | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface StorageService {
  /** Opened to read only (beside a runner that holds the storage): `commit` fails. */
  readonly readOnly: boolean
  readonly commit: (batch: Batch) => Effect.Effect<void, StorageError>
  readonly execution: (id: string) => Effect.Effect<Option.Option<ExecutionRow>, StorageError>
  readonly executionByIdempotencyKey: (key: string) => Effect.Effect<Option.Option<ExecutionRow>, StorageError>
  /** Newest first. */
  readonly executions: (filter: ListFilter) => Effect.Effect<ReadonlyArray<ExecutionRow>, StorageError>
  /** An execution's transitions, in the order they were committed. */
  readonly journal: (executionId: string) => Effect.Effect<Journal, StorageError>
  /**
   * Inserts a new execution carrying an idempotency key, unless one with that key exists: then
   * it returns that one, and inserts nothing. Atomic, whatever runs at the same time. With
   * `owner` (several runners), the new execution is owned by that runner, with token 1.
   */
  readonly claim: (row: ExecutionRow, owner?: string) => Effect.Effect<Option.Option<ExecutionRow>, StorageError>
  /**
   * Deletes the finished executions completed before `before` (epoch ms), with all their rows;
   * with `status`, only those. Returns how many.
   */
  readonly prune: (
    before: number,
    status?: ReadonlyArray<"Completed" | "Failed" | "Cancelled">
  ) => Effect.Effect<number, StorageError>
  /**
   * A finished execution runs again (`runner.rerun`): its row back to `Running` and `round`
   * appended, only if it is finished (compare and set); with `owner` (several runners) it is
   * owned by that runner under a new token, without one it is left to the workers. Returns the
   * token, or none when it was not finished.
   */
  readonly reopen: (executionId: string, round: Round, owner?: string) => Effect.Effect<
    Option.Option<number>,
    StorageError
  >
  /** Stores a workflow's definition; a version already stored is left as it is. */
  readonly saveWorkflow: (definition: WorkflowDefinition) => Effect.Effect<void, StorageError>
  readonly workflow: (name: string, version: string) => Effect.Effect<Option.Option<WorkflowDefinition>, StorageError>
  /**
   * Stores a signal for an execution, unless one with that name is stored already: returns
   * whether it was stored.
   */
  readonly putSignal: (signal: SignalRow) => Effect.Effect<boolean, StorageError>
  /** The signals stored for an execution, oldest first. */
  readonly signals: (executionId: string) => Effect.Effect<ReadonlyArray<SignalRow>, StorageError>
  /** Schedules and their fires (see `ScheduleStorage`). */
  readonly schedules: ScheduleStorage
  /** PostgreSQL: what several runners on one database share (see `FleetStorage`). */
  readonly fleet?: FleetStorage | undefined
  /** Large values stored apart from the journal, when a codec is set (none: kept inline). */
  readonly blobs?: BlobStorage | undefined
  /**
   * How much is stored: executions (by status) and the bytes the storage takes (SQLite: the
   * file's pages; PostgreSQL: its tables with their indexes; memory: unknown).
   */
  readonly footprint?: Effect.Effect<Footprint, StorageError> | undefined
  /**
   * Reclaims the space of pruned rows, after background retention pruned many (PostgreSQL:
   * `VACUUM` of the tables pruning empties; autovacuum may be off or slow). None: nothing to do.
   */
  readonly reclaim?: Effect.Effect<void, StorageError> | undefined
}

/**
 * @since 0.6.0
 * @category models
 */
export interface Footprint {
  readonly executions: Readonly<Partial<Record<ExecutionStatusType, number>>>
  readonly bytes: number | undefined
}

/**
 * A large value stored apart (a claim check): `body` is its encoded form, `digest` names it.
 *
 * @since 0.6.0
 * @category rows
 */
export interface BlobRow {
  readonly executionId: string
  readonly digest: string
  readonly body: string
}

/**
 * @since 0.6.0
 * @category models
 */
export interface BlobStorage {
  /** Stores values; one already stored under its execution and digest is left as it is. */
  readonly put: (rows: ReadonlyArray<BlobRow>) => Effect.Effect<void, StorageError>
  readonly get: (
    executionId: string,
    digests: ReadonlyArray<string>
  ) => Effect.Effect<ReadonlyArray<BlobRow>, StorageError>
}

/**
 * A signal sent to an execution: `runner.signal(executionId, name, payload)`.
 *
 * @since 0.4.0
 * @category rows
 */
export interface SignalRow {
  readonly executionId: string
  readonly name: string
  /** JSON. */
  readonly payload: unknown
  readonly sentAt: number
}

/**
 * A cron schedule or a poll trigger as stored: its definition (`spec`, JSON), whether it is
 * paused, whether it came from the runner's configuration (`declared`: reconciled at start), and
 * the next time it is due (`nextAt`, epoch ms): the first scheduled time not yet handled.
 *
 * @since 0.4.0
 * @category rows
 */
export interface ScheduleRow {
  readonly id: string
  readonly kind: "cron" | "poll"
  readonly spec: string
  readonly paused: boolean
  readonly declared: boolean
  readonly nextAt: number
  readonly updatedAt: number
}

/**
 * One fire of a schedule: the scheduled time, and the execution it started (none: skipped, with
 * why). A poll trigger's fires are its polls that started an execution.
 *
 * @since 0.4.0
 * @category rows
 */
export interface FireRow {
  readonly scheduleId: string
  readonly scheduledAt: number
  readonly executionId: string | null
  readonly skipped: string | null
  readonly firedAt: number
  /** Poll triggers: a digest of the input, to start nothing while an equal one is unfinished. */
  readonly inputKey: string | null
}

/** A fire with the status of its execution (none when it was skipped or has been pruned). */
export interface FireWithStatus extends FireRow {
  readonly status: ExecutionStatusType | null
}

/**
 * What firing a schedule writes, in one transaction: the schedule advanced to `nextAt` (only if
 * it is still at `expectedNextAt`: otherwise another runner fired it, and nothing is written),
 * its fire rows, and the executions they start (their rows and first rounds, in `batch`).
 */
export interface Fire {
  readonly scheduleId: string
  readonly expectedNextAt: number
  readonly nextAt: number
  readonly fires: ReadonlyArray<FireRow>
  readonly batch: Batch
}

/**
 * @since 0.4.0
 * @category models
 */
export interface ScheduleStorage {
  readonly list: Effect.Effect<ReadonlyArray<ScheduleRow>, StorageError>
  /**
   * Inserts or replaces a schedule; `keepNextAt`: a stored one keeps its next time (a runner may
   * have fired it since the caller read it).
   */
  readonly put: (row: ScheduleRow, options?: { readonly keepNextAt?: boolean }) => Effect.Effect<void, StorageError>
  /** Deletes a schedule and its fires; returns whether it existed. */
  readonly remove: (id: string) => Effect.Effect<boolean, StorageError>
  /** Writes a fire atomically (see `Fire`); false: the schedule was not at `expectedNextAt`. */
  readonly fire: (fire: Fire) => Effect.Effect<boolean, StorageError>
  /** A schedule's fires, newest first, with their executions' statuses. */
  readonly fires: (scheduleId: string, limit: number) => Effect.Effect<ReadonlyArray<FireWithStatus>, StorageError>
}
