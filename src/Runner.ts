/**
 * The runner: runs executions of registered workflows, one supervisor fiber each, all sharing
 * one concurrency limit, persisting through `Storage`. When it starts on a storage that holds
 * unfinished executions it resumes them.
 *
 * @since 0.1.0
 */
import { Clock, Context, Deferred, Duration, Effect, FiberMap, Layer, Option, PubSub, Queue, Stream } from "effect"
import { randomUUID } from "node:crypto"
import type { ContextValueError, StorageError } from "./Errors.js"
import { ExecutionNotFoundError, InvalidOptionError, WorkflowDefinitionError, WorkflowNotFoundError } from "./Errors.js"
import type { ExecutionEvent } from "./ExecutionEvent.js"
import { isFinished } from "./ExecutionEvent.js"
import { ExecutionState, fromEventRow, toTaskResult } from "./internal/execution.js"
import { toFrozenJsonObject } from "./internal/json.js"
import type { Active, Message, SupervisorEnv } from "./internal/supervisor.js"
import { flush, supervise } from "./internal/supervisor.js"
import type { ExecutionRow, ListFilter, TaskRow } from "./Storage.js"
import { emptyBatch, Storage } from "./Storage.js"
import * as Workflow from "./Workflow.js"
import type { ExecutionInfo, ExecutionStatus, ExecutionSummary, WorkflowResult } from "./WorkflowResult.js"
import { isFinal } from "./WorkflowResult.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Config<W extends ReadonlyArray<Workflow.Workflow<any>> = ReadonlyArray<Workflow.Workflow<any>>> {
  /** The workflows this runner can run by name (and resume after a restart). */
  readonly workflows?: W | undefined
  /** Task attempts running at once, over all executions. Default 4, as in cloaca. */
  readonly maxConcurrentTasks?: number | undefined
  /** Resume unfinished executions found in storage when the runner starts. Default true. */
  readonly recover?: boolean | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface SubmitOptions {
  /** A second submit with the same key returns the first execution instead of starting one. */
  readonly idempotencyKey?: string | undefined
  /** The execution is cancelled (status `Cancelled`, reason "timed out") after this long. */
  readonly executionTimeout?: Duration.DurationInput | undefined
}

/**
 * A submitted execution.
 *
 * @since 0.1.0
 * @category models
 */
export interface ExecutionHandle {
  readonly executionId: string
  /** Waits for the end of the execution (on a Deferred: nothing polls). */
  readonly result: Effect.Effect<WorkflowResult, StorageError | WorkflowNotFoundError>
  /** Every event of this execution from its start, ending with `ExecutionFinished`. */
  readonly events: Stream.Stream<ExecutionEvent>
  readonly cancel: Effect.Effect<void, StorageError>
  readonly pause: Effect.Effect<void, StorageError>
  readonly resume: Effect.Effect<void, StorageError>
}

/**
 * @since 0.1.0
 * @category models
 */
export type SubmitError =
  | WorkflowNotFoundError
  | WorkflowDefinitionError
  | ContextValueError
  | InvalidOptionError
  | StorageError

/**
 * @since 0.1.0
 * @category models
 */
