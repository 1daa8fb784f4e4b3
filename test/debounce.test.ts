/**
 * Debounce: submits of one workflow with one key, each within the period of the last, make one
 * execution (the last input, or the first), started once the period passes quietly.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, TestClock } from "effect"
import { InvalidOptionError, Runner, RunnerTest, Task, Workflow } from "sluice"

const workflow = Workflow.make({
  name: "reindex",
  tasks: [Task.make({ id: "index", run: (ctx) => ctx.set("indexed", ctx.get("n")) })]
})

for (const storage of ["memory", "sqlite"] as const) {
  describe(`debounce: ${storage}`, () => {
    it.effect("100 submits in 200 ms make one execution, with the last input, once the period passes", () =>
      Effect.gen(function*() {
        const runner = yield* Runner
        const handles = []
        for (let n = 0; n < 100; n++) {
          handles.push(yield* runner.submit(workflow, { n }, { debounce: { key: "catalog", period: "50 millis" } }))
          yield* TestClock.adjust("2 millis")
        }
        // One id for the burst; nothing runs while submits keep coming.
        expect(new Set(handles.map((h) => h.executionId)).size).toBe(1)
        expect(yield* runner.list()).toEqual([])
        // The last submit came at 198 ms: it starts at 248 ms.
        yield* RunnerTest.advance("45 millis")
        expect(yield* runner.list()).toEqual([])
        const result = yield* RunnerTest.settle(handles[0].result)
        expect(result.executionId).toBe(handles[0].executionId)
        expect(result.finalContext.indexed).toBe(99)
        expect((yield* handles[57].result).executionId).toBe(result.executionId)
        expect(yield* runner.list()).toHaveLength(1)
        // A submit after the burst started begins a new one.
        const next = yield* runner.submit(workflow, { n: 100 }, { debounce: { key: "catalog", period: "50 millis" } })
        expect(next.executionId).not.toBe(result.executionId)
        expect((yield* RunnerTest.settle(next.result)).finalContext.indexed).toBe(100)
      }).pipe(Effect.provide(Runner.layerTest({ workflows: [workflow], storage }))))

    it.effect("keep: first; other keys are bursts of their own; bad options are typed errors", () =>
      Effect.gen(function*() {
        const runner = yield* Runner
        const a = []
        for (let n = 0; n < 5; n++) {
          a.push(yield* runner.submit(workflow, { n }, { debounce: { key: "a", period: "1 second", keep: "first" } }))
        }
        const b = yield* runner.submit(workflow, { n: 7 }, { debounce: { key: "b", period: "1 second" } })
        expect(b.executionId).not.toBe(a[0].executionId)
        expect((yield* RunnerTest.settle(a[4].result)).finalContext.indexed).toBe(0)
        expect((yield* RunnerTest.settle(b.result)).finalContext.indexed).toBe(7)
        for (
          const debounce of [{ key: "", period: "1 second" }, { key: "k", period: "-1 second" }, {
            key: "k",
            period: "1 second",
            keep: "middle"
          }]
        ) {
          const bad = yield* Effect.either(runner.submit(workflow, {}, { debounce: debounce as never }))
          expect(Either.isLeft(bad) && bad.left).toBeInstanceOf(InvalidOptionError)
        }
        const unknown = yield* Effect.either(runner.submit("nope", {}, { debounce: { key: "k", period: "1 second" } }))
        expect(Either.isLeft(unknown) && unknown.left._tag).toBe("WorkflowNotFoundError")
      }).pipe(Effect.provide(Runner.layerTest({ workflows: [workflow], storage }))))
  })
}
