/**
 * Commits that fail for a transient reason are tried again, with backoff, while the execution
 * waits (see docs/ARCHITECTURE.md, "Faults"): a database that is unavailable (down, restarting)
 * until it returns, a busy one up to 50 times, a full one up to 5 times. Every retry writes the
 * same round again, which storage stores once (rounds are numbered), so nothing runs twice
 * because a commit had to be retried.
 */
import { Effect, Schedule } from "effect"
import type { StorageError } from "../../Errors.js"

/** The waits between tries: exponential from 20 ms, capped at 2 s. */
export const defaultStorageRetry: Schedule.Schedule<unknown, StorageError> = Schedule.exponential("20 millis").pipe(
  Schedule.either(Schedule.spaced("2 seconds"))
)

const budget = { busy: 50, full: 5 } as const

/**
 * `effect`, tried again on transient storage errors. `unavailable` is retried without end for an
 * execution's commits; `submit` gives up after a few seconds (its caller is waiting to be told).
 */
export const retryTransient = <A>(
  effect: Effect.Effect<A, StorageError>,
  schedule: Schedule.Schedule<unknown, StorageError>,
  what: string,
  mode: "execution" | "submit"
): Effect.Effect<A, StorageError> =>
  // The retry machinery is set up on the first transient failure only: a commit that succeeds
  // (almost all of them) pays nothing for it.
  Effect.catchIf(effect, (error) => error.transient !== undefined, () => retrying(effect, schedule, what, mode))

const retrying = <A>(
  effect: Effect.Effect<A, StorageError>,
  schedule: Schedule.Schedule<unknown, StorageError>,
  what: string,
  mode: "execution" | "submit"
): Effect.Effect<A, StorageError> =>
  Effect.suspend(() => {
    const tries = { unavailable: 0, busy: 0, full: 0 }
    let retries = 0
    // The first time, then every 20th: an outage of minutes logs a line every half minute or so.
    const warn = (error: StorageError) =>
      Effect.suspend(() =>
        ++retries === 1 || retries % 20 === 0
          ? Effect.logWarning(`${what}: ${error.message}; trying again (${retries})`)
          : Effect.void
      )
    return Effect.retry(effect, {
      schedule: Schedule.tapInput(schedule, warn),
      while: (error) => {
        const kind = error.transient
        if (kind === undefined) return false
        const n = ++tries[kind]
        if (kind === "unavailable") return mode === "execution" || n <= budget.full * 2
        return n <= budget[kind]
      }
    })
  })