export interface RunnerService {
  /** Runs a workflow (a value, or the name of a registered one) and waits for its result. */
  readonly execute: (
    workflow: Workflow.Workflow<any> | string,
    input?: Record<string, unknown>,
    options?: SubmitOptions
  ) => Effect.Effect<WorkflowResult, SubmitError>
  /** Starts a workflow and returns at once with a handle. */
  readonly submit: (
    workflow: Workflow.Workflow<any> | string,
    input?: Record<string, unknown>,
    options?: SubmitOptions
  ) => Effect.Effect<ExecutionHandle, SubmitError>
  /** An execution as stored, finished or not. */
  readonly get: (executionId: string) => Effect.Effect<ExecutionInfo, ExecutionNotFoundError | StorageError>
  readonly status: (executionId: string) => Effect.Effect<ExecutionStatus, ExecutionNotFoundError | StorageError>
  /** Newest first. */
  readonly list: (filter?: ListFilter) => Effect.Effect<ReadonlyArray<ExecutionSummary>, StorageError>
  /** The persisted events of an execution, in order. */
  /**
   * Waits for an execution's result: one started or resumed by this runner, or one already
   * finished in storage. Fails with `WorkflowNotFoundError` for an unfinished execution whose
   * workflow this runner does not know (it cannot run it).
   */
  readonly result: (
    executionId: string
  ) => Effect.Effect<WorkflowResult, ExecutionNotFoundError | WorkflowNotFoundError | StorageError>
  readonly history: (
    executionId: string
  ) => Effect.Effect<ReadonlyArray<ExecutionEvent>, ExecutionNotFoundError | StorageError>
  /** Interrupts running tasks, marks the others `Cancelled`; the execution ends `Cancelled`. */
  readonly cancel: (executionId: string) => Effect.Effect<void, ExecutionNotFoundError | StorageError>
  /** No new task starts; running ones finish. Persisted: a paused execution stays paused across a restart. */
  readonly pause: (executionId: string) => Effect.Effect<void, ExecutionNotFoundError | StorageError>
  readonly resume: (executionId: string) => Effect.Effect<void, ExecutionNotFoundError | StorageError>
  /** Live events of every execution, from the moment the stream is run. */
  readonly events: Stream.Stream<ExecutionEvent>
  /** Adds a workflow, so that it can be run by name. */
  readonly register: (workflow: Workflow.Workflow<any>) => Effect.Effect<void, WorkflowDefinitionError>
  /** Names of the registered workflows. */
  readonly workflows: Effect.Effect<ReadonlyArray<string>>
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
   * The runner as a layer. Its requirements are `Storage` plus what the workflows' Effect
   * bodies need; closing it interrupts running tasks and leaves their executions resumable.
   */
  static layer<const W extends ReadonlyArray<Workflow.Workflow<any>> = readonly []>(
    config: Config<W> = {}
  ): Layer.Layer<
    Runner,
    InvalidOptionError | WorkflowDefinitionError | StorageError,
    Storage | Workflow.Requirements<W[number]>
  > {
    return Layer.scoped(Runner, make(config))
  }
}

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = <const W extends ReadonlyArray<Workflow.Workflow<any>>>(config: Config<W> = {}) =>
  Runner.layer(config)

const DEFAULT_MAX_CONCURRENT_TASKS = 4

const checkConfig = (config: Config) =>
  Effect.gen(function*() {
    const max = config.maxConcurrentTasks ?? DEFAULT_MAX_CONCURRENT_TASKS
    if (typeof max !== "number" || !Number.isInteger(max) || max < 1) {
      return yield* new InvalidOptionError({
        option: "maxConcurrentTasks",
        detail: `must be an integer ≥ 1, got ${String(max)}`
      })
    }
    for (const workflow of config.workflows ?? []) {
      if (!Workflow.isWorkflow(workflow)) {
        return yield* new WorkflowDefinitionError({
          reason: "InvalidOption",
          detail: "workflows must be made with Workflow.make"
        })
      }
    }
    return max
  })

const checkSubmitOptions = (options: SubmitOptions | undefined) =>
  Effect.gen(function*() {
    let timeout: Duration.Duration | undefined
    if (options?.executionTimeout !== undefined) {
      const decoded = Duration.decodeUnknown(options.executionTimeout)
      if (Option.isNone(decoded) || Duration.toMillis(decoded.value) <= 0) {
        return yield* new InvalidOptionError({
          option: "executionTimeout",
          detail: `not a positive duration: ${JSON.stringify(options.executionTimeout)}`
        })
      }
      timeout = decoded.value
    }
    const key = options?.idempotencyKey
    if (key !== undefined && (typeof key !== "string" || key.length === 0)) {
      return yield* new InvalidOptionError({ option: "idempotencyKey", detail: "must be a non-empty string" })
    }
    return { timeout, key }
  })

