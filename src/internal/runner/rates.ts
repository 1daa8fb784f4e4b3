/**
 * Rate limits (`rateLimit: { key, limit, per }` on a task): a token bucket per key holding
 * `limit` tokens, refilled evenly over `per`; an attempt starts only with a token. A task without
 * one is held back by its supervisor (no permit) and queued here, first come first served within
 * the key; one fiber per runner asks the buckets for the waiting keys' tokens when a task starts
 * waiting and when the next token is due. The buckets are this runner's (`localBuckets`, timed by
 * Effect's clock: `TestClock` drives them) or rows shared by every runner on PostgreSQL (timed by
 * the database's clock).
 */
import type { Scope } from "effect"
import { Clock, Effect, Queue } from "effect"
import type { StorageError } from "../../Errors.js"
import type { BucketStorage } from "../storage/service.js"
import { keyId } from "./keyOf.js"

export interface RateWaiter {
  readonly granted: () => void
}

export interface Rates {
  /** A token now (true), or `waiter` queued for one (false; `granted` is called when it has it). */
  take(name: string, key: string, limit: number, perMs: number, waiter: RateWaiter): boolean
  /** The waiter no longer waits. */
  leave(name: string, key: string, waiter: RateWaiter): void
}

interface Bucket {
  readonly name: string
  readonly key: string
  limit: number
  perMs: number
  readonly queue: Set<RateWaiter>
}

/** This runner's own buckets, on Effect's clock. */
export const localBuckets = (clock: Clock.Clock): BucketStorage & {
  readonly now: (name: string, key: string, limit: number, perMs: number) => boolean
} => {
  const state = new Map<string, { tokens: number; at: number }>()
  const refill = (name: string, key: string, limit: number, perMs: number) => {
    const now = clock.unsafeCurrentTimeMillis()
    const id = keyId(name, key)
    const b = state.get(id) ?? { tokens: limit, at: now }
    b.tokens = Math.min(limit, b.tokens + ((now - b.at) * limit) / perMs)
    b.at = now
    state.set(id, b)
    return b
  }
  return {
    now: (name, key, limit, perMs) => {
      const b = refill(name, key, limit, perMs)
      if (b.tokens < 1) return false
      b.tokens -= 1
      return true
    },
    take: (asked) =>
      Effect.sync(() =>
        asked.map(({ key, limit, name, perMs, want }) => {
          const b = refill(name, key, limit, perMs)
          const granted = Math.min(want, Math.floor(b.tokens))
          b.tokens -= granted
          return { granted, waitMs: b.tokens >= 1 ? 0 : ((1 - b.tokens) * perMs) / limit }
        })
      )
  }
}

export const makeRates = (
  storage: BucketStorage,
  /** Local buckets answer at once when a token is there. */
  now?: (name: string, key: string, limit: number, perMs: number) => boolean
): Effect.Effect<Rates, never, Scope.Scope> =>
  Effect.gen(function*() {
    const buckets = new Map<string, Bucket>()
    const pokes = yield* Queue.sliding<void>(1)
    const poke = () => void Queue.unsafeOffer(pokes, undefined)
    let nextMs = Infinity

    const round: Effect.Effect<void, StorageError> = Effect.gen(function*() {
      const asking = [...buckets.values()].filter((b) => b.queue.size > 0)
      nextMs = Infinity
      if (asking.length === 0) return
      const answers = yield* storage.take(
        asking.map((b) => ({ name: b.name, key: b.key, limit: b.limit, perMs: b.perMs, want: b.queue.size }))
      )
      answers.forEach(({ granted, waitMs }, i) => {
        const b = asking[i]
        for (let n = 0; n < granted; n++) {
          const first = b.queue.values().next().value
          if (first === undefined) break
          b.queue.delete(first)
          first.granted()
        }
        if (b.queue.size > 0) nextMs = Math.min(nextMs, Math.max(1, Math.ceil(waitMs)))
        else buckets.delete(keyId(b.name, b.key))
      })
    })
    yield* Effect.forkScoped(Effect.forever(
      Effect.gen(function*() {
        yield* nextMs === Infinity ? Queue.take(pokes) : Effect.raceFirst(Queue.take(pokes), Effect.sleep(nextMs))
        // Not answered now (the database away): asked again in a second.
        yield* Effect.catchAll(round, (error) =>
          Effect.sync(() => {
            nextMs = 1_000
          }).pipe(Effect.zipLeft(Effect.logWarning(`rate limits: tokens not taken: ${error.message}`))))
      })
    ))

    return {
      take: (name, key, limit, perMs, waiter) => {
        const id = keyId(name, key)
        let b = buckets.get(id)
        if ((b === undefined || b.queue.size === 0) && now?.(name, key, limit, perMs) === true) return true
        if (b === undefined) {
          b = { name, key, limit, perMs, queue: new Set() }
          buckets.set(id, b)
        }
        b.limit = limit
        b.perMs = perMs
        b.queue.add(waiter)
        poke()
        return false
      },
      leave: (name, key, waiter) => {
        buckets.get(keyId(name, key))?.queue.delete(waiter)
      }
    }
  })

/** Rates on this runner's own buckets, timed by the clock of the fiber that makes them. */
export const makeLocalRates: Effect.Effect<Rates, never, Scope.Scope> = Effect.flatMap(Effect.clock, (clock) => {
  const buckets = localBuckets(clock)
  return makeRates(buckets, buckets.now)
})
