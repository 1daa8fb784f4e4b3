/**
 * `sluice bench`'s measurements: the critical path of task bodies through the DAG (exact, on
 * recorded attempts), quantiles, and a run on a real runner that counts what it ran.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { Runner, Storage, Task, Workflow } from "sluice"
import { bench, criticalPath, quantile, timed } from "../src/operator/bench.js"

const a = Task.make({ id: "a", run: () => {} })
const b = Task.make({ id: "b", dependencies: [a], run: () => {} })
const c = Task.make({ id: "c", dependencies: [a], run: () => {} })
const d = Task.make({ id: "d", dependencies: [b, c], run: () => {} })
const diamond = Workflow.make({ name: "diamond", tasks: [a, b, c, d] })

describe("sluice bench", () => {
  it("the critical path is the longest chain of body times through the DAG", () => {
    const times = (entries: Record<string, number>) => new Map(Object.entries(entries))
    expect(criticalPath(diamond, times({ a: 10, b: 30, c: 5, d: 7 }))).toBe(10 + 30 + 7)
    expect(criticalPath(diamond, times({ a: 10, b: 2, c: 38 }))).toBe(10 + 38)
    expect(criticalPath(diamond, times({}))).toBe(0)
  })

  it.scopedLive("each body is timed alone, through the workflow as it runs (sync, Promise, Effect)", () =>
    Effect.gen(function*() {
      const slow = (ms: number) => Effect.sleep(`${ms} millis`)
      const wf = Workflow.make({
        name: "timed",
        tasks: [
          Task.make({ id: "sync", run: () => {} }),
          Task.make({ id: "promise", run: () => new Promise((resolve) => setTimeout(resolve, 20)) }),
          Task.make({ id: "effect", dependencies: ["sync"], run: () => slow(30) })
        ]
      })
      const times = new Map<string, Map<string, number>>()
      const instrumented = timed(wf, times)
      expect([instrumented.name, instrumented.version]).toEqual([wf.name, wf.version])
      const result = yield* Effect.flatMap(Runner, (r) => r.execute(instrumented as Workflow.Workflow<never>)).pipe(
        Effect.provide(Runner.layer({ workflows: [] }).pipe(Layer.provide(Storage.layerMemory)))
      )
      expect(result.status).toBe("Completed")
      const bodies = times.get(result.executionId)!
      expect([...bodies.keys()].sort()).toEqual(["effect", "promise", "sync"])
      // The sleeps are inside the bodies: at least their length (never less).
      expect(bodies.get("promise")!).toBeGreaterThanOrEqual(15)
      expect(bodies.get("effect")!).toBeGreaterThanOrEqual(25)
    }))

  it("quantiles by nearest rank", () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1)
    expect([quantile(values, 0.5), quantile(values, 0.9), quantile(values, 0.99)]).toEqual([50, 90, 99])
    expect(quantile([7], 0.99)).toBe(7)
  })

  it.scopedLive("runs the workflow the number of times asked, at the concurrency asked, and counts failures", () =>
    Effect.gen(function*() {
      let runs = 0
      let running = 0
      let most = 0
      const body = Task.make({
        id: "body",
        run: () =>
          Effect.gen(function*() {
            runs++
            most = Math.max(most, ++running)
            yield* Effect.sleep("2 millis")
            running--
          })
      })
      const wf = Workflow.make({ name: "benched", tasks: [body] })
      const report = yield* bench(wf, { runs: 20, concurrency: 4, warmup: 2 }).pipe(
        Effect.provide(Runner.layer({ workflows: [] }).pipe(Layer.provide(Storage.layerMemory)))
      )
      expect(runs).toBe(22)
      expect(most).toBe(4)
      expect(report).toMatchObject({ workflow: "benched", tasks: 1, runs: 20, concurrency: 4, failed: 0 })
      const { max, p50, p90, p99 } = report.latency
      expect(p50 <= p90 && p90 <= p99 && p99 <= max).toBe(true)
      expect(report.criticalPathMs).toBeGreaterThanOrEqual(0)
      expect(report.overheadMs).toBeGreaterThanOrEqual(0)
      const failing = Workflow.make({
        name: "failing",
        tasks: [Task.make({ id: "x", run: () => Effect.fail(new Error("no")) })]
      })
      const failed = yield* bench(failing, { runs: 3, warmup: 0 }).pipe(
        Effect.provide(Runner.layer({ workflows: [] }).pipe(Layer.provide(Storage.layerMemory)))
      )
      expect(failed.failed).toBe(3)
    }))
})
