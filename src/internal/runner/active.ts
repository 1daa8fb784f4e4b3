/**
 * One execution as the runner tracks it while it runs (its state, mailbox, result, permits), what
 * every supervisor shares, and the two steps around a round: starting ready tasks, committing.
 */
import type { Deferred, Effect as Fx, Option, Schedule } from "effect"
import { Effect, PubSub } from "effect"
import type { ExecutionAbortedError, RunnerShutdownError, StorageError } from "../../Errors.js"
import type { ExecutionEvent } from "../../ExecutionEvent.js"
import type { WorkflowResult } from "../../WorkflowResult.js"
import type { Json, SizeLimits } from "../dag/json.js"
import type { AttemptOutcome } from "../execution/model.js"
import type { ExecutionState } from "../execution/state.js"
import { eventsOf } from "../storage/journal.js"
import type { Batch, FleetStorage, StorageService } from "../storage/service.js"
import type { Hub } from "./hub.js"
import type { ExecutionKeys, Keys } from "./keys.js"
import type { Mailbox } from "./mailbox.js"
import type { Permits, Waiter } from "./permits.js"
import { endingCount, withProgress } from "./progress.js"
import type { Rates } from "./rates.js"
import { retryTransient } from "./retry.js"
import type { Telemetry } from "./telemetry.js"

export type Message =
  | { readonly _tag: "AttemptEnded"; readonly task: number; readonly attempt: number; readonly outcome: AttemptOutcome }
  | { readonly _tag: "RetryDue"; readonly task: number }
  /** Permits were handed over to this execution. */
  | { readonly _tag: "Permits" }
  | { readonly _tag: "Cancel"; readonly reason: string; readonly ack?: Deferred.Deferred<void> | undefined }
  | { readonly _tag: "Pause" | "Resume"; readonly ack?: Deferred.Deferred<void> | undefined }
  /** Other runners may have left outcomes of attempts this execution offered. */
  | { readonly _tag: "Outcomes" }
  /** A task held back by its concurrency key was handed a slot. */
  | { readonly _tag: "KeyGranted"; readonly task: number }
  /** A durable wait's time came (a sleep's end, a signal's timeout) or a deferral's check held. */
  | { readonly _tag: "WaitDue"; readonly task: number }
  /** A deferral's check failed: the task fails. */
  | { readonly _tag: "WaitFailed"; readonly task: number; readonly error: string }
  /** A signal was stored for this execution (read back from storage: `Signals`), or is given here. */
  | { readonly _tag: "Signal"; readonly name: string; readonly payload: unknown }
  | { readonly _tag: "Signals" }
  /** The stored signals were read (whether there were any): the supervisor may park. */
  | { readonly _tag: "SignalsRead" }
  /** Items of a `Task.map` task ran (to record), or all of them did (its end). */
  /** (`take` gives every item done since the last take: one message per round, however many.) */
  | { readonly _tag: "ItemsDone"; readonly task: number; readonly take: () => ReadonlyArray<readonly [number, Json]> }
  | {
    readonly _tag: "MapEnded"
    readonly task: number
    readonly ended: { readonly results: ReadonlyArray<Json> } | { readonly error: string }
  }
  /** A child execution (`Task.workflow`) ended: its result completes or fails the task. */
  | { readonly _tag: "ChildEnded"; readonly task: number; readonly result: WorkflowResult }

/** What every supervisor of a runner shares. */
export interface RuntimeEnv {
  /** This runner's name, recorded with every attempt it starts. */
  readonly runnerId: string
  readonly storage: StorageService
  readonly permits: Permits
  /** Concurrency keys' slots, runner-wide. */
  readonly keys: Keys
  /** Rate limits' token buckets, runner-wide. */
  readonly rates: Rates
  readonly hub: Hub
  /** The waits between tries of a commit that failed for a transient reason. */
  readonly storageRetry: Schedule.Schedule<unknown, StorageError>
  readonly limits: SizeLimits
  /** PostgreSQL: the runners sharing the database (see fleet.ts). */
  readonly fleet: Fleet | undefined
  /** Child executions of `Task.workflow` tasks (children.ts). */
  readonly children: ChildOps
  /** Spans and metrics, read off every round committed (telemetry.ts). */
  readonly telemetry: Telemetry
}

/** What a supervisor does with the child executions of its `Task.workflow` tasks. */
export interface ChildOps {
  /**
   * Starts the child keyed `key` unless it exists already (paused, when `paused()` says its
   * parent is), and waits for its result.
   */
  readonly run: (
    key: string,
    workflow: string,
    input: unknown,
    paused: () => boolean
  ) => Fx.Effect<WorkflowResult, unknown>
  /** Passes a control down to the child keyed `key`, if it exists and is unfinished. */
  readonly control: (key: string, tag: "Cancel" | "Pause" | "Resume") => Fx.Effect<void>
}

/** What a supervisor needs of the fleet: to hand an execution it lost over to its new owner. */
export interface FleetEnv {
  /** Settles `done` with the result of the execution, wherever it now runs. */
  readonly handOver: (active: Active) => Fx.Effect<void>
}

