/**
 * Several runners on one PostgreSQL database (see docs/ARCHITECTURE.md, "Scale-out"). Each
 * runner keeps a lease by heartbeat, listens for the others' wake-ups, and (a worker) takes over
 * executions that wait for a runner: new ones nobody took, and those of runners whose lease
 * expired. Its commits are fenced by the token it took each execution with, so a runner that
 * stalled past its lease writes nothing once another took over.
 * Its loops sleep on the process's timers (timers.ts): a lease is real time.
 */
import type { Scope } from "effect"
import { Cause, Deferred, Effect, Exit, FiberId, FiberMap, Queue, Stream } from "effect"
import type { StorageError } from "../../Errors.js"
import { ExecutionAbortedError } from "../../Errors.js"
import type { WorkflowResult } from "../../WorkflowResult.js"
import type { FleetStorage } from "../storage/service.js"
import type { Active, Fleet } from "./active.js"
import { makeChanges } from "./changes.js"
import { makeClaimer } from "./claims.js"
import { answer } from "./control.js"
import { ended } from "./ended.js"
import { takeOver } from "./recovery.js"
import type { Runtime } from "./runtime.js"
import { liveSleep } from "./timers.js"

/** The fleet-wide `result` (inspect.ts), given to the fleet to settle handed-over executions. */
export type ResultOf = (executionId: string) => Effect.Effect<WorkflowResult, unknown>

