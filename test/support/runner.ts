/** Running programs against a runner on a given storage. */
import { Chunk, Clock, Context, Effect, Layer, TestClock } from "effect"
import type { RunnerConfig, RunnerService, Workflow } from "sluice"
import { Runner, Storage } from "sluice"
import type { StorageCase } from "./storage.js"

/** Runs `f` with a runner on a fresh instance of the storage; `f` may use that Storage too. */
export const withRunner = <A, E>(
  storage: StorageCase,
  config: RunnerConfig,
  f: (runner: RunnerService) => Effect.Effect<A, E, Storage>
) => Effect.flatMap(Runner, f).pipe(Effect.provide(Runner.layer(config).pipe(Layer.provideMerge(storage.layer))))

const isList = (
  u: ReadonlyArray<Workflow.Workflow<never>> | RunnerConfig
): u is ReadonlyArray<Workflow.Workflow<never>> => Array.isArray(u)

/**
 * A runner on a storage, given to `f` and shut down when `f` ends (or is interrupted): for
 * tests that stop a runner and start another on the same storage.
 */
export const withRunnerOn = <A, E>(
  storage: Layer.Layer<Storage, unknown>,
  workflows: ReadonlyArray<Workflow.Workflow<never>> | RunnerConfig,
  f: (runner: RunnerService) => Effect.Effect<A, E>
) =>
  Effect.scoped(
    Effect.flatMap(
      Layer.build(Runner.layer(isList(workflows) ? { workflows } : workflows).pipe(Layer.provide(storage))),
      (ctx) => f(Context.get(ctx, Runner))
    )
  )

/** A runner on a SQLite file (see `withRunnerOn`). */
export const withRunnerOnFile = <A, E>(
  filename: string,
  workflows: ReadonlyArray<Workflow.Workflow<never>>,
  f: (runner: RunnerService) => Effect.Effect<A, E>
) => withRunnerOn(Storage.layerSqlite({ filename }), workflows, f)

/** A log of what task bodies did, in the order they did it. */
export const trace = () => {
  const lines: Array<string> = []
  return {
    lines,
    add: (line: string) => void lines.push(line),
    at: (line: string) => {
      const i = lines.indexOf(line)
      if (i < 0) throw new Error(`"${line}" never happened; trace: ${lines.join(", ")}`)
      return i
    }
  }
}

/**
 * Under TestClock: waits (in real time, briefly) until fibers sleep on the test clock until each
 * of the given delays from now, so that a following `TestClock.adjust` finds the sleeps it is
 * meant to end. (Drivers may sleep on the clock too: only these wake-up times count.)
 */
export const untilSleeping = (...delaysMs: ReadonlyArray<number>) =>
  Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    const due = (sleeps: Chunk.Chunk<number>) => delaysMs.every((d) => Chunk.some(sleeps, (at) => at === now + d))
    while (!due(yield* TestClock.sleeps())) {
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 1)))
    }
  })
