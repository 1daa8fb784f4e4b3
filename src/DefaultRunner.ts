/**
 * The runner for callers outside Effect: every method returns a Promise, errors reject with the
 * same typed error values (`WorkflowNotFoundError`, `InvalidStorageUrlError`, …) the Effect API
 * fails with.
 *
 * @example
 * const runner = await DefaultRunner.make("sqlite://:memory:", { workflows: [etl] })
 * const result = await runner.execute("etl", { date: "2026-11-28" })
 * await runner.shutdown()
 *
 * @since 0.1.0
 */
import { Cause, Context, Effect, Exit, Layer, ManagedRuntime, Stream } from "effect"
import type { CronSchedule } from "./CronSchedule.js"
import { RunnerShutdownError } from "./Errors.js"
import type { EventsDropped, ExecutionEvent } from "./ExecutionEvent.js"
import type { ConcurrencyInfo } from "./internal/runner/keys.js"
import type { PollTrigger } from "./PollTrigger.js"
import type { Config, ExecutionHandle, PruneOptions, ScheduleFire, ScheduleInfo, SubmitOptions } from "./Runner.js"
import { Runner } from "./Runner.js"
import type { ListFilter } from "./Storage.js"
import * as Storage from "./Storage.js"
import type { StorageCodec } from "./StorageCodec.js"
import type * as Workflow from "./Workflow.js"
import type { ExecutionInfo, ExecutionStatus, ExecutionSummary, RerunResult, WorkflowResult } from "./WorkflowResult.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options extends Omit<Config, "workflows"> {
  /** Workflows whose tasks need no services (the Promise API cannot provide them). */
  readonly workflows?: ReadonlyArray<Workflow.Workflow<never>> | undefined
  /** What every stored context and input passes through (see `StorageCodec`). */
  readonly codec?: StorageCodec | undefined
}

/**
 * A submitted execution, in Promise form.
 *
 * @since 0.1.0
 * @category models
 */