export const make = (storage: FleetStorage, options: {
  readonly runnerId: string
  readonly worker: boolean
  /** Takes over executions in the background (`recover: false`: only when asked, by result/resume). */
  readonly adopts: boolean
  readonly leaseMs: number
  readonly maxConcurrentTasks: number
}): Effect.Effect<{
  readonly fleet: Fleet
  /** Starts the heartbeat, the listener and (a worker) the adoption loop, for the scope's life. */
  readonly run: (rt: Runtime, result: ResultOf) => Effect.Effect<void, StorageError, Scope.Scope>
}> =>
  Effect.gen(function*() {
    const { leaseMs, runnerId, worker } = options
    const pokes = yield* Queue.sliding<void>(1)
    // Until the first heartbeat, the lease does not hold.
    let validUntil = 0
    let runtimeOf: Runtime | undefined
    let resultOf: ResultOf | undefined
    let scope: Scope.Scope | undefined
    const poke = () => void Queue.unsafeOffer(pokes, undefined)
    // Executions may wait for a runner ('w' heard, or the last look filled the room): one that
    // ends here makes room, and a look follows. Otherwise an ending execution costs no query.
    let waiting = true
    const roomFreed = () => {
      if (waiting) poke()
    }

    // Other workers, as of the last heartbeat: alone, a runner keeps everything it submits.
    let otherWorkers = 0
    const claimer = yield* makeClaimer(storage, runnerId, () => leaseHolds())
    const { awaitChange, followed, heardFollow, wake, wakeAll } = makeChanges(storage)
    const others = () => (worker ? otherWorkers : 0)
    /** Executions a worker may still take on while others share the work: twice its permits. */
    // Parked executions (they only wait on a time or a signal) take no room.
    const roomIn = (runtime: Runtime) => 2 * options.maxConcurrentTasks - (runtime.active.size - runtime.parking.size)
    const hasRoom = () => worker && runtimeOf !== undefined && (otherWorkers === 0 || roomIn(runtimeOf) > 0)
    const leaseHolds = () => performance.now() < validUntil

    /** Stops every execution this runner owns without writing: another runner may own it now. */
    const loseAll = (runtime: Runtime) =>
      Effect.gen(function*() {
        yield* claimer.dropAll
        const owned = [...runtime.active.entries()].filter(([, a]) => a.token !== undefined && !a.lost)
        if (owned.length === 0) return
        yield* Effect.logError(
          `runner ${runnerId}: lease lost (no heartbeat reached the database for ${leaseMs} ms); ` +
            `stopping ${owned.length} execution(s) for another runner to take over`
        )
        for (const [id, active] of owned) {
          active.lost = true
          // Parked: no supervisor to stop; settled here, as a stopped one settles itself.
          if (runtime.parking.unpark(active)) {
            runtime.active.delete(id)
            yield* ended(runtime.env, active, Cause.interrupt(FiberId.none))
          } else yield* FiberMap.remove(runtime.supervisors, id)
        }
      })

    /** Renews the lease; once it was lost, this runner's own executions are taken back first. */
    const heartbeat = (runtime: Runtime) =>
      Effect.suspend(() => {
        const sent = performance.now()
        const lost = !leaseHolds()
        return storage.heartbeat(runnerId, leaseMs, worker, runtime.registry.keys()).pipe(
          Effect.tap((others) => void (otherWorkers = others)),
          Effect.zipRight(lost && worker && options.adopts ? Effect.asVoid(adoptSome(runtime, "own")) : Effect.void),
          Effect.tap(() => void (validUntil = sent + leaseMs))
        )
      })

    const heartbeats = (runtime: Runtime) =>
      Effect.gen(function*() {
        let failures = 0
        for (;;) {
          yield* liveSleep(Math.max(50, Math.floor(leaseMs / 3)))
          const exit = yield* Effect.exit(heartbeat(runtime))
          if (Exit.isSuccess(exit)) {
            if (failures > 0) yield* Effect.logInfo(`runner ${runnerId}: the database is back, lease renewed`)
            failures = 0
            poke()
          } else if (failures++ % 10 === 0) {
            yield* Effect.logWarning(`runner ${runnerId}: lease not renewed`, Cause.squash(exit.cause))
          }
          if (!leaseHolds()) yield* loseAll(runtime)
        }
      })

    const dispatch = (runtime: Runtime, message: string) => {
      const kind = message[0]
      if (kind === "c" || kind === "f") {
        for (const id of message.slice(2).split(" ")) wake(id, kind === "f")
      } else if (kind === "e") {
        heardFollow(message.slice(2))
      } else if (kind === "w") {
        waiting = true
        poke()
      } else if (kind === "t") {
        claimer.offered()
      } else if (kind === "o") {
        runtime.active.get(message.slice(2))?.mailbox.offer({ _tag: "Outcomes" })
      } else if (kind === "k") {
        runtime.env.keys.poke()
      } else if (kind === "S") {
        runtime.schedulesChanged()
      } else if (kind === "s") {
        // A signal stored for an execution: its supervisor reads it back.
        runtime.active.get(message.slice(2))?.mailbox.offer({ _tag: "Signals" })
      } else if (kind === "q") {
        const id = message.slice(2)
        wake(id, false)
        if (runtime.active.has(id) && scope !== undefined) {
          return Effect.asVoid(Effect.forkIn(answer(runtime, storage, id), scope))
        }
      }
      return Effect.void
    }

    /** Listens for wake-ups; a listener that went quiet (a dropped connection) is started again. */
    const listener = (runtime: Runtime, listening: Deferred.Deferred<void>) =>
      Effect.gen(function*() {
        let failures = 0
        for (;;) {
          let heard = performance.now()
          const listen = Stream.runForEach(storage.notifications, (message) =>
            Effect.suspend(() => {
              heard = performance.now()
              Deferred.unsafeDone(listening, Exit.void)
              return dispatch(runtime, message)
            }))
          // A listening connection can die without a word: the pings this runner sends tell.
          const watchdog = Effect.gen(function*() {
            for (;;) {
              yield* liveSleep(2_000)
              yield* Effect.ignore(storage.notify(`p ${runnerId}`))
              if (performance.now() - heard > 6_000) return
            }
          })
          const exit = yield* Effect.exit(Effect.raceFirst(listen, watchdog))
          if (failures++ % 10 === 0) {
            yield* Effect.logWarning(
              `runner ${runnerId}: not listening to the other runners; listening again`,
              Exit.isFailure(exit) ? Cause.squash(exit.cause) : "no wake-up came"
            )
          }
          // Whatever was missed meanwhile is looked at again.
          wakeAll()
          poke()
          yield* liveSleep(1_000)
        }
      })

    /**
     * Takes executions over: of dead runners (`orphaned`) all at once, to move them within a
     * lease; new ones (`waiting`) as far as there is room, to spread work; its own it does not run
     * (`own`) only at its start and when a lost lease is renewed, never else, so that an execution
     * it is submitting right now is not taken from itself. "full": there may be more.
     */
    const adoptSome = (runtime: Runtime, mode: "waiting" | "orphaned" | "own") =>
      Effect.suspend(() => {
        const room = mode === "waiting" ? roomIn(runtime) : 1_000
        const names = runtime.registry.keys()
        // No room: whether more wait is not known, and stays so until one ends here.
        if (room <= 0) return Effect.succeed("full" as const)
        if (names.length === 0) return Effect.succeed("none" as const)
        return runtime.adopting.withPermits(1)(
          Effect.flatMap(
            Effect.suspend(() => storage.adopt(runnerId, names, room, [...runtime.active.keys()], mode)),
            (taken) =>
              Effect.as(
                Effect.forEach(taken, (a) => Effect.catchAll(takeOver(runtime, a), Effect.logWarning), {
                  discard: true
                }),
                taken.length === room ? "full" as const : "none" as const
              )
          )
        )
      })

    /** A worker looks for executions to take whenever told, and every second or so. */
    const adoption = (runtime: Runtime) =>
      Effect.gen(function*() {
        const every = Math.min(1_000, Math.max(100, Math.floor(leaseMs / 3)))
        let ticked = 0
        for (;;) {
          yield* Effect.raceFirst(Queue.take(pokes), liveSleep(every))
          if (!leaseHolds()) continue
          // Every `every`, however often it is poked meanwhile:
          if (performance.now() - ticked >= every) {
            ticked = performance.now()
            // Offered attempts of dead runners offered again; outcomes a wake-up missed; dead
            // runners' executions.
            yield* Effect.ignore(storage.reclaim)
            yield* Effect.ignore(storage.keys.reclaim())
            for (const active of runtime.active.values()) {
              if (active.offered > 0) active.mailbox.offer({ _tag: "Outcomes" })
            }
            yield* Effect.ignore(adoptSome(runtime, "orphaned"))
          }
          const exit = yield* Effect.exit(adoptSome(runtime, "waiting"))
          // As many as it had room for (or no room at all): more may wait, taken when room frees.
          waiting = Exit.isSuccess(exit) && exit.value === "full"
          if (waiting && roomIn(runtime) > 0) poke()
        }
      })

    const handOver = (active: Active) =>
      Effect.suspend(() => {
        const id = active.state.executionId
        if (resultOf === undefined || scope === undefined) {
          return Deferred.fail(active.done, new ExecutionAbortedError({ executionId: id, cause: "runner closed" }))
        }
        const settle = Effect.exit(resultOf(id)).pipe(
          Effect.flatMap((exit) =>
            Exit.isSuccess(exit)
              ? Deferred.succeed(active.done, exit.value)
              : Deferred.fail(
                active.done,
                new ExecutionAbortedError({ executionId: id, cause: Cause.squash(exit.cause) })
              )
          )
        )
        return Effect.asVoid(Effect.forkIn(settle, scope))
      })

    const fleet: Fleet = {
      storage,
      worker,
      leaseMs,
      leaseHolds,
      followed,
      otherWorkers: others,
      hasRoom,
      roomFreed,
      awaitChange,
      handOver
    }
    return {
      fleet,
      run: (runtime: Runtime, result: ResultOf) =>
        Effect.gen(function*() {
          runtimeOf = runtime
          resultOf = result
          scope = yield* Effect.scope
          // The first heartbeat also takes back what this runner owned before a restart.
          yield* heartbeat(runtime)
          yield* Effect.forkScoped(heartbeats(runtime))
          // Listening before the runner is up: no wake-up sent after it started is missed (and a
          // runner closed at once does not close a listening connection still being opened).
          const listening = yield* Deferred.make<void>()
          yield* Effect.forkScoped(listener(runtime, listening))
          const untilListening = Effect.gen(function*() {
            while (!(yield* Deferred.isDone(listening))) {
              yield* Effect.ignore(storage.notify(`p ${runnerId}`))
              yield* Effect.raceFirst(Deferred.await(listening), liveSleep(50))
            }
          })
          yield* Effect.raceFirst(untilListening, liveSleep(5_000))
          if (worker && options.adopts) {
            poke()
            yield* Effect.forkScoped(adoption(runtime))
          }
          if (worker) yield* Effect.forkScoped(claimer.run(runtime))
        })
    }
  })
