/**
 * What a storage is: the rows it keeps and the operations the runner needs of it. Every
 * implementation (memory, SQL on SQLite and PostgreSQL) passes one conformance suite
 * (test/support/storageConformance.ts). `Storage.ts` re-exports all of it.
 */
import type { Effect, Option } from "effect"
import { Schema } from "effect"
import type { StorageError } from "../../Errors.js"
import type { FinalStatus } from "../../Status.js"
import { ExecutionStatus, isFinal } from "../../Status.js"
import * as TriggerRule from "../../TriggerRule.js"
import { JsonObjectFromSelf } from "../dag/json.js"
import type { Entry } from "./journal.js"

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
    triggerRule: TriggerRule.schema
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
   * it returns that one, and inserts nothing. Atomic, whatever runs at the same time.
   */
  readonly claim: (row: ExecutionRow) => Effect.Effect<Option.Option<ExecutionRow>, StorageError>
  /**
   * Deletes the finished executions completed before `before` (epoch ms), with all their rows;
   * with `status`, only those. Returns how many.
   */
  readonly prune: (
    before: number,
    status?: ReadonlyArray<"Completed" | "Failed" | "Cancelled">
  ) => Effect.Effect<number, StorageError>
  /** Stores a workflow's definition; a version already stored is left as it is. */
  readonly saveWorkflow: (definition: WorkflowDefinition) => Effect.Effect<void, StorageError>
  readonly workflow: (name: string, version: string) => Effect.Effect<Option.Option<WorkflowDefinition>, StorageError>
}
