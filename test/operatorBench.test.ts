/**
 * `sluice bench`'s measurements: the critical path of task bodies through the DAG (exact, on
 * recorded attempts), quantiles, and a run on a real runner that counts what it ran.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import type { AttemptInfo } from "sluice"
import { Runner, Storage, Task, Workflow } from "sluice"
import { bench, criticalPath, quantile } from "../src/operator/bench.js"

const at = (ms: number) => new Date(1_000_000 + ms)
const attempt = (taskId: string, start: number, end: number, n = 1): AttemptInfo => ({
  taskId,
  attempt: n,
  status: "Completed",
  error: undefined,
  startedAt: at(start),
  completedAt: at(end),
  runnerId: "r"
})

const a = Task.make({ id: "a", run: () => {} })
const b = Task.make({ id: "b", dependencies: [a], run: () => {} })
const c = Task.make({ id: "c", dependencies: [a], run: () => {} })
const d = Task.make({ id: "d", dependencies: [b, c], run: () => {} })
const diamond = Workflow.make({ name: "diamond", tasks: [a, b, c, d] })

describe("sluice bench", () => {
  it("the critical path is the longest chain of body times, retries included", () => {
    // a 10, b 30, c 5 (after a retry: 5 + wait + 5 = 20 from its first start), d 7.
    const path = criticalPath(diamond, [
      attempt("a", 0, 10),
      attempt("b", 12, 42),
      attempt("c", 12, 17),
      attempt("c", 27, 32, 2),
      attempt("d", 45, 52)
    ])
    expect(path).toBe(10 + 30 + 7)
    // c's retries make it the longer branch.
    expect(
      criticalPath(diamond, [attempt("a", 0, 10), attempt("b", 12, 14), attempt("c", 12, 17), attempt("c", 40, 50, 2)])
    )
      .toBe(10 + 38)
  })

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