const toInfo = (
  row: ExecutionRow,
  tasks: ReadonlyArray<TaskRow>,
  workflow: Workflow.Workflow<any> | undefined
): ExecutionInfo => {
  let taskResults = tasks.map((t) => toTaskResult(t, t.taskId))
  if (workflow !== undefined && tasks.length < workflow.tasks.length) {
    const byId = new Map(tasks.map((t) => [t.taskId, t]))
    taskResults = Workflow.topologicalOrder(workflow).map((id) => toTaskResult(byId.get(id), id))
  }
  return {
    executionId: row.id,
    workflowName: row.workflowName,
    workflowVersion: row.workflowVersion,
    status: row.status,
    input: row.input,
    finalContext: row.finalContext ?? undefined,
    tasks: taskResults,
    startedAt: new Date(row.createdAt),
    completedAt: row.completedAt === null ? undefined : new Date(row.completedAt),
    durationMs: row.completedAt === null ? undefined : row.completedAt - row.createdAt,
    errorMessage: row.errorMessage ?? undefined,
    idempotencyKey: row.idempotencyKey ?? undefined
  }
}

const toSummary = (row: ExecutionRow): ExecutionSummary => {
  const { finalContext: _f, input: _i, tasks: _t, ...summary } = toInfo(row, [], undefined)
  return summary
}

/** A finished execution's stored info as the `WorkflowResult` its `execute` returned. */
const toResult = (info: ExecutionInfo): WorkflowResult => ({
  executionId: info.executionId,
  workflowName: info.workflowName,
  workflowVersion: info.workflowVersion,
  status: info.status as WorkflowResult["status"],
  finalContext: info.finalContext ?? {},
  tasks: info.tasks,
  startedAt: info.startedAt,
  completedAt: info.completedAt!,
  durationMs: info.durationMs!,
  errorMessage: info.errorMessage
})

