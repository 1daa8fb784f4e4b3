/**
 * `Task.map` at width: one execution mapping n items (a trivial body) on a SQLite file, against
 * the static fan-out of the same width (one task per item) where one fits; engine overhead per
 * item (wall time / n, the trivial body's own time included) and the process's peak RSS. Each
 * width runs in a fresh process, so that peak RSS is its own (`npm run bench` runs them):
 *
 *   node --expose-gc --import tsx bench/map.ts <n> [static]
 */
import { Effect, Layer } from "effect"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Runner, Storage, Task, Workflow } from "sluice"

const n = Number(process.argv[2] ?? 10_000)
const staticFanOut = process.argv[3] === "static"
const filename = join(mkdtempSync(join(tmpdir(), "sluice-map-")), "map.db")

const root = Task.make({ id: "root", run: () => {} })
const workflow = staticFanOut
  ? Workflow.make({
    name: "fan",
    tasks: [
      root,
      ...Array.from({ length: n }, (_, i) => Task.make({ id: `i${i}`, dependencies: [root], run: () => i }))
    ]
  })
  : Workflow.make({
    name: "map",
    tasks: [
      root,
      Task.map({
        id: "items",
        dependencies: [root],
        over: () => Array.from({ length: n }, (_, i) => i),
        run: (i: number) => i
      })
    ]
  })

const program = Effect.gen(function*() {
  const runner = yield* Runner
  const t = performance.now()
  const result = yield* runner.execute(workflow)
  const ms = performance.now() - t
  if (result.status !== "Completed") throw new Error(`ended ${result.status}: ${result.errorMessage}`)
  return ms
})
const layer = Runner.layer({ workflows: [workflow], maxConcurrentTasks: 64 }).pipe(
  Layer.provide(Storage.layerSqlite({ filename }))
)
const ms = await Effect.runPromise(Effect.scoped(Effect.provide(program, layer)))
const peakRssMiB = (process.resourceUsage().maxRSS * 1024) / 2 ** 20
// The last line, for bench/mapSection.ts.
console.log(JSON.stringify({ kind: staticFanOut ? "static" : "map", n, ms, usPerItem: (ms * 1000) / n, peakRssMiB }))
