/**
 * What runners sharing one PostgreSQL database need of the storage: offered attempts and their
 * outcomes, fences, adoption, leases and wake-ups. `service.ts` re-exports it with the rest of
 * the storage model. See docs/ARCHITECTURE.md, "Scale-out".
 */
import type { Effect, Option, Stream } from "effect"
import { Data } from "effect"
import type { StorageError } from "../../Errors.js"
import type { ContextDelta } from "../../TaskContext.js"
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
  /** A map item's result (JSON). */
  readonly value?: unknown
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
    /** The workflow versions it runs, as "name version" keys. */
    workflows: ReadonlyArray<string>
  ) => Effect.Effect<number, StorageError>
  /** At shutdown: its unfinished executions released to the others, its row deleted. */
  readonly leave: (runnerId: string) => Effect.Effect<void, StorageError>
  /**
   * Takes over up to `limit` unfinished executions of these workflow versions ("name version"
   * keys: an execution runs on the version it started with), oldest first: `waiting`,
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
  /** Live runners other than `except` that run tasks of this workflow version ("name version"). */
  readonly workers: (versionKey: string, except: string) => Effect.Effect<number, StorageError>
  /**
   * Wake-ups between runners: `c <ids>` (committed, for executions someone follows), `f <ids>`
   * (finished), `e <id>` (someone follows it), `w` (executions to take), `t` (tasks offered),
   * `o <id>` (outcomes for an owner), `q <id>` (a control asked), `p <runner>` (a ping).
   */
  readonly notifications: Stream.Stream<string, StorageError>
  /** Claims up to `limit` offered attempts of these workflow versions, oldest first (`SKIP LOCKED`). */
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
  readonly keys: KeyStorage
  readonly buckets: BucketStorage
}

/** Token buckets (rate limits): shared by the runners, timed by the database's clock. */
export interface BucketStorage {
  /** Up to `want` tokens of each bucket now (one transaction); each: how many, and ms until the next. */
  readonly take: (
    asked: ReadonlyArray<
      {
        readonly name: string
        readonly key: string
        readonly limit: number
        readonly perMs: number
        readonly want: number
      }
    >
  ) => Effect.Effect<ReadonlyArray<{ readonly granted: number; readonly waitMs: number }>, StorageError>
}

/**
 * Concurrency keys shared by the runners: a row per slot taken, under the limit declared by the
 * task unless one was set at run time (for the key, or for every key of the name: key `*`).
 */
export interface KeyStorage {
  /**
   * Takes, for each key asked, up to `want` slots if its limit allows (one transaction for all);
   * the ids taken, per key asked, in order.
   */
  readonly take: (
    holder: string,
    wanted: ReadonlyArray<
      { readonly name: string; readonly key: string; readonly declared: number; readonly want: number }
    >
  ) => Effect.Effect<ReadonlyArray<ReadonlyArray<string>>, StorageError>
  /** Gives slots back, and tells the runners (`k`): one may be waiting. */
  readonly give: (ids: ReadonlyArray<string>) => Effect.Effect<void, StorageError>
  /** A limit set at run time (`key` undefined: every key of the name), and the runners told. */
  readonly setLimit: (name: string, key: string | undefined, limit: number) => Effect.Effect<void, StorageError>
  /** Slots taken and the limit in force, per key asked about. */
  readonly counts: (
    keys: ReadonlyArray<{ readonly name: string; readonly key: string; readonly declared: number }>
  ) => Effect.Effect<ReadonlyArray<{ readonly running: number; readonly limit: number }>, StorageError>
  /** Slots of runners whose lease expired (or of this runner before a restart) are freed. */
  readonly reclaim: (restarted?: string) => Effect.Effect<void, StorageError>
}
