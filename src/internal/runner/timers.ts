/**
 * Sleeps on the process's timers, not on Effect's clock: what the fleet times (leases, wake-ups)
 * is real time, also in a test that drives its workflows with `TestClock`.
 */
import { Clock, Effect } from "effect"

export const liveSleep = (ms: number): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    const timer = setTimeout(() => resume(Effect.void), ms)
    return Effect.sync(() => clearTimeout(timer))
  })

/** The longest sleep Effect's clock takes (a longer one never ends: setTimeout's limit). */
const MAX_SLEEP_MS = 2 ** 31 - 1

/**
 * Sleeps on Effect's clock (so `TestClock` drives it) until `due` (epoch ms), in steps short
 * enough for the clock: a sleep of 30 days ends too.
 */
export const sleepUntil = (due: number): Effect.Effect<void> =>
  Effect.flatMap(Clock.currentTimeMillis, (now) =>
    due - now <= 0
      ? Effect.void
      : due - now <= MAX_SLEEP_MS
      ? Effect.sleep(due - now)
      : Effect.zipRight(Effect.sleep(MAX_SLEEP_MS), sleepUntil(due)))

/** `sleepUntil`, `ms` from now. */
export const sleepFor = (ms: number): Effect.Effect<void> =>
  Effect.flatMap(Clock.currentTimeMillis, (now) => sleepUntil(now + ms))

/** At most what one sleep on Effect's clock may last (a caller that loops looks again then). */
export const clampSleep = (ms: number): number => Math.min(ms, MAX_SLEEP_MS)
