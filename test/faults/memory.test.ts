/**
 * Bounded memory: a `Runner.events` consumer that stalls does not grow the heap (its buffer drops
 * the oldest events and marks the gap), and idempotency keys are not kept in memory. Measured
 * over 20,000 executions with a generous bound (JS heap after a forced GC; SQLite keeps its rows
 * outside the JS heap).
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Layer, Stream } from "effect"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import type { EventsDropped, ExecutionEvent } from "sluice"
import { Runner, Storage, Task, Workflow } from "sluice"

setFlagsFromString("--expose-gc")
const gc = runInNewContext("gc") as () => void
const heapMiB = () => {
  gc()
  gc()
  return process.memoryUsage().heapUsed / 2 ** 20
}

const workflow = Workflow.make({
  name: "small",
  tasks: [
    Task.make({ id: "a", run: (ctx) => ctx.set("a", 1) }),
    Task.make({ id: "b", dependencies: ["a"], run: (ctx) => ctx.set("b", 2) })
  ]
})

describe("bounded memory", () => {
  it.live("a stalled events consumer over 20,000 executions keeps the heap flat", () =>
    Effect.gen(function*() {
      const runner = yield* Runner
      // The consumer takes the first event, then stalls until the gate opens.
      const gate = yield* Deferred.make<void>()
      const seen: Array<ExecutionEvent | EventsDropped> = []
      const consumer = yield* Effect.fork(
        runner.events.pipe(
          Stream.runForEach((event) =>
            Effect.zipRight(
              Effect.sync(() => void seen.push(event)),
              seen.length === 0 ? Deferred.await(gate) : Effect.void
            )
          )
        )
      )
      const batch = (from: number) =>
        Effect.forEach(
          Array.from({ length: 1_000 }, (_, i) => from + i),
          (i) => runner.execute(workflow, { i }, { idempotencyKey: `key-${i}` }),
          { concurrency: 50, discard: true }
        )
      yield* batch(0)
      const before = heapMiB()
      for (let k = 1; k < 20; k++) yield* batch(k * 1_000)
      const after = heapMiB()
      // An unbounded buffer would hold ~120,000 events here (well over 20 MiB).
      expect(after - before).toBeLessThan(8)
      expect(seen.length).toBe(1)
      // Once it reads on (after the rest of the chunk it held): a marker of what it missed, then
      // the 1,000 newest events.
      yield* Deferred.succeed(gate, undefined)
      const markerAt = () => seen.findIndex((e) => e._tag === "EventsDropped")
      yield* Effect.promise(async () => {
        while (markerAt() < 0 || seen.length < markerAt() + 1_001) await new Promise((r) => setTimeout(r, 5))
      })
      const marker = seen[markerAt()] as EventsDropped
      expect(marker.count).toBeGreaterThan(100_000)
      expect(seen.filter((e) => e._tag === "EventsDropped")).toHaveLength(1)
      yield* Fiber.interrupt(consumer)
    }).pipe(
      Effect.provide(
        Runner.layer({ workflows: [workflow], maxConcurrentTasks: 16, eventBuffer: 1_000 }).pipe(
          Layer.provide(Storage.layerSqlite({ filename: ":memory:" }))
        )
      )
    ), 240_000)
})
