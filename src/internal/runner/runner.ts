/**
 * The runner service, assembled from the runtime's parts: registry, submit, recovery, control,
 * inspection. `Runner.ts` holds its tag, its public types and its layer.
 */
import type { Context } from "effect"
import { Cause, Deferred, Effect, FiberId, FiberMap, Queue, Runtime } from "effect"
import type * as CronSchedule from "../../CronSchedule.js"
import type * as PollTrigger from "../../PollTrigger.js"
import { Storage } from "../../Storage.js"
import type * as Workflow from "../../Workflow.js"
import { isWorkflow } from "../../Workflow.js"
import type { WorkflowResult } from "../../WorkflowResult.js"
import type { ChildOps } from "./active.js"
import { makeChildren } from "./children.js"
import { control } from "./control.js"
import { makeDebouncer } from "./debounce.js"
import { ended } from "./ended.js"
import * as Fleet from "./fleet.js"
import type { ExecutionHandle, HandleOps } from "./handle.js"
import { makeHandle } from "./handle.js"
import { makeHub } from "./hub.js"
import { attempts, get, history, list, result } from "./inspect.js"
import { LocalKeys, setConcurrencyLimit } from "./keys.js"
import type { RunnerConfig, SubmitOptions } from "./options.js"
import {
  checkContextLimits,
  checkDepthFirst,
  checkEventBuffer,
  checkLease,
  checkMaxConcurrentTasks,
  checkRunnerId,
  checkStorageRetry,
  checkWorker
} from "./options.js"
import { Parking } from "./parking.js"
import { Permits } from "./permits.js"
import { makeLocalRates, makeRates } from "./rates.js"
import { follow } from "./read.js"
import { recover } from "./recovery.js"
import { notAWorkflow, Registry, runnable } from "./registry.js"
import { rerun } from "./rerun.js"
import type { PruneOptions } from "./retention.js"
import { prune, retain } from "./retention.js"
import { defaultStorageRetry } from "./retry.js"
import type { Runtime as RunnerRuntime } from "./runtime.js"
import { loop } from "./scheduler.js"
import type { Schedulable, Schedules } from "./schedules.js"
import * as Scheduling from "./schedules.js"
import { makeSharedKeys } from "./sharedKeys.js"
import { signal } from "./signals.js"
import type { SubmitError, Submitted } from "./submit.js"
import { precheck, submit } from "./submit.js"
import type { RuntimeEnv } from "./supervisor.js"
import { makeTelemetry } from "./telemetry.js"

