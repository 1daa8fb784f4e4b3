/**
 * Testing your own workflows without waiting for real time. `Runner.layerTest` gives a runner on
 * memory storage (or SQLite `:memory:`); under Effect's `TestClock` (what `@effect/vitest`'s
 * `it.effect` and `it.scoped` provide) every durable sleep, retry backoff, timeout and cron
 * schedule is timed by that clock. `settle` and `advance` move the clock the way a test means it:
 * from one due time to the next, letting the runner act at each one, so that a test need not know
 * how long its workflow takes (`settle`), and sees what happened by a time once it asserts
 * (`advance` returns when the runner is idle).
 *
 * @example
 * it.effect("the nightly job retries and finishes", () =>
 *   Effect.gen(function* () {
 *     const runner = yield* Runner
 *     const handle = yield* runner.submit(nightly)
 *     const result = yield* RunnerTest.settle(handle.result)
 *     expect(result.status).toBe("Completed")
 *   }).pipe(Effect.provide(Runner.layerTest({ workflows: [nightly] }))))
 *
 * @since 0.6.0
 */
import type { Exit } from "effect"
import { Cause, Chunk, Clock, Duration, Effect, Equal, Fiber, Option, TestClock } from "effect"

/** Real-time turns with no new sleep on the clock after which the runner counts as idle. */
const IDLE_TURNS = 3

/** Real time `settle` waits with nothing due on the clock before it gives up. */
const STUCK_MS = 2_000

const turn = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))

/** The sleeps on the test clock once nothing registers a new one for a few turns (idle). */
const idle: Effect.Effect<Chunk.Chunk<number>> = Effect.gen(function*() {
  let last = yield* TestClock.sleeps()
  for (let same = 0; same < IDLE_TURNS;) {
    yield* turn
    const now = yield* TestClock.sleeps()
    if (Equal.equals(now, last)) same++
    else {
      same = 0
      last = now
    }
  }
  return last
})

const earliest = (sleeps: Chunk.Chunk<number>): Option.Option<number> =>
  Chunk.reduce(
    sleeps,
    Option.none<number>(),
    (min, at) => Option.isNone(min) || at < min.value ? Option.some(at) : min
  )

/**
 * @since 0.6.0
 * @category models
 */
export interface SettleOptions {
  /** How much test-clock time it may take (default: 366 days); past it, `TimeoutException`. */
  readonly within?: Duration.DurationInput | undefined
}

/**
 * Runs `effect` (an execution's `result`, `runner.execute(…)`, any effect that waits on
 * workflows), moving the test clock to each next due time whenever the runner is idle, until
 * `effect` ends; its value or error is settle's. Fails with `TimeoutException` when `within`
 * (test-clock time) has passed, or when nothing is due on the clock for two seconds of real time
 * (the effect waits for something time does not bring: a signal nobody sends).
 *
 * @since 0.6.0
 * @category testing
 */
export const settle = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  options: SettleOptions = {}
): Effect.Effect<A, E | Cause.TimeoutException, R> =>
  Effect.gen(function*(): Effect.fn.Return<A, E | Cause.TimeoutException, R> {
    const limitMs = Duration.toMillis(Duration.decode(options.within ?? "366 days"))
    const fiber: Fiber.RuntimeFiber<A, E> = yield* Effect.fork(effect)
    const start = yield* Clock.currentTimeMillis
    let stuckSince: number | undefined
    for (;;) {
      const sleeps = yield* idle
      const done = fiber.unsafePoll()
      if (done !== null) return yield* (done as Exit.Exit<A, E>)
      const next = earliest(sleeps)
      if (Option.isNone(next)) {
        // Nothing is due on the clock: only something outside time (a signal, real I/O) can end
        // it. Waited for in real time, a while.
        if (stuckSince === undefined) stuckSince = performance.now()
        else if (performance.now() - stuckSince > STUCK_MS) {
          yield* Fiber.interrupt(fiber)
          return yield* Effect.fail(
            new Cause.TimeoutException(
              `nothing is due on the test clock and the effect has not ended: it waits for something outside time (a signal?)`
            )
          )
        }
        yield* turn
        continue
      }
      stuckSince = undefined
      if (next.value - start > limitMs) {
        yield* Fiber.interrupt(fiber)
        return yield* Effect.fail(
          new Cause.TimeoutException(`not settled within ${Duration.format(Duration.millis(limitMs))} of test time`)
        )
      }
      yield* TestClock.setTime(next.value)
    }
  })

/**
 * Moves the test clock forward by `duration`, stopping at every due time on the way so that the
 * runner acts at each (what it schedules from there on is run too, if due before the end).
 *
 * @since 0.6.0
 * @category testing
 */
export const advance = (duration: Duration.DurationInput): Effect.Effect<void> =>
  Effect.gen(function*() {
    const end = (yield* Clock.currentTimeMillis) + Duration.toMillis(Duration.decode(duration))
    for (;;) {
      const next = earliest(yield* idle)
      if (Option.isNone(next) || next.value > end) break
      yield* TestClock.setTime(next.value)
    }
    yield* TestClock.setTime(end)
    yield* idle
  })
