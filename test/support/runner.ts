/** Running programs against a runner on a given storage. */
import { Context, Effect, Layer } from "effect"
import type { RunnerConfig, RunnerService, Workflow } from "sluice"
import { Runner, Storage } from "sluice"
import type { StorageCase } from "./storage.js"

/** Runs `f` with a runner on a fresh instance of the storage; `f` may use that Storage too. */
export const withRunner = <A, E>(
  storage: StorageCase,
  config: RunnerConfig,
  f: (runner: RunnerService) => Effect.Effect<A, E, Storage>
) => Effect.flatMap(Runner, f).pipe(Effect.provide(Runner.layer(config).pipe(Layer.provideMerge(storage.layer))))

/**
 * A runner on a SQLite file, given to `f` and shut down when `f` ends (or is interrupted): for
 * tests that stop a runner and start another on the same file.
 */
export const withRunnerOn = <A, E>(
  filename: string,
  workflows: ReadonlyArray<Workflow.Workflow<never>>,
  f: (runner: RunnerService) => Effect.Effect<A, E>
) =>
  Effect.scoped(
    Effect.flatMap(
      Layer.build(Runner.layer({ workflows }).pipe(Layer.provide(Storage.layerSqlite({ filename })))),
      (ctx) => f(Context.get(ctx, Runner))
    )
  )

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
