/**
 * The items of a `Task.map` task, run by a fiber of its execution's supervisor: `over(ctx)`
 * gives the items; each runs (retried, timed out) on its own, at most `concurrency` at once;
 * results are recorded by the supervisor (`ItemsDone`, taken with each of its rounds), and the
 * end comes in one message (`MapEnded`). After a restart the items recorded since the task began
 * waiting are not run again. Each item attempt runs under one of the runner's permits (as a
 * task's attempt does) or, on PostgreSQL with other workers alive and no permit free here, is
 * offered to them (`ItemOffers`, see offers.ts) as a task's attempt is.
 */
import { Cause, Effect, Either, Schedule } from "effect"
import { TaskTimeoutError } from "../../Errors.js"
import * as RetryPolicy from "../../RetryPolicy.js"
import type { TaskContext } from "../../TaskContext.js"
import type { Json, JsonObject } from "../dag/json.js"
import { toFrozenJson } from "../dag/json.js"
import type { Wait } from "../dag/task.js"
import type { ExecutionState } from "../execution/state.js"
import type { Message, RuntimeEnv } from "./active.js"
import { callUser, errorMessage } from "./attempt.js"
import { makeWaiter } from "./permits.js"

export type MapWait = Extract<Wait, { readonly _tag: "Map" }>

/** An item's id in offers and errors: the map's task id and the item's index. */
export const itemId = (taskId: string, index: number): string => `${taskId}[${index}]`

/** The map's task id and the item's index of an item's id, if it is one. */
export const parseItemId = (id: string): readonly [string, number] | undefined => {
  const open = id.lastIndexOf("[")
  if (open <= 0 || !id.endsWith("]")) return undefined
  const digits = id.slice(open + 1, -1)
  return /^\d+$/.test(digits) ? [id.slice(0, open), Number(digits)] : undefined
}

/** One attempt of one item's body, under the item timeout: the body's value (wherever it runs). */
export const itemAttempt = <R>(
  wait: MapWait,
  taskId: string,
  index: number,
  item: unknown,
  ctx: TaskContext
): Effect.Effect<unknown, unknown, R> => {
  // A body that throws fails its item (as a task's attempt), it is not a defect of the map.
  const once = Effect.catchAllDefect(callUser<R>(() => wait.run(item, ctx)), Effect.fail)
  return wait.timeoutMs === undefined ? once : Effect.timeoutFail(once, {
    duration: wait.timeoutMs,
    onTimeout: () => new TaskTimeoutError({ taskId: itemId(taskId, index), timeoutMs: wait.timeoutMs! })
  })
}

/** What an offered item attempt carries to the runner that claims it. */
export interface OfferedItem {
  readonly item: unknown
  readonly context: JsonObject
}

/** An item attempt's outcome from another runner: its value (JSON), or its error's message. */
export type ItemOutcome = { readonly value: Json } | { readonly error: string }

/** Offering item attempts to other runners (PostgreSQL): the supervisor's `Offers`. */
export interface ItemOffers {
  /** How many more item attempts the other workers could take now (0: run here). */
  readonly room: () => number
  /**
   * Offers one attempt (committed with the supervisor's next round); `done` gets its outcome.
   * Returns the withdrawal (the attempt is no longer wanted).
   */
  readonly offer: (id: string, attempt: number, item: OfferedItem, done: (outcome: ItemOutcome) => void) => () => void
}

/** The items recorded for the task's current turn (since it last began waiting). */
const recorded = (env: RuntimeEnv, state: ExecutionState, taskId: string) =>
  Effect.map(env.storage.journal(state.executionId), (journal) => {
    const done = new Map<number, Json>()
    for (const e of journal.entries) {
      if (e._tag === "TaskWaiting" && e.taskId === taskId) done.clear()
      else if (e._tag === "ItemsDone" && e.taskId === taskId) { for (const [i, v] of e.done) done.set(i, v as Json) }
    }
    return done
  })

