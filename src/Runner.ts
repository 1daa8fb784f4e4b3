/**
 * The runner: runs executions of workflows, one supervisor fiber each, all sharing one
 * concurrency limit, persisting through `Storage`. When it starts on a storage that holds
 * unfinished executions it resumes them. The machinery is in `internal/runner/`.
 *
 * @since 0.1.0
 */
import type { Effect, Stream } from "effect"
import { Context, Layer } from "effect"
import type { CronSchedule } from "./CronSchedule.js"
import type {
  ContextValueError,
  ExecutionAbortedError,
  ExecutionNotFoundError,
  ExecutionNotRunnableError,
  InvalidOptionError,
  RerunError,
  RunnerShutdownError,
  ScheduleError,
  SignalError,
  StorageError,
  WorkflowDefinitionError
} from "./Errors.js"
import type { EventsDropped, ExecutionEvent } from "./ExecutionEvent.js"
import type { ExecutionHandle } from "./internal/runner/handle.js"
import type * as Inspect from "./internal/runner/inspect.js"
import type { ConcurrencyInfo } from "./internal/runner/keys.js"
import type { RunnerConfig, SubmitOptions } from "./internal/runner/options.js"
import type { PruneOptions, RetentionOptions } from "./internal/runner/retention.js"
import { make } from "./internal/runner/runner.js"
import type { ScheduleFire, ScheduleInfo } from "./internal/runner/schedules.js"
import type { SubmitError } from "./internal/runner/submit.js"
import type { PollTrigger } from "./PollTrigger.js"
import type { ListFilter } from "./Storage.js"
import * as StorageLayers from "./Storage.js"
import { Storage } from "./Storage.js"
import type * as Workflow from "./Workflow.js"
import type {
  AttemptInfo,
  ExecutionInfo,
  ExecutionStatus,
  ExecutionSummary,
  RerunResult,
  WorkflowResult
} from "./WorkflowResult.js"

export type {
  /** @since 0.6.0 */
  ConcurrencyInfo,
  /** @since 0.1.0 */
  ExecutionHandle,
  /** @since 0.2.0 */
  PruneOptions,
  /** @since 0.2.0 */
  RetentionOptions,
  /** @since 0.4.0 */
  ScheduleFire,
  /** @since 0.4.0 */
  ScheduleInfo,
  /** @since 0.1.0 */
  SubmitError,
  /** @since 0.1.0 */
  SubmitOptions
}

/**
 * `Runner.layer`'s options. `R`: the services the workflows' tasks need.
 *
 * @since 0.1.0
 * @category models
 */
export type Config<R = never> = RunnerConfig<R>

/**
 * What `result` (and `execute`) can fail with beyond submitting: `ExecutionNotFoundError`,
 * `WorkflowNotFoundError`, `ExecutionNotRunnableError`, `StorageError`, `ExecutionAbortedError`,
 * `RunnerShutdownError`.
 *
 * @since 0.2.0
 * @category models
 */
export type ResultError = Inspect.ResultError

/**
 * What `execute` can fail with: submitting, or the execution's end never coming (a fault, a
 * shutdown). A task that fails is not an error: it is in the result.
 *
 * @since 0.2.0
 * @category models
 */
export type ExecuteError = SubmitError | ExecutionNotRunnableError | ExecutionAbortedError | RunnerShutdownError

/**
 * @since 0.1.0
 * @category models
 */
