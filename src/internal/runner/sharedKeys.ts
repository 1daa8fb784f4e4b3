/**
 * Concurrency keys shared by the runners of one PostgreSQL database: a slot is a row
 * (storage `KeyStorage`), so a limit holds across runners. Tasks wait here, queued per key; one
 * fiber takes slots for them (as many as each key has waiting, in one statement per key) when
 * told that slots were freed (`k`, from any runner), when a task starts waiting, and every second
 * in case a wake-up was lost. Slots given back are deleted by the same fiber, in one statement.
 */
import type { Scope } from "effect"
import { Effect, Queue } from "effect"
import type { KeyStorage } from "../storage/service.js"
import { keyId } from "./keyOf.js"
import type { ConcurrencyInfo, Keys, KeyWaiter } from "./keys.js"
import { liveSleep } from "./timers.js"

interface Group {
  readonly name: string
  readonly key: string
  declared: number
  readonly queue: Set<KeyWaiter>
  /** Ids of the slots this runner holds for the key. */
  readonly held: Array<string>
}

export const makeSharedKeys = (storage: KeyStorage, holder: string): Effect.Effect<Keys, never, Scope.Scope> =>
  Effect.gen(function*() {
    const groups = new Map<string, Group>()
    let released: Array<string> = []
    const pokes = yield* Queue.sliding<void>(1)
    const poke = () => void Queue.unsafeOffer(pokes, undefined)
    const groupOf = (name: string, key: string) => groups.get(keyId(name, key))
    const forget = (g: Group) => {
      if (g.queue.size === 0 && g.held.length === 0) groups.delete(keyId(g.name, g.key))
    }

    const round = Effect.gen(function*() {
      if (released.length > 0) {
        const ids = released
        released = []
        // Not deleted now (the database away): tried again at the next round.
        yield* Effect.catchAll(storage.give(ids), () => Effect.sync(() => void released.push(...ids)))
      }
      const asking = [...groups.values()].filter((g) => g.queue.size > 0)
      // Not taken now (the database away): asked again at the next round.
      const taken = yield* Effect.catchAll(
        storage.take(
          holder,
          asking.map((g) => ({ name: g.name, key: g.key, declared: g.declared, want: g.queue.size }))
        ),
        (error) => Effect.as(Effect.logWarning(`concurrency keys: slots not taken: ${error.message}`), [] as const)
      )
      for (let i = 0; i < taken.length; i++) {
        const g = asking[i]
        for (const slot of taken[i]) {
          const first = g.queue.values().next().value
          // Nobody waits any more (it left meanwhile): the slot goes back.
          if (first === undefined) {
            released.push(slot)
            continue
          }
          g.queue.delete(first)
          g.held.push(slot)
          first.granted()
        }
      }
    })
    // Slots this runner held before a restart are freed.
    yield* Effect.ignore(storage.reclaim(holder))
    yield* Effect.forkScoped(Effect.forever(
      Effect.zipRight(Effect.raceFirst(Queue.take(pokes), liveSleep(1_000)), round)
    ))

    const keys: Keys = {
      take: (name, key, declared, waiter) => {
        let g = groupOf(name, key)
        if (g === undefined) {
          g = { name, key, declared, queue: new Set(), held: [] }
          groups.set(keyId(name, key), g)
        } else g.declared = declared
        g.queue.add(waiter)
        poke()
        return false
      },
      give: (name, key) => {
        const g = groupOf(name, key)
        const slot = g?.held.pop()
        if (g === undefined || slot === undefined) return
        // A task here waits for the key: the slot goes to it as it is (no round trip). A limit
        // lowered at run time binds once the key's tasks here stop waiting.
        const next = g.queue.values().next().value
        if (next !== undefined) {
          g.queue.delete(next)
          g.held.push(slot)
          next.granted()
          return
        }
        released.push(slot)
        forget(g)
        poke()
      },
      leave: (name, key, waiter) => {
        const g = groupOf(name, key)
        if (g === undefined) return
        g.queue.delete(waiter)
        forget(g)
      },
      setLimit: (name, key, limit) => storage.setLimit(name, key, limit),
      info: Effect.suspend(() => {
        const list = [...groups.values()]
        return Effect.map(
          storage.counts(list.map((g) => ({ name: g.name, key: g.key, declared: g.declared }))),
          (counts): Array<ConcurrencyInfo> =>
            list.map((g, i) => ({
              name: g.name,
              key: g.key,
              limit: counts[i].limit,
              running: counts[i].running,
              waiting: g.queue.size
            }))
        )
      }),
      poke
    }
    return keys
  })
