/**
 * What a storage is: the rows it keeps and the operations the runner needs of it. Every
 * implementation (memory, SQL on SQLite and PostgreSQL) passes one conformance suite
 * (test/support/storageConformance.ts). `Storage.ts` re-exports all of it.
 */
import type { Effect, Option, Stream } from "effect"
import { Data, Schema } from "effect"
import type { StorageError } from "../../Errors.js"
import type { FinalStatus } from "../../Status.js"
import { ExecutionStatus, isFinal } from "../../Status.js"
import type { ContextDelta } from "../../TaskContext.js"
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
 * An attempt its execution's owner recorded as started and offered to the other runners: one of
 * them claims it, runs the body, and leaves its outcome for the owner to record.
 *
 * @since 0.3.0
 * @category rows
 */
export interface QueuedTask {
  readonly executionId: string
  readonly taskId: string
  readonly attempt: number
  readonly workflowName: string
  readonly workflowVersion: string
  /** The task's input context. */
  readonly input: unknown
  /** Claimed: which claim of it this is (its outcome is taken from this claim only). */
  readonly claim?: number | undefined
}

/** An offered attempt to remove; without `taskId`, every one of the execution. */
export interface Dequeued {
  readonly executionId: string
  readonly taskId?: string | undefined
  readonly attempt?: number | undefined
}

/** What a runner that ran an offered attempt left for the owner: `error` when it failed. */
export interface TaskOutcome {
  readonly taskId: string
  readonly attempt: number
  readonly runnerId: string
  readonly completedAt: number
  readonly delta?: ContextDelta | undefined
  readonly error?: string | undefined
}

/**
 * An execution a runner owns, and the token it took it with: every adoption counts the token up,
 * so a runner that lost an execution (it stalled past its lease) can no longer write to it.
 *
 * @since 0.3.0
 * @category rows
 */
export interface Fence {
  readonly executionId: string
  readonly token: number
}

/**
 * The cause of a commit refused because the committing runner no longer owns these executions.
 *
 * @since 0.3.0
 * @category errors
 */
export class Fenced extends Data.TaggedError("Fenced")<{ readonly executionIds: ReadonlyArray<string> }> {
  override get message(): string {
    return `another runner took over ${this.executionIds.join(", ")}`
  }
}

/** Whether a commit failed because another runner took its execution over. */
export const isFenced = (error: StorageError): boolean => error.cause instanceof Fenced

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
  /** Stores a workflow's definition; a version already stored is left as it is. */
  readonly saveWorkflow: (definition: WorkflowDefinition) => Effect.Effect<void, StorageError>
  readonly workflow: (name: string, version: string) => Effect.Effect<Option.Option<WorkflowDefinition>, StorageError>
  /** PostgreSQL: what several runners on one database share (see `FleetStorage`). */
  readonly fleet?: FleetStorage | undefined
}

/** An execution a runner took over, with the token it holds it under. */
export interface Adopted {
  readonly executionId: string
  readonly token: number
  /** Its owner before: none (never run, or released), this runner (restarted), another one (dead). */
  readonly previousOwner: string | null
}

/** Who owns an execution, whether that runner is alive, and a control asked of it. */
export interface Ownership {
  readonly owner: string | null
  readonly live: boolean
  readonly requested: string | null
}

/**
 * Ownership of executions by runners under leases timed by the database's clock, the wake-ups
 * between runners, and the control requests they send each other. See docs/ARCHITECTURE.md,
 * "Scale-out".
 *
 * @since 0.3.0
 * @category models
 */
export interface FleetStorage {
  /**
   * One statement renews every lease of the runner: its row lives until `now() + leaseMs`.
   * Returns how many other live runners run tasks.
   */
  readonly heartbeat: (
    runnerId: string,
    leaseMs: number,
    worker: boolean,
    workflows: ReadonlyArray<string>
  ) => Effect.Effect<number, StorageError>
  /** At shutdown: its unfinished executions released to the others, its row deleted. */
  readonly leave: (runnerId: string) => Effect.Effect<void, StorageError>
  /**
   * Takes over up to `limit` unfinished executions of these workflows, oldest first: `waiting`,
   * owned by no runner (new, or released); `orphaned`, owned by a runner whose lease expired;
   * `own`, owned by this runner but not among `running` (from before a restart, or a lease it
   * lost). `FOR UPDATE SKIP LOCKED`: runners adopting at once take different ones.
   */
  readonly adopt: (
    runnerId: string,
    workflows: ReadonlyArray<string>,
    limit: number,
    running: ReadonlyArray<string>,
    mode: "waiting" | "orphaned" | "own"
  ) => Effect.Effect<ReadonlyArray<Adopted>, StorageError>
  /**
   * Takes over one unfinished execution, paused ones included, unless another live runner owns
   * it (the caller checked that this runner does not run it).
   */
  readonly adoptOne: (runnerId: string, executionId: string) => Effect.Effect<Option.Option<Adopted>, StorageError>
  /** Gives an execution back, unowned, for any runner to take (and tells them). */
  readonly release: (runnerId: string, fence: Fence) => Effect.Effect<void, StorageError>
  readonly ownership: (executionId: string) => Effect.Effect<Option.Option<Ownership>, StorageError>
  /** Asks the execution's owner for a control (`Cancel`, `Pause`, `Resume`), and tells it. */
  readonly request: (executionId: string, control: string) => Effect.Effect<void, StorageError>
  /** The owner did what was asked. */
  readonly answered: (executionId: string, control: string) => Effect.Effect<void, StorageError>
  /** Live runners other than `except` that run tasks of this workflow. */
  readonly workers: (workflowName: string, except: string) => Effect.Effect<number, StorageError>
  /**
   * Wake-ups between runners: `c <ids>` (committed, for executions someone follows), `f <ids>`
   * (finished), `e <id>` (someone follows it), `w` (executions to take), `t` (tasks offered),
   * `o <id>` (outcomes for an owner), `q <id>` (a control asked), `p <runner>` (a ping).
   */
  readonly notifications: Stream.Stream<string, StorageError>
  /** Claims up to `limit` offered attempts of these workflows, oldest first (`SKIP LOCKED`). */
  readonly claim: (
    runnerId: string,
    workflows: ReadonlyArray<string>,
    limit: number
  ) => Effect.Effect<ReadonlyArray<QueuedTask>, StorageError>
  /**
   * Leaves a claimed attempt's outcome for its owner, and tells it; nothing if the attempt was
   * claimed again since (its runner's lease had expired).
   */
  readonly report: (executionId: string, claim: number, outcome: TaskOutcome) => Effect.Effect<void, StorageError>
  /** The outcomes of an execution's offered attempts, waiting to be recorded. */
  readonly outcomes: (executionId: string) => Effect.Effect<ReadonlyArray<TaskOutcome>, StorageError>
  /** Every offered attempt of an execution, with its outcome when there is one. */
  readonly offered: (
    executionId: string
  ) => Effect.Effect<
    ReadonlyArray<{ readonly taskId: string; readonly attempt: number; readonly outcome: TaskOutcome | null }>,
    StorageError
  >
  /** Offers again the attempts claimed by runners whose lease expired. */
  readonly reclaim: Effect.Effect<void, StorageError>
  readonly notify: (payload: string) => Effect.Effect<void, StorageError>
}