export interface RunnerService {
  /**
   * Runs a workflow (a value, or the name of a registered one) and waits for its result. A
   * workflow given by value runs with the caller's services: what its tasks need is required by
   * the returned Effect (a missing service is a type error).
   */
  readonly execute: <R = never, O = unknown>(
    workflow: Workflow.Workflow<R, O> | string,
    input?: Record<string, unknown>,
    options?: SubmitOptions
  ) => Effect.Effect<WorkflowResult<O>, ExecuteError, R>
  /** Starts a workflow and returns at once with a handle. */
  readonly submit: <R = never, O = unknown>(
    workflow: Workflow.Workflow<R, O> | string,
    input?: Record<string, unknown>,
    options?: SubmitOptions
  ) => Effect.Effect<ExecutionHandle<O>, SubmitError, R>
  /** An execution as stored, finished or not. */
  readonly get: (executionId: string) => Effect.Effect<ExecutionInfo, ExecutionNotFoundError | StorageError>
  readonly status: (executionId: string) => Effect.Effect<ExecutionStatus, ExecutionNotFoundError | StorageError>
  /** Newest first. */
  readonly list: (filter?: ListFilter) => Effect.Effect<ReadonlyArray<ExecutionSummary>, StorageError>
  /**
   * Waits for an execution's result: one this runner runs, or one already finished in storage.
   * An unfinished one that no runner runs is taken up by this runner if it can run it; otherwise
   * it fails: `WorkflowNotFoundError` (its workflow is not registered here) or
   * `ExecutionNotRunnableError` (registered, but not the version the execution is pinned to).
   */
  readonly result: (executionId: string) => Effect.Effect<WorkflowResult, ResultError>
  /**
   * Runs a finished execution again and waits for its result: its failed, skipped and cancelled
   * tasks, or, with `from`, that task and everything downstream of it. Tasks that stay completed
   * keep their outputs; the history keeps every attempt of every run (attempt numbers count on);
   * `rerunTasks` in the result says which tasks ran again. Runs on the workflow version the
   * execution started with. Fails with `RerunError` (`NotFinished`, `UnknownTask`).
   */
  readonly rerun: (
    executionId: string,
    options?: { readonly from?: string | undefined }
  ) => Effect.Effect<RerunResult, ResultError | RerunError>
  /** The persisted events of an execution, in order. */
  readonly history: (
    executionId: string
  ) => Effect.Effect<ReadonlyArray<ExecutionEvent>, ExecutionNotFoundError | StorageError>
  /** Every recorded attempt of every task of an execution (a retried task has several). */
  readonly attempts: (
    executionId: string
  ) => Effect.Effect<ReadonlyArray<AttemptInfo>, ExecutionNotFoundError | StorageError>
  /** Interrupts running tasks, marks the others `Cancelled`; the execution ends `Cancelled`. */
  readonly cancel: (executionId: string) => Effect.Effect<void, ExecutionNotFoundError | StorageError>
  /** No new task starts; running ones finish. Persisted: a paused execution stays paused across a restart. */
  readonly pause: (executionId: string) => Effect.Effect<void, ExecutionNotFoundError | StorageError>
  /** Lifts a pause; an unfinished execution that no runner runs is taken up by this one, if it can. */
  readonly resume: (executionId: string) => Effect.Effect<void, ExecutionNotFoundError | StorageError>
  /**
   * Live events of every execution, from the moment the stream is run. A consumer that falls
   * behind by more than `eventBuffer` events loses the oldest, and gets an `EventsDropped`
   * marker in their place; the stream ends when the runner closes.
   */
  readonly events: Stream.Stream<ExecutionEvent | EventsDropped>
  /**
   * Sends a signal to an execution: every task of it waiting for `signal` (`Task.waitForSignal`)
   * completes with `payload` (JSON) in its context under the signal's name, whether it is
   * waiting now or reached later (the signal is stored). Fails with `SignalError` when no task of
   * the execution waits for it (or they ended), when it ended, when a signal of that name was
   * sent already, or when the waiting task's schema refuses the payload.
   */
  readonly signal: (
    executionId: string,
    signal: string,
    payload?: unknown
  ) => Effect.Effect<void, ExecutionNotFoundError | SignalError | ContextValueError | StorageError>
  /** Adds a workflow, so that it can be run by name; what its tasks need is required here. */
  readonly register: <R>(
    workflow: Workflow.Workflow<R>
  ) => Effect.Effect<void, WorkflowDefinitionError | StorageError, R>
  /** Names of the registered workflows. */
  readonly workflows: Effect.Effect<ReadonlyArray<string>>
  /**
   * Adds a cron schedule or a poll trigger (or changes the one with its id; a changed cron
   * expression or time zone counts from now). Its workflow must be registered here
   * (`ScheduleError` with reason `UnknownWorkflow` otherwise). A poll trigger's check needs its
   * services of the caller; it is polled by the runners that have it.
   */
  readonly addSchedule: <R = never>(
    schedule: CronSchedule | PollTrigger<R>
  ) => Effect.Effect<void, ScheduleError | StorageError, R>
  /** No fire until resumed. */
  readonly pauseSchedule: (id: string) => Effect.Effect<void, ScheduleError | StorageError>
  /** Fires again from now on: the times it was paused over are not caught up. */
  readonly resumeSchedule: (id: string) => Effect.Effect<void, ScheduleError | StorageError>
  /** Deletes a schedule and its fire history (the executions it started stay). */
  readonly removeSchedule: (id: string) => Effect.Effect<void, ScheduleError | StorageError>
  /** Every stored schedule, with its next and last fire. */
  readonly listSchedules: () => Effect.Effect<ReadonlyArray<ScheduleInfo>, StorageError>
  /** A schedule's fires, newest first (100 unless `limit`): scheduled time, execution, its status. */
  readonly scheduleHistory: (
    id: string,
    options?: { readonly limit?: number | undefined }
  ) => Effect.Effect<ReadonlyArray<ScheduleFire>, ScheduleError | StorageError>
  /**
   * Deletes the finished executions that ended more than `olderThan` ago (only those with
   * `status`, if given), with all their rows; returns how many.
   */
  readonly prune: (options: PruneOptions) => Effect.Effect<number, StorageError | InvalidOptionError>
  /**
   * Changes a concurrency limit at run time (on this runner): for every key of the limit `name`
   * (a task's id, or its `concurrency.name`), or for one key. Tasks held back start at once if the
   * new limit allows; a lower limit lets running tasks finish.
   */
  readonly setConcurrencyLimit: {
    (name: string, limit: number): Effect.Effect<void, InvalidOptionError | StorageError>
    (name: string, key: string, limit: number): Effect.Effect<void, InvalidOptionError | StorageError>
  }
  /** Every concurrency key in use on this runner: its limit, tasks running and held back. */
  readonly concurrency: () => Effect.Effect<ReadonlyArray<ConcurrencyInfo>, StorageError>
}