const make = (config: Config) =>
  Effect.gen(function*() {
    const maxConcurrentTasks = yield* checkConfig(config)
    const storage = yield* Storage
    // Task bodies run with the services given to this layer.
    const services = yield* Effect.context<never>()
    const env: SupervisorEnv = {
      storage,
      semaphore: yield* Effect.makeSemaphore(maxConcurrentTasks),
      events: yield* PubSub.unbounded<ExecutionEvent>(),
      listeners: { count: 0 }
    }
    const supervisors = yield* FiberMap.make<string>()
    const registry = new Map<string, Workflow.Workflow<any>>()
    for (const workflow of config.workflows ?? []) registry.set(workflow.name, workflow)
    const active = new Map<string, Active>()
    const keys = new Map<string, string>()

    const resolve = (
      target: Workflow.Workflow<any> | string
    ): Effect.Effect<Workflow.Workflow<any>, WorkflowNotFoundError | WorkflowDefinitionError> =>
      Effect.suspend((): Effect.Effect<Workflow.Workflow<any>, WorkflowNotFoundError | WorkflowDefinitionError> => {
        if (typeof target === "string") {
          const workflow = registry.get(target)
          return workflow === undefined
            ? Effect.fail(new WorkflowNotFoundError({ workflowName: target, known: [...registry.keys()] }))
            : Effect.succeed(workflow)
        }
        if (!Workflow.isWorkflow(target)) {
          return Effect.fail(
            new WorkflowDefinitionError({
              reason: "InvalidOption",
              detail: "not a workflow: make it with Workflow.make"
            })
          )
        }
        if (!registry.has(target.name)) registry.set(target.name, target)
        return Effect.succeed(target)
      })

    const start = (execution: Active, options: Parameters<typeof supervise>[2]) =>
      FiberMap.run(
        supervisors,
        execution.state.executionId,
        supervise(env, execution, options).pipe(
          Effect.ensuring(Effect.sync(() => active.delete(execution.state.executionId))),
          Effect.provide(services)
        )
      )

    const message = (executionId: string, tag: "Cancel" | "Pause" | "Resume") =>
      Effect.gen(function*() {
        const execution = active.get(executionId)
        if (execution === undefined) return false
        const ack = yield* Deferred.make<void>()
        yield* Queue.offer(
          execution.mailbox,
          tag === "Cancel" ? { _tag: "Cancel", reason: "cancelled", ack } : { _tag: tag, ack }
        )
        // The supervisor acknowledges once the change is committed, or it has already ended.
        yield* Effect.raceFirst(Deferred.await(ack), Deferred.await(execution.done).pipe(Effect.ignore))
        return true
      })

    const control = (tag: "Cancel" | "Pause" | "Resume") => (executionId: string) =>
      Effect.gen(function*() {
        if (yield* message(executionId, tag)) return
        const row = yield* storage.execution(executionId)
        if (Option.isNone(row)) return yield* new ExecutionNotFoundError({ executionId })
        if (isFinal(row.value.status)) return
        // Unfinished but not run by this runner (its workflow is not registered here).
        const status: ExecutionStatus = tag === "Cancel" ? "Cancelled" : tag === "Pause" ? "Paused" : "Running"
        const now = yield* Clock.currentTimeMillis
        yield* storage.commit({
          ...emptyBatch,
          executionUpdates: [{
            id: executionId,
            status,
            finalContext: null,
            errorMessage: tag === "Cancel" ? "cancelled" : null,
            completedAt: tag === "Cancel" ? now : null
          }]
        })
      })

    const get = (executionId: string) =>
      Effect.gen(function*() {
        const row = yield* storage.execution(executionId)
        if (Option.isNone(row)) return yield* new ExecutionNotFoundError({ executionId })
        const tasks = yield* storage.tasks(executionId)
        return toInfo(row.value, tasks, registry.get(row.value.workflowName))
      })

    const result = (executionId: string) =>
      Effect.suspend(() => {
        const execution = active.get(executionId)
        if (execution !== undefined) return Deferred.await(execution.done)
        return Effect.flatMap(get(executionId), (info) =>
          isFinal(info.status)
            ? Effect.succeed(toResult(info))
            : Effect.fail(new WorkflowNotFoundError({ workflowName: info.workflowName, known: [...registry.keys()] })))
      })

    /** A handle's controls: the handle exists, so its execution does. */
    const handleControl = (tag: "Cancel" | "Pause" | "Resume", executionId: string) =>
      Effect.catchTag(control(tag)(executionId), "ExecutionNotFoundError", () => Effect.void)

    const handleOf = (executionId: string, execution: Active | undefined): ExecutionHandle => ({
      executionId,
      result: execution === undefined
        ? Effect.catchTag(result(executionId), "ExecutionNotFoundError", Effect.die)
        : Deferred.await(execution.done),
      events: execution?.log === undefined
        ? Stream.fromIterableEffect(Effect.orDie(history(executionId)))
        : Stream.fromPubSub(execution.log).pipe(Stream.takeUntil(isFinished)),
      cancel: handleControl("Cancel", executionId),
      pause: handleControl("Pause", executionId),
      resume: handleControl("Resume", executionId)
    })

    const history = (executionId: string) =>
      Effect.gen(function*() {
        const row = yield* storage.execution(executionId)
        if (Option.isNone(row)) return yield* new ExecutionNotFoundError({ executionId })
        return (yield* storage.events(executionId)).map(fromEventRow)
      })

    const begin = (
      target: Workflow.Workflow<any> | string,
      input: Record<string, unknown> | undefined,
      options: SubmitOptions | undefined,
      withLog: boolean
    ) =>
      Effect.gen(function*() {
        const workflow = yield* resolve(target)
        const frozenInput = yield* Effect.try({
          try: () => toFrozenJsonObject(input),
          catch: (e) => e as ContextValueError
        })
        const { key, timeout } = yield* checkSubmitOptions(options)
        if (key !== undefined) {
          const known = keys.get(key) ?? Option.getOrUndefined(yield* storage.executionByIdempotencyKey(key))?.id
          if (known !== undefined) return handleOf(known, active.get(known))
        }
        const executionId = randomUUID()
        if (key !== undefined) keys.set(key, executionId)
        const state = new ExecutionState(workflow, {
          executionId,
          input: frozenInput,
          createdAt: yield* Clock.currentTimeMillis,
          idempotencyKey: key ?? null
        }, maxConcurrentTasks)
        const execution: Active = {
          state,
          mailbox: yield* Queue.unbounded<Message>(),
          done: yield* Deferred.make<WorkflowResult, StorageError>(),
          log: withLog ? yield* PubSub.unbounded<ExecutionEvent>({ replay: Number.MAX_SAFE_INTEGER }) : undefined
        }
        state.begin(state.meta.createdAt)
        const committed = state.takeReady(state.meta.createdAt)
        // The execution, and its first attempts, exist in storage before anyone is told its id.
        yield* flush(env, execution)
        active.set(executionId, execution)
        yield* start(execution, { executionTimeout: timeout, committed })
        return handleOf(executionId, execution)
      })

    const recover = Effect.gen(function*() {
      const unfinished = yield* storage.executions({ status: ["Pending", "Running", "Paused"] })
      for (const row of unfinished.toReversed()) {
        const workflow = registry.get(row.workflowName)
        if (workflow === undefined) {
          yield* Effect.logWarning(`execution ${row.id} of unknown workflow "${row.workflowName}" is left as it is`)
          continue
        }
        const tasks = yield* storage.tasks(row.id)
        if (tasks.some((t) => !workflow.graph.index.has(t.taskId))) {
          yield* Effect.logWarning(
            `execution ${row.id}: workflow "${row.workflowName}" no longer has all its tasks; left as it is`
          )
          continue
        }
        const state = new ExecutionState(workflow, {
          executionId: row.id,
          input: row.input,
          createdAt: row.createdAt,
          idempotencyKey: row.idempotencyKey
        }, maxConcurrentTasks)
        const waiting = state.restore(tasks, row.status === "Paused", yield* Clock.currentTimeMillis)
        const execution: Active = {
          state,
          mailbox: yield* Queue.unbounded<Message>(),
          done: yield* Deferred.make<WorkflowResult, StorageError>(),
          log: undefined
        }
        if (row.idempotencyKey !== null) keys.set(row.idempotencyKey, row.id)
        active.set(row.id, execution)
        yield* start(execution, { waiting })
      }
    })
    if (config.recover !== false) yield* recover

    const service: RunnerService = {
      execute: (workflow, input, options) =>
        Effect.flatMap(begin(workflow, input, options, false), (handle) => handle.result),
      submit: (workflow, input, options) => begin(workflow, input, options, true),
      get,
      status: (executionId) => Effect.map(get(executionId), (info) => info.status),
      list: (filter) => Effect.map(storage.executions(filter ?? {}), (rows) => rows.map(toSummary)),
      history,
      result,
      cancel: control("Cancel"),
      pause: control("Pause"),
      resume: control("Resume"),
      // Counted while it runs, so that rounds publish only when someone listens.
      events: Stream.unwrapScoped(
        Effect.as(
          Effect.acquireRelease(
            Effect.sync(() => void env.listeners.count++),
            () => Effect.sync(() => void env.listeners.count--)
          ),
          Stream.fromPubSub(env.events)
        )
      ),
      register: (workflow) =>
        Workflow.isWorkflow(workflow)
          ? Effect.sync(() => void registry.set(workflow.name, workflow))
          : Effect.fail(
            new WorkflowDefinitionError({
              reason: "InvalidOption",
              detail: "not a workflow: make it with Workflow.make"
            })
          ),
      workflows: Effect.sync(() => [...registry.keys()])
    }
    return service
  })
