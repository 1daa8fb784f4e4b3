/**
 * Sleeps on the process's timers, not on Effect's clock: what the fleet times (leases, wake-ups)
 * is real time, also in a test that drives its workflows with `TestClock`.
 */
import { Effect } from "effect"

export const liveSleep = (ms: number): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    const timer = setTimeout(() => resume(Effect.void), ms)
    return Effect.sync(() => clearTimeout(timer))
  })