/**
 * The runner service. Build it with `Runner.layer({ workflows, maxConcurrentTasks })` on top of
 * a `Storage` layer and the services your tasks need.
 *
 * @example
 * const program = Effect.gen(function* () {
 *   const runner = yield* Runner
 *   return yield* runner.execute(etl, { date: "2026-11-28" })
 * })
 * program.pipe(
 *   Effect.provide(Runner.layer({ workflows: [etl] })),
 *   Effect.provide(Storage.layerFromUrl("sqlite://:memory:"))
 * )
 *
 * @since 0.1.0
 * @category tags
 */
export class Runner extends Context.Tag("sluice/Runner")<Runner, RunnerService>() {
  /**
   * The runner as a layer. It requires `Storage` plus what the workflows' tasks need (a workflow
   * whose service is not provided is a type error); closing it interrupts running tasks and
   * leaves their executions resumable.
   */
  static layer<R = never>(
    config: Config<R> = {}
  ): Layer.Layer<Runner, InvalidOptionError | WorkflowDefinitionError | StorageError | ScheduleError, Storage | R> {
    return Layer.scoped(Runner, make(config))
  }

  /**
   * A runner for testing workflows (see `RunnerTest`): `Runner.layer(config)` on its own fresh
   * storage, memory by default (`storage: "sqlite"`: SQLite `:memory:`, the SQL path), given as
   * well (`Storage`). Under `TestClock` every sleep, retry backoff, timeout and cron fire is timed
   * by that clock.
   */
  static layerTest<R = never>(
    config: Config<R> & { readonly storage?: "memory" | "sqlite" | undefined } = {}
  ): Layer.Layer<
    Runner | Storage,
    InvalidOptionError | WorkflowDefinitionError | StorageError | ScheduleError,
    R
  > {
    const { storage, ...rest } = config
    return Runner.layer(rest as Config<R>).pipe(
      Layer.provideMerge(
        storage === "sqlite" ? StorageLayers.layerSqlite({ filename: ":memory:" }) : StorageLayers.layerMemory
      )
    )
  }
}

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = <R = never>(config: Config<R> = {}) => Runner.layer(config)