export const make = <R>(config: RunnerConfig<R>) =>
  Effect.gen(function*() {
    const maxConcurrentTasks = yield* checkMaxConcurrentTasks(config.maxConcurrentTasks)
    const storage = yield* Storage
    const runnerId = yield* checkRunnerId(config.runnerId)
    const leaseMs = yield* checkLease(config.lease)
    const shared = storage.fleet
    const worker = yield* checkWorker(config.worker, shared !== undefined)
    const sharing = shared === undefined
      ? undefined
      : yield* Fleet.make(shared, { runnerId, worker, leaseMs, maxConcurrentTasks, adopts: config.recover !== false })
    // The services the configured workflows' tasks need: the layer's own requirements.
    const services = yield* Effect.context<R>()
    const fleet = sharing?.fleet
    const late: { children?: ChildOps } = {}
    const env: RuntimeEnv = {
      runnerId,
      storage,
      permits: new Permits(maxConcurrentTasks, yield* checkDepthFirst(config.depthFirst)),
      keys: fleet === undefined ? new LocalKeys() : yield* makeSharedKeys(fleet.storage.keys, runnerId),
      rates: yield* (fleet === undefined ? makeLocalRates : makeRates(fleet.storage.buckets)),
      hub: yield* makeHub(yield* checkEventBuffer(config.eventBuffer)),
      storageRetry: (yield* checkStorageRetry(config.storageRetry)) ?? defaultStorageRetry,
      limits: yield* checkContextLimits(config.contextLimits),
      fleet,
      telemetry: yield* makeTelemetry(runnerId),
      // Bound once the runtime exists (they start and await executions like the runner's own calls).
      children: {
        run: (key, workflow, input, paused) => Effect.suspend(() => late.children!.run(key, workflow, input, paused)),
        control: (key, tag) => Effect.suspend(() => late.children!.control(key, tag))
      }
    }
    // Added first, run last: once the supervisors (closed before) have ended their executions.
    yield* Effect.addFinalizer(() => env.hub.close)
    // Then this runner leaves the fleet: what it still owns goes to the others at once.
    if (shared !== undefined) {
      yield* Effect.addFinalizer(() =>
        Effect.catchAll(shared.leave(runnerId), (e) => Effect.logWarning(`runner ${runnerId}: ${e.message}`))
      )
    }
    const pokes = yield* Queue.sliding<void>(1)
    const parking = new Parking(yield* Queue.sliding<void>(1))
    const runFork = Runtime.runFork(yield* Effect.runtime<never>())
    const rt: RunnerRuntime = {
      parking,
      fork: (effect) => void runFork(effect),
      schedulesChanged: () => void Queue.unsafeOffer(pokes, undefined),
      env,
      registry: new Registry(storage),
      active: new Map(),
      supervisors: yield* FiberMap.make<string>(),
      adopting: yield* Effect.makeSemaphore(1),
      fleet
    }
    late.children = makeChildren(rt)
    yield* Effect.forkScoped(parking.loop)
    // Closing: parked executions have no supervisor to settle them; callers get RunnerShutdownError.
    yield* Effect.addFinalizer(() =>
      Effect.forEach(parking.takeAll(), (active) => ended(env, active, Cause.interrupt(FiberId.none)), {
        discard: true
      })
    )
    for (const workflow of config.workflows ?? []) {
      if (!isWorkflow(workflow)) return yield* notAWorkflow()
      yield* rt.registry.add(runnable(env, workflow, services))
    }
    // Sharing a database, unfinished executions (this runner's own from before a restart
    // included) are taken over by the fleet's adoption instead.
    if (sharing !== undefined) yield* sharing.run(rt, (id) => result(rt, id))
    else if (config.recover !== false && !storage.readOnly) yield* recover(rt)
    if (!storage.readOnly) yield* retain(storage, config.retention)

    const schedules: Schedules = {
      rt,
      triggers: new Map(),
      changed: Effect.zipRight(
        Effect.sync(rt.schedulesChanged),
        fleet === undefined ? Effect.void : Effect.ignore(fleet.storage.notify("S"))
      )
    }
    const declared = config.schedules === undefined && config.triggers === undefined
      ? undefined
      : [...(config.schedules ?? []), ...(config.triggers ?? [])]
    if (!storage.readOnly) {
      yield* Scheduling.reconcile(
        schedules,
        declared as ReadonlyArray<Schedulable> | undefined,
        services as Context.Context<unknown>
      )
      // Runners sharing a database also look every 30 s, in case a wake-up was lost.
      yield* Effect.forkScoped(
        loop({ rt, triggers: schedules.triggers, pokes, maxSleepMs: fleet === undefined ? undefined : 30_000 })
      )
    }

    const controlOf = (tag: "Cancel" | "Pause" | "Resume") => control(rt, tag)
    const debounced = makeDebouncer(rt)
    const handleOf = ({ active, executionId }: Submitted) => {
      const ops: HandleOps = {
        result: active === undefined
          ? Effect.catchTag(result(rt, executionId), "ExecutionNotFoundError", Effect.die)
          : Deferred.await(active.done),
        // Without a live log (a submit that found the execution by its key): its whole history,
        // once it ends.
        history: Effect.zipRight(
          active === undefined ? Effect.void : Effect.ignore(Deferred.await(active.done)),
          Effect.catchTag(history(rt, executionId), "ExecutionNotFoundError", Effect.die)
        ),
        // The handle exists, so its execution does.
        control: (tag) => Effect.catchTag(controlOf(tag)(executionId), "ExecutionNotFoundError", () => Effect.void),
        follow: fleet === undefined ? undefined : follow(rt, fleet, executionId)
      }
      return makeHandle(executionId, active, ops)
    }
    // An execution found by its idempotency key exists: it cannot be missing.
    const awaitDone = (submitted: Submitted) =>
      submitted.active === undefined
        ? Effect.catchTag(result(rt, submitted.executionId), "ExecutionNotFoundError", Effect.die)
        : Deferred.await(submitted.active.done)

    const submitOne = <R2 = never, O = unknown>(
      workflow: Workflow.Workflow<R2, O> | string,
      input?: Record<string, unknown>,
      options?: SubmitOptions
    ): Effect.Effect<ExecutionHandle<O>, SubmitError, R2> =>
      options?.debounce === undefined
        ? Effect.map(submit(rt, workflow, input, options, true), (s) => handleOf(s) as ExecutionHandle<O>)
        : Effect.zipRight(
          precheck(rt, workflow, input),
          Effect.flatMap(Effect.context<R2>(), (services) =>
            debounced(
              typeof workflow === "string" ? workflow : workflow.name,
              input,
              options,
              (i, o, id) => Effect.map(submit(rt, workflow, i, o, true, id), handleOf),
              services
            ) as Effect.Effect<ExecutionHandle<O>, SubmitError>)
        )

    return {
      // The output's type comes from the workflow value; the value was decoded with its schema.
      execute: <R2 = never, O = unknown>(
        workflow: Workflow.Workflow<R2, O> | string,
        input?: Record<string, unknown>,
        options?: SubmitOptions
      ) =>
        options?.debounce !== undefined
          // One execution per burst: this submitter waits for it as the others do.
          ? Effect.flatMap(submitOne<R2, O>(workflow, input, options), (h) => h.result)
          : Effect.flatMap(
            submit(rt, workflow, input, options, false),
            (submitted) =>
              awaitDone(submitted) as Effect.Effect<
                WorkflowResult<O>,
                Effect.Effect.Error<ReturnType<typeof awaitDone>>
              >
          ),
      submit: submitOne,
      get: (executionId: string) => get(rt, executionId),
      status: (executionId: string) => Effect.map(get(rt, executionId), (info) => info.status),
      list: (filter?: Parameters<typeof list>[1]) => list(rt, filter),
      history: (executionId: string) => history(rt, executionId),
      attempts: (executionId: string) => attempts(rt, executionId),
      result: (executionId: string) => result(rt, executionId),
      rerun: (executionId: string, options?: { readonly from?: string | undefined }) => rerun(rt, executionId, options),
      cancel: controlOf("Cancel"),
      pause: controlOf("Pause"),
      resume: controlOf("Resume"),
      events: env.hub.stream,
      signal: (executionId: string, name: string, payload?: unknown) => signal(rt, executionId, name, payload),
      register: <R2>(workflow: Workflow.Workflow<R2>) =>
        isWorkflow(workflow)
          ? Effect.flatMap(Effect.context<R2>(), (ctx) => rt.registry.add(runnable(env, workflow, ctx)))
          : Effect.fail(notAWorkflow()),
      workflows: Effect.sync(() => rt.registry.names()),
      addSchedule: <R2 = never>(schedule: CronSchedule.CronSchedule | PollTrigger.PollTrigger<R2>) =>
        Effect.flatMap(Effect.context<R2>(), (ctx) =>
          Scheduling.add(schedules, schedule, false, ctx as Context.Context<unknown>)),
      pauseSchedule: (id: string) =>
        Scheduling.setPaused(schedules, id, true),
      resumeSchedule: (id: string) => Scheduling.setPaused(schedules, id, false),
      removeSchedule: (id: string) => Scheduling.remove(schedules, id),
      listSchedules: () => Scheduling.list(schedules),
      scheduleHistory: (id: string, options?: { readonly limit?: number | undefined }) =>
        Scheduling.history(schedules, id, options?.limit),
      prune: (options: PruneOptions) => prune(storage, options),
      setConcurrencyLimit: (name: string, keyOrLimit: string | number, limit?: number) =>
        setConcurrencyLimit(env.keys, name, keyOrLimit, limit),
      concurrency: () => env.keys.info
    }
  })
