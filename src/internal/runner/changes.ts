/**
 * Waiting for what other runners commit (runners sharing PostgreSQL): a caller waits on an
 * execution until a wake-up names it (`c` changed, `f` finished) or a fallback delay passes, then
 * looks again. Changes are announced only for executions someone follows: a follower says so
 * (`e <id>`, again every couple of seconds), and the owner's commits of it then announce them.
 */
import type { Option } from "effect"
import { Effect } from "effect"
import type { FleetStorage } from "../storage/service.js"
import { liveSleep } from "./timers.js"

/**
 * How often a waiting caller looks again when no wake-up came (a lost notification costs this):
 * for a change, and for an end (`result`, which many callers may wait for at once; a listener
 * that reconnects wakes every waiter anyway).
 */
const FALLBACK_MS = { change: 2_000, end: 10_000 } as const

export const makeChanges = (storage: FleetStorage) => {
  // Who waits for a change to an execution, and who only for its end.
  const waiters = new Map<string, Set<() => void>>()
  const enders = new Map<string, Set<() => void>>()
  const wakeIn = (map: Map<string, Set<() => void>>, executionId: string) => {
    const set = map.get(executionId)
    if (set === undefined) return
    map.delete(executionId)
    for (const f of set) f()
  }
  const wake = (executionId: string, ended: boolean) => {
    wakeIn(waiters, executionId)
    if (ended) wakeIn(enders, executionId)
  }
  const wakeAll = () => {
    for (const id of [...waiters.keys()]) wakeIn(waiters, id)
    for (const id of [...enders.keys()]) wakeIn(enders, id)
  }

  // Executions someone follows (`e` heard), until when; and when this runner last said it follows.
  const followers = new Map<string, number>()
  const following = new Map<string, number>()
  const followed = (executionId: string) => {
    const until = followers.get(executionId)
    if (until === undefined) return false
    if (until > performance.now()) return true
    followers.delete(executionId)
    return false
  }
  const heardFollow = (executionId: string) =>
    void followers.set(executionId, performance.now() + 3 * FALLBACK_MS.change)
  const follow = (executionId: string) =>
    Effect.suspend(() => {
      const now = performance.now()
      if ((following.get(executionId) ?? 0) > now) return Effect.void
      following.set(executionId, now + FALLBACK_MS.change)
      return Effect.ignore(storage.notify(`e ${executionId}`))
    })

  /** Runs `check` until it gives a value (see the `Fleet` interface). */
  const awaitChange = <A, E, R>(
    executionId: string,
    check: Effect.Effect<Option.Option<A>, E, R>,
    until: "change" | "end" = "change"
  ) =>
    Effect.suspend(function loop(): Effect.Effect<A, E, R> {
      const map = until === "end" ? enders : waiters
      let woken = false
      let resume: (() => void) | undefined
      const waiter = () => {
        woken = true
        resume?.()
      }
      let set = map.get(executionId)
      if (set === undefined) map.set(executionId, set = new Set())
      set.add(waiter)
      const forget = Effect.sync(() => {
        map.get(executionId)?.delete(waiter)
        if (until === "change") following.delete(executionId)
      })
      const changed = Effect.async<void>((r) => {
        if (woken) return r(Effect.void)
        resume = () => r(Effect.void)
      })
      const interest = until === "change" ? follow(executionId) : Effect.void
      return Effect.zipRight(interest, check).pipe(
        Effect.flatMap((found) =>
          found._tag === "Some"
            ? Effect.succeed(found.value)
            : Effect.zipRight(Effect.raceFirst(changed, liveSleep(FALLBACK_MS[until])), Effect.suspend(loop))
        ),
        Effect.ensuring(forget)
      )
    })

  return { awaitChange, followed, heardFollow, wake, wakeAll }
}
