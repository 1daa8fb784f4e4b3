/** Retention: finished executions deleted with all their rows, on demand or in the background. */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Layer, TestClock } from "effect"
import { Runner, Task, Workflow } from "sluice"
import { withRunner } from "./support/runner.js"
import { storageCases } from "./support/storage.js"

const ok = Workflow.make({ name: "ok", tasks: [Task.make({ id: "t", run: (ctx) => ctx.set("t", 1) })] })
const bad = Workflow.make({
  name: "bad",
  tasks: [
    Task.make({
      id: "t",
      run: () => {
        throw new Error("no")
      }
    })
  ]
})

for (const storage of storageCases) {
  describe(`retention on ${storage.name}`, () => {
    it.live("prune deletes finished executions with their rows, by age and status; unfinished ones stay", () =>
      Effect.gen(function*() {
        const gate = yield* Deferred.make<void>()
        const waiting = Workflow.make({
          name: "waiting",
          tasks: [Task.make({ id: "t", run: () => Deferred.await(gate) })]
        })
        yield* withRunner(storage, { workflows: [ok, bad, waiting] }, (r) =>
          Effect.gen(function*() {
            const done = yield* r.execute(ok)
            const failed = yield* r.execute(bad)
            const running = yield* r.submit(waiting)
            expect(yield* r.prune({ olderThan: "1 hour" })).toBe(0)
            expect(yield* r.prune({ olderThan: "0 millis", status: "Failed" })).toBe(1)
            expect((yield* Effect.flip(r.get(failed.executionId)))._tag).toBe("ExecutionNotFoundError")
            expect((yield* Effect.flip(r.history(failed.executionId)))._tag).toBe("ExecutionNotFoundError")
            expect(yield* r.prune({ olderThan: "0 millis" })).toBe(1)
            expect((yield* r.list()).map((e) => e.executionId)).toEqual([running.executionId])
            expect((yield* Effect.flip(r.result(done.executionId)))._tag).toBe("ExecutionNotFoundError")
            expect((yield* Effect.flip(r.prune({ olderThan: "-1 seconds" })))._tag).toBe("InvalidOptionError")
            yield* Deferred.succeed(gate, undefined)
            expect((yield* running.result).status).toBe("Completed")
          }))
      }))

    it.effect("Runner.layer({ retention }) prunes in the background, on the clock", () =>
      withRunner(
        storage,
        { workflows: [ok], retention: { olderThan: "1 hour", every: "10 minutes" } },
        (r) =>
          Effect.gen(function*() {
            const first = yield* r.execute(ok)
            yield* TestClock.adjust("30 minutes")
            const second = yield* r.execute(ok)
            yield* TestClock.adjust("40 minutes")
            // 70 minutes after the first, 40 after the second: only the first goes (the prune runs
            // in the background: wait for it, in real time, a few seconds at most). A prune that
            // took real time (PostgreSQL under load) puts the next one later on the clock: the
            // clock is nudged 5 minutes at most 3 times, the second staying under an hour old.
            let left = yield* r.list()
            for (let nudge = 0; nudge <= 3 && left.length > 1; nudge++) {
              if (nudge > 0) yield* TestClock.adjust("5 minutes")
              for (let i = 0; i < 300 && left.length > 1; i++) {
                yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 10)))
                left = yield* r.list()
              }
            }
            expect(left.map((e) => e.executionId)).toEqual([second.executionId])
            expect(first.executionId).not.toBe(second.executionId)
          })
      ))
  })
}

describe("retention options", () => {
  it.live("a bad retention is an InvalidOptionError when the runner starts", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.flip(
        Effect.scoped(Layer.build(
          Runner.layer({ retention: { olderThan: "soon" as never } }).pipe(
            Layer.provide(storageCases[0].layer)
          )
        ))
      )
      expect(exit).toMatchObject({ _tag: "InvalidOptionError" })
    }))
})