export interface PromiseHandle<out O = unknown> {
  readonly executionId: string
  /** The result, when the execution ends: `await handle.result`. */
  readonly result: Promise<WorkflowResult<O>>
  /** Every event of this execution from its start, ending with `ExecutionFinished`. */
  readonly events: AsyncIterable<ExecutionEvent>
  cancel(): Promise<void>
  pause(): Promise<void>
  resume(): Promise<void>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface DefaultRunner {
  execute<O = unknown>(
    workflow: Workflow.Workflow<never, O> | string,
    input?: Record<string, unknown>,
    options?: SubmitOptions
  ): Promise<WorkflowResult<O>>
  submit<O = unknown>(
    workflow: Workflow.Workflow<never, O> | string,
    input?: Record<string, unknown>,
    options?: SubmitOptions
  ): Promise<PromiseHandle<O>>
  get(executionId: string): Promise<ExecutionInfo>
  status(executionId: string): Promise<ExecutionStatus>
  list(filter?: ListFilter): Promise<ReadonlyArray<ExecutionSummary>>
  history(executionId: string): Promise<ReadonlyArray<ExecutionEvent>>
  /** Waits for the result of an execution started or resumed by this runner, or already finished. */
  result(executionId: string): Promise<WorkflowResult>
  cancel(executionId: string): Promise<void>
  pause(executionId: string): Promise<void>
  resume(executionId: string): Promise<void>
  /** Runs a finished execution again (see `Runner`'s `rerun`). */
  rerun(executionId: string, options?: { readonly from?: string | undefined }): Promise<RerunResult>
  /** Sends a signal to an execution (see `Runner`'s `signal`). */
  signal(executionId: string, signal: string, payload?: unknown): Promise<void>
  register(workflow: Workflow.Workflow<never>): Promise<void>
  /** Names of the registered workflows. */
  workflows(): Promise<ReadonlyArray<string>>
  /** Adds (or changes) a cron schedule or poll trigger (see `Runner`'s `addSchedule`). */
  addSchedule(schedule: CronSchedule | PollTrigger<never>): Promise<void>
  pauseSchedule(id: string): Promise<void>
  resumeSchedule(id: string): Promise<void>
  removeSchedule(id: string): Promise<void>
  listSchedules(): Promise<ReadonlyArray<ScheduleInfo>>
  scheduleHistory(id: string, options?: { readonly limit?: number | undefined }): Promise<ReadonlyArray<ScheduleFire>>
  /** Deletes finished executions older than `olderThan` (see `Runner`'s `prune`); returns how many. */
  prune(options: PruneOptions): Promise<number>
  /** See `Runner`'s `setConcurrencyLimit`: `(name, limit)` or `(name, key, limit)`. */
  setConcurrencyLimit(name: string, keyOrLimit: string | number, limit?: number): Promise<void>
  /** See `Runner`'s `concurrency`. */
  concurrency(): Promise<ReadonlyArray<ConcurrencyInfo>>
  /**
   * Live events of every execution, from the moment iteration starts (each loop subscribes
   * anew); `EventsDropped` marks events a slow loop missed. Iteration ends at `shutdown()`.
   */
  readonly events: AsyncIterable<ExecutionEvent | EventsDropped>
  /**
   * Interrupts running tasks (their executions stay resumable) and closes the storage. Calls
   * made afterwards reject with `RunnerShutdownError`.
   */
  shutdown(): Promise<void>
}

/**
 * Opens the storage at `url` (see `Storage.layerFromUrl`) and starts a runner on it; unfinished
 * executions found there are resumed. Rejects with `InvalidStorageUrlError`, `StorageError`,
 * `InvalidOptionError` or `WorkflowDefinitionError`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = async (url: string, options: Options = {}): Promise<DefaultRunner> => {
  const runtime = ManagedRuntime.make(
    Runner.layer(options).pipe(Layer.provide(Storage.layerFromUrl(url, { codec: options.codec })))
  )
  // Build now, so that a bad URL or option rejects here.
  const built = await runtime.runtimeEffect.pipe(Effect.exit, Effect.runPromise)
  if (Exit.isFailure(built)) {
    await runtime.dispose()
    throw Cause.squash(built.cause)
  }
  let closed = false
  const run = async <A, E>(f: (runner: Runner["Type"]) => Effect.Effect<A, E>): Promise<A> => {
    if (closed) throw new RunnerShutdownError()
    const exit = await runtime.runPromiseExit(Effect.flatMap(Runner, f))
    if (Exit.isSuccess(exit)) return exit.value
    // A call still running when the runner shut down: one typed error, not an interruption.
    if (closed && Cause.isInterruptedOnly(exit.cause)) throw new RunnerShutdownError()
    throw Cause.squash(exit.cause)
  }
  const toPromiseHandle = <O>(handle: ExecutionHandle<O>): PromiseHandle<O> => {
    let result: Promise<WorkflowResult<O>> | undefined
    return {
      executionId: handle.executionId,
      // Made on first use, so that nobody is left with an unobserved rejection.
      get result() {
        return (result ??= run(() => handle.result))
      },
      events: Stream.toAsyncIterable(handle.events),
      cancel: () => run(() => handle.cancel),
      pause: () => run(() => handle.pause),
      resume: () => run(() => handle.resume)
    }
  }
  return {
    execute: (workflow, input, submitOptions) => run((r) => r.execute(workflow, input, submitOptions)),
    submit: (workflow, input, submitOptions) =>
      run((r) => Effect.map(r.submit(workflow, input, submitOptions), toPromiseHandle)),
    get: (id) => run((r) => r.get(id)),
    status: (id) => run((r) => r.status(id)),
    list: (filter) => run((r) => r.list(filter)),
    history: (id) => run((r) => r.history(id)),
    result: (id) => run((r) => r.result(id)),
    cancel: (id) => run((r) => r.cancel(id)),
    pause: (id) => run((r) => r.pause(id)),
    resume: (id) => run((r) => r.resume(id)),
    rerun: (id, options) => run((r) => r.rerun(id, options)),
    signal: (id, name, payload) => run((r) => r.signal(id, name, payload)),
    register: (workflow) => run((r) => r.register(workflow)),
    workflows: () => run((r) => r.workflows),
    addSchedule: (schedule) => run((r) => r.addSchedule(schedule)),
    pauseSchedule: (id) => run((r) => r.pauseSchedule(id)),
    resumeSchedule: (id) => run((r) => r.resumeSchedule(id)),
    removeSchedule: (id) => run((r) => r.removeSchedule(id)),
    listSchedules: () => run((r) => r.listSchedules()),
    scheduleHistory: (id, historyOptions) => run((r) => r.scheduleHistory(id, historyOptions)),
    prune: (pruneOptions) => run((r) => r.prune(pruneOptions)),
    setConcurrencyLimit: (name, keyOrLimit, limit) =>
      run((r) =>
        typeof keyOrLimit === "string" && limit !== undefined
          ? r.setConcurrencyLimit(name, keyOrLimit, limit)
          : r.setConcurrencyLimit(name, keyOrLimit as number)
      ),
    concurrency: () => run((r) => r.concurrency()),
    events: Stream.toAsyncIterable(
      Stream.unwrap(Effect.map(runtime.runtimeEffect, (rt) => Context.get(rt.context, Runner).events))
    ),
    shutdown: async () => {
      if (closed) return
      closed = true
      await runtime.dispose()
    }
  }
}