/** Runners sharing a PostgreSQL database: what the runner's operations use (see fleet.ts). */
export interface Fleet extends FleetEnv {
  readonly storage: FleetStorage
  readonly worker: boolean
  readonly leaseMs: number
  /** Whether this runner's lease holds now (by its own conservative reckoning). */
  readonly leaseHolds: () => boolean
  /** Whether a runner follows this execution's changes (its commits announce them). */
  readonly followed: (executionId: string) => boolean
  /** How many other workers are alive (as of the last heartbeat) to take offered attempts. */
  readonly otherWorkers: () => number
  /** Whether a worker may take one more execution now. */
  readonly hasRoom: () => boolean
  /** An execution here ended: if executions wait for a runner, the adoption loop looks now. */
  readonly roomFreed: () => void
  /**
   * Runs `check` until it gives a value: again on each change to the execution that another
   * runner (or this one) commits (`until: "end"`: only when it ends), and every couple of
   * seconds in case a wake-up was lost.
   */
  readonly awaitChange: <A, E, R>(
    executionId: string,
    check: Fx.Effect<Option.Option<A>, E, R>,
    until?: "change" | "end"
  ) => Fx.Effect<A, E, R>
}

/** Why an execution's result never came: see `ended`. */
export type EndError = StorageError | ExecutionAbortedError | RunnerShutdownError

/** One execution as the runner tracks it while it runs. */
export interface Active {
  readonly state: ExecutionState
  readonly mailbox: Mailbox<Message>
  readonly done: Deferred.Deferred<WorkflowResult, EndError>
  /** Replays the execution's events to late subscribers (submit handles). */
  readonly log: PubSub.PubSub<ExecutionEvent> | undefined
  /** Its place in the queue for permits. */
  readonly waiter: Waiter
  /** Its tasks' concurrency keys: slots held and waited for (none without keys). */
  readonly keys: ExecutionKeys | undefined
  /** Several runners: the token this runner owns the execution with (its commits are fenced by it). */
  readonly token: number | undefined
  /** Set when this runner lost the execution (its lease lapsed): it stops without writing. */
  lost: boolean
  /** Attempts it offered to other runners, waiting for their outcome. */
  offered: number
  /**
   * Set when its supervisor parked it (every unfinished task waits on a timer or a signal): when
   * it is due to wake (epoch ms; Infinity: only a message wakes it). See parking.ts.
   */
  parkedUntil: number | undefined
  /** The state of each failed task's retry schedule, stepped by the supervisor. */
  readonly retrySchedules: Map<number, unknown>
}

/** What a commit of an owner carries besides its round: attempts offered, offers done with. */
export type OfferParts = Pick<Batch, "offers" | "dequeued"> | undefined

/** The batch as this runner writes it: fenced by its token when it owns the execution. */
export const fenced = (
  env: RuntimeEnv,
  executionId: string,
  batch: Batch,
  token: number | undefined,
  parts?: OfferParts
): Batch => {
  if (token === undefined) return batch
  const fenced = { ...batch, fences: [{ executionId, token }], owner: env.runnerId, ...parts }
  return env.fleet?.followed(executionId) ? { ...fenced, followed: [executionId] } : fenced
}

/**
 * Commits what the state machine changed (trying again on transient errors: see retry.ts),
 * then publishes its events.
 */
export const flush = (
  env: RuntimeEnv,
  state: ExecutionState,
  log: PubSub.PubSub<ExecutionEvent> | undefined,
  mode: "execution" | "submit" | "once" = "execution",
  token?: number,
  parts?: OfferParts
): Effect.Effect<void, StorageError> => {
  const round = state.round.take()
  if (round === undefined && parts === undefined) return Effect.void
  const batch = round?.batch ?? { executions: [], executionUpdates: [], rounds: [] }
  const commit = env.storage.commit(fenced(env, state.executionId, batch, token, parts))
  return Effect.zipRight(
    mode === "once" ? commit : retryTransient(commit, env.storageRetry, `execution ${state.executionId}`, mode),
    Effect.suspend(() => {
      if (round !== undefined) env.telemetry.round(state.executionId, state.dag, round.entries)
      const listening = env.hub.listening()
      if ((log === undefined && !listening) || round === undefined) return Effect.void
      const plain = eventsOf(state.executionId, round.entries)
      const events = withProgress(plain, state.n, state.finished - endingCount(plain))
      const toLog = log === undefined ? Effect.void : PubSub.publishAll(log, events)
      return listening ? Effect.zipRight(env.hub.publish(events), toLog) : toLog
    })
  )
}

/** Takes the permits for as many ready tasks as may start, and records their attempts. */
export const startReady = (env: RuntimeEnv, active: Active, now: number): Array<number> => {
  const { state } = active
  // Its workflow's concurrency key first: without the slot it does not queue for permits.
  if (active.keys !== undefined && state.startable > 0 && !active.keys.admitExecution()) return []
  const held = env.permits.take(active.waiter, state.startable)
  const started = state.start(held, now)
  if (started.length < held) env.permits.give(held - started.length)
  return started
}