export const runMap = <R>(
  env: RuntimeEnv,
  state: ExecutionState,
  task: number,
  wait: MapWait,
  offer: (message: Message) => void,
  remote: ItemOffers | undefined
): Effect.Effect<unknown, never, R> => {
  const taskId = state.graph.ids[task]
  return Effect.gen(function*() {
    const done = yield* recorded(env, state, taskId)
    const ctx = state.waitContext(task, 1)
    const context = state.inputOf(task)
    const items = yield* Effect.try(() => wait.over(ctx))
    if (!Array.isArray(items)) return yield* Effect.fail(new Error("over must return an array"))
    const results = new Array<Json>(items.length)
    const pending: Array<number> = []
    for (let i = 0; i < items.length; i++) {
      if (done.has(i)) results[i] = done.get(i)!
      else pending.push(i)
    }
    // Items done since the supervisor last took them: it is told once, and takes them all with
    // its next round, so each commit records what ended before it (however many).
    let batch: Array<readonly [number, Json]> = []
    let told = false
    const take = () => {
      const taken = batch
      batch = []
      told = false
      return taken
    }
    const send = () => {
      if (told || batch.length === 0) return
      told = true
      offer({ _tag: "ItemsDone", task, take })
    }
    const failures: Array<string> = []
    /** What a worker holds: one of the runner's permits, taken per attempt (see `worker`). */
    interface Permit {
      /** A permit here, or (none free, other workers with room) the attempt goes to them. */
      readonly acquire: Effect.Effect<"here" | "offered">
      /** Gives the permit back if anybody waits for one (kept between items otherwise). */
      readonly yieldIfWanted: Effect.Effect<void>
      /** Gives the permit back (a retry's wait holds none, as a task's does not). */
      readonly release: Effect.Effect<void>
    }
    // An attempt offered to another runner: its outcome comes back through the supervisor.
    const offered = (i: number, n: number) =>
      Effect.async<Either.Either<unknown, unknown>>((resume) => {
        const withdraw = remote!.offer(itemId(taskId, i), n, { item: items[i], context }, (outcome) =>
          resume(Effect.succeed(
            "value" in outcome ? Either.right(outcome.value) : Either.left(new Error(outcome.error))
          )))
        // A round commits the offer (nothing else is needed of it).
        offer({ _tag: "Permits" })
        return Effect.sync(withdraw)
      })
    const runItem = (i: number, permit: Permit) => {
      const here = Effect.either(itemAttempt<R>(wait, taskId, i, items[i], ctx))
      const attempt = remote === undefined
        ? () => Effect.zipRight(permit.acquire, here)
        : (n: number) => Effect.flatMap(permit.acquire, (placed) => placed === "here" ? here : offered(i, n))
      const retried = wait.retry.maxAttempts <= 1 ? attempt(1) : Effect.flatMap(
        Schedule.driver(wait.retry.schedule),
        (driver) => {
          const loop = (n: number): Effect.Effect<Either.Either<unknown, unknown>, never, R> =>
            Effect.flatMap(attempt(n), (outcome) => {
              if (outcome._tag === "Right" || !RetryPolicy.allowsRetry(wait.retry, n, outcome.left)) {
                return Effect.succeed(outcome)
              }
              // The schedule's wait, without the permit; a schedule that is done ends the retries.
              return Effect.zipRight(
                permit.release,
                Effect.matchEffect(driver.next(outcome.left), {
                  onFailure: () => Effect.succeed(outcome),
                  onSuccess: () => loop(n + 1)
                })
              )
            })
          return loop(1)
        }
      )
      return Effect.flatMap(retried, (outcome) => {
        if (outcome._tag === "Right") {
          const value = outcome.right === undefined ? null : outcome.right
          try {
            results[i] = toFrozenJson(itemId(taskId, i), value)
            batch.push([i, results[i]])
            send()
            return permit.yieldIfWanted
          } catch (error) {
            failures.push(`item ${i}: ${errorMessage(error)}`)
          }
        } else failures.push(`item ${i}: ${errorMessage(outcome.left)}`)
        return wait.failFast ? Effect.fail(new Error(failures[0])) : permit.yieldIfWanted
      })
    }
    // `concurrency` workers taking the next pending item: nothing is made per item ahead of its
    // turn (a million items are a million numbers, not a million Effects waiting).
    let next = 0
    const placedHere = Effect.succeed("here" as const)
    const placedThere = Effect.succeed("offered" as const)
    // Each worker runs its items under one of the runner's permits, queueing for it as an
    // execution does (its own place in the queue). It keeps its permit from item to item while
    // nobody waits for one, and gives it back (queueing again) as soon as somebody does.
    const worker = Effect.suspend(() => {
      let held = false
      let granted: (() => void) | undefined
      const waiter = makeWaiter(() => granted?.())
      const queued = Effect.async<void>((resume) => {
        if (env.permits.take(waiter, 1) === 1) {
          held = true
          return resume(Effect.void)
        }
        granted = () => {
          if (env.permits.take(waiter, 1) !== 1) return
          // Held from here: an interruption before the worker goes on gives it back (below).
          held = true
          granted = undefined
          resume(Effect.void)
        }
        return Effect.sync(() => {
          granted = undefined
          env.permits.leave(waiter)
        })
      })
      const release = Effect.sync(() => {
        if (!held) return
        held = false
        env.permits.give(1)
      })
      const permit: Permit = {
        acquire: Effect.suspend(() => {
          if (held) return placedHere
          if (env.permits.takeFree(1) === 1) {
            held = true
            return placedHere
          }
          return remote !== undefined && remote.room() > 0 ? placedThere : Effect.as(queued, "here" as const)
        }),
        yieldIfWanted: Effect.suspend(() => env.permits.contended ? release : Effect.void),
        release
      }
      const one = Effect.suspend(() => next < pending.length ? runItem(pending[next++], permit) : Effect.void)
      return Effect.ensuring(
        Effect.whileLoop({ while: () => next < pending.length, body: () => one, step: () => {} }),
        release
      )
    })
    // By default as many at once as this runner's permits, and the other workers' as well.
    const others = remote === undefined ? 0 : env.fleet?.otherWorkers() ?? 0
    const workers = Math.min(wait.concurrency ?? env.permits.total * (1 + others), Math.max(1, pending.length))
    const ran = yield* Effect.either(
      Effect.all(Array.from({ length: workers }, () => worker), { concurrency: "unbounded", discard: true })
    )
    send()
    if (ran._tag === "Left" || failures.length > 0) {
      const more = failures.length > 1 ? ` (and ${failures.length - 1} more)` : ""
      return offer({
        _tag: "MapEnded",
        task,
        ended: { error: `${failures.length} of ${items.length} items failed: ${failures[0]}${more}` }
      })
    }
    offer({ _tag: "MapEnded", task, ended: { results } })
  }).pipe(
    Effect.catchAllCause((cause) =>
      Effect.sync(() =>
        Cause.isInterruptedOnly(cause)
          ? undefined
          : offer({ _tag: "WaitFailed", task, error: `map: ${errorMessage(Cause.squash(cause))}` })
      )
    )
  )
}
