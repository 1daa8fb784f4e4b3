/**
 * Rate limits: a token bucket per key (`limit` tokens refilled over `per`), timed by the test
 * clock on one runner; a task waiting for a token holds no permit.
 */
import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect } from "effect"
import { Runner, RunnerTest, Task, Workflow, WorkflowDefinitionError } from "sluice"

for (const storage of ["memory", "sqlite"] as const) {
  describe(`rate limits: ${storage}`, () => {
    it.effect("5 per second: 5 at once, then one every 200 ms; other tasks are not held", () => {
      const starts: Array<number> = []
      let otherAt = -1
      const tasks = [
        ...Array.from({ length: 12 }, (_, i) =>
          Task.make({
            id: `call${i}`,
            rateLimit: { key: (ctx) => ctx.get("api") as string, limit: 5, per: "1 second", name: "api" },
            run: () => Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.sync(() => void starts.push(now)))
          })),
        Task.make({
          id: "other",
          run: () => Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.sync(() => void (otherAt = now)))
        })
      ]
      const workflow = Workflow.make({ name: "rated", tasks })
      return Effect.gen(function*() {
        const runner = yield* Runner
        const t0 = yield* Clock.currentTimeMillis
        const handle = yield* runner.submit(workflow, { api: "payments" })
        const result = yield* RunnerTest.settle(handle.result)
        expect(result.status).toBe("Completed")
        expect(starts.map((t) => t - t0)).toEqual([0, 0, 0, 0, 0, 200, 400, 600, 800, 1000, 1200, 1400])
        expect(otherAt - t0).toBe(0)
      }).pipe(Effect.provide(Runner.layerTest({ workflows: [workflow], storage, maxConcurrentTasks: 2 })))
    })

    it.effect("a key's bucket is its own; a bad rate limit is a typed error", () => {
      const starts: Record<string, Array<number>> = { a: [], b: [] }
      const tasks = Array.from({ length: 6 }, (_, i) => {
        const key = i % 2 === 0 ? "a" : "b"
        return Task.make({
          id: `t${i}`,
          rateLimit: { key, limit: 1, per: "1 minute", name: "slow" },
          run: () => Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.sync(() => void starts[key].push(now)))
        })
      })
      const workflow = Workflow.make({ name: "perKey", tasks })
      return Effect.gen(function*() {
        for (const rateLimit of [{ key: "k", limit: 0, per: "1 second" }, { key: "k", limit: 1, per: "0 seconds" }]) {
          expect(() => Task.make({ id: "x", rateLimit: rateLimit as never, run: () => {} })).toThrow(
            WorkflowDefinitionError
          )
        }
        const runner = yield* Runner
        const t0 = yield* Clock.currentTimeMillis
        const result = yield* RunnerTest.settle(runner.execute(workflow))
        expect(result.status).toBe("Completed")
        expect(starts.a.map((t) => t - t0)).toEqual([0, 60_000, 120_000])
        expect(starts.b.map((t) => t - t0)).toEqual([0, 60_000, 120_000])
      }).pipe(Effect.provide(Runner.layerTest({ workflows: [workflow], storage })))
    })
  })
}
