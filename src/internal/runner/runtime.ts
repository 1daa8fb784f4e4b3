/**
 * What the runner's operations share, and the one way an execution becomes one this runner runs
 * (`prepare`, then `start`): used by submit, by recovery, and by `result`/`resume` for an
 * execution found unfinished in storage.
 */
import type { Effect as Fx } from "effect"
import { Cause, Deferred, Effect, FiberId, FiberMap, PubSub } from "effect"
import { RunnerShutdownError } from "../../Errors.js"
import type { ExecutionEvent } from "../../ExecutionEvent.js"
import type { WorkflowResult } from "../../WorkflowResult.js"
import type { ExecutionState } from "../execution/state.js"
import type { Fleet } from "./active.js"
import { ended } from "./ended.js"
import { keyId, resolveKey } from "./keyOf.js"
import { ExecutionKeys } from "./keys.js"
import { Mailbox } from "./mailbox.js"
import type { Parking } from "./parking.js"
import { makeWaiter } from "./permits.js"
import type { Registry, Runnable } from "./registry.js"
import type { Active, EndError, Message, RuntimeEnv, SuperviseOptions } from "./supervisor.js"

export interface Runtime {
  readonly env: RuntimeEnv
  readonly registry: Registry
  /** Executions this runner runs now, by id. */
  readonly active: Map<string, Active>
  readonly supervisors: FiberMap.FiberMap<string>
  /** Serializes taking up stored executions, so that one is never taken up twice. */
  readonly adopting: Fx.Semaphore
  /** PostgreSQL: the runners sharing the database (see fleet.ts). */
  readonly fleet: Fleet | undefined
  /** Wakes the scheduler: a schedule changed (here, or on another runner). */
  readonly schedulesChanged: () => void
  /** Executions whose supervisor parked them until a message or a time wakes them. */
  readonly parking: Parking
  /** Runs an Effect in the runner's runtime, from a callback (a parked execution woken). */
  readonly fork: (effect: Fx.Effect<unknown, unknown>) => void
}

/** An execution's mailbox, result and place in the permit queue, before it runs. */
export const prepare = (
  env: RuntimeEnv,
  state: ExecutionState,
  withLog: boolean,
  token?: number,
  priority = 0
): Effect.Effect<Active> =>
  Effect.gen(function*() {
    const mailbox = new Mailbox<Message>()
    // Concurrency keys: a ready task whose key is full is held back (no permit) until handed a
    // slot; from the first round on (a submit starts its roots before the supervisor runs).
    const tasks = state.dag.tasks
    const own = state.dag.concurrency
    const executionKey = own === undefined ? undefined : resolveKey(own.key, () => state.meta.input)
    const keys = own !== undefined || tasks?.some((t) => t.concurrency !== undefined || t.rateLimit !== undefined)
      ? new ExecutionKeys(
        env.keys,
        env.rates,
        tasks ?? [],
        (task) => state.waitContext(task),
        (task) => mailbox.offer({ _tag: "KeyGranted", task }),
        own === undefined ? undefined : { name: own.name, key: executionKey!, limit: own.limit }
      )
      : undefined
    state.admit = keys?.admit
    return {
      keys,
      state,
      mailbox,
      done: yield* Deferred.make<WorkflowResult, EndError>(),
      log: withLog ? yield* PubSub.unbounded<ExecutionEvent>({ replay: Number.MAX_SAFE_INTEGER }) : undefined,
      // Executions with a workflow concurrency key are served round robin between keys.
      waiter: makeWaiter(
        () => mailbox.offer({ _tag: "Permits" }),
        priority,
        own === undefined ? undefined : keyId(own.name, executionKey!)
      ),
      token,
      lost: false,
      offered: 0,
      parkedUntil: undefined,
      retrySchedules: new Map()
    }
  })

/** Runs the execution's supervisor: from now on the runner knows it as running. */
export const start = (rt: Runtime, runnable: Runnable, active: Active, options: SuperviseOptions) =>
  Effect.suspend(() => {
    const id = active.state.executionId
    const forget = Effect.suspend(() => {
      if (active.parkedUntil !== undefined) {
        // Parked: it stays known here, and the next message or its time starts a supervisor
        // again; it takes no room meanwhile.
        if (!active.lost && rt.parking.park(active, () => rt.fork(start(rt, runnable, active, { rearm: true })))) {
          rt.fleet?.roomFreed()
          return Effect.void
        }
        // The runner is closing, or lost it: settled as a stopped supervisor settles it.
        active.parkedUntil = undefined
        if (rt.active.get(id) === active) rt.active.delete(id)
        rt.env.telemetry.release(id)
        return ended(rt.env, active, Cause.interrupt(FiberId.none))
      }
      if (rt.active.get(id) === active) rt.active.delete(id)
      rt.env.telemetry.release(id)
      // Room for one more: an execution waiting for a runner may be taken now.
      rt.fleet?.roomFreed()
      return Effect.void
    })
    rt.active.set(id, active)
    return FiberMap.run(rt.supervisors, id, runnable.run(active, options).pipe(Effect.ensuring(forget))).pipe(
      // The runner is closing (its supervisors' map is closed): the supervisor never ran.
      Effect.onInterrupt(() => Effect.zipRight(forget, Deferred.fail(active.done, new RunnerShutdownError())))
    )
  })
