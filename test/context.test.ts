/** Context semantics (DESIGN §3) through the public API. */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Schema } from "effect"
import { ContextKey, ContextValueError, RetryPolicy, Task, Workflow } from "sluice"
import { withRunner } from "./support/runner.js"
import { storageCases } from "./support/storage.js"

const Joined = ContextKey.make("joined", Schema.Date)
const Count = ContextKey.make("count", Schema.Number)

for (const storage of storageCases.filter((c) => c.name !== "postgres")) {
  describe(`context on ${storage.name}`, () => {
    it.live("roots get the input; mutations are kept whether a body returns or not", () => {
      const sync = Task.make({ id: "sync", run: (ctx) => void ctx.set("sync", ctx.get("input")) })
      const asyncReturnsCtx = Task.make({
        id: "async",
        dependencies: [sync],
        run: async (ctx) => {
          ctx.set("async", true)
          return ctx
        }
      })
      const effectReturnsValue = Task.make({
        id: "effect",
        dependencies: [asyncReturnsCtx],
        run: (ctx) =>
          Effect.sync(() => {
            ctx.set("effect", 3)
            return "ignored"
          })
      })
      const wf = Workflow.make({ name: "bodies", tasks: [sync, asyncReturnsCtx, effectReturnsValue] })
      return withRunner(storage, { workflows: [wf] }, (r) =>
        Effect.gen(function*() {
          const result = yield* r.execute(wf, { input: "given" })
          expect(result.finalContext).toEqual({ input: "given", sync: "given", async: true, effect: 3 })
        }))
    })

    it.live("get of a missing key is undefined; delete removes a key from what dependents see", () => {
      const a = Task.make({
        id: "a",
        run: (ctx) => {
          ctx.set("keep", 1)
          ctx.set("drop", 2)
        }
      })
      const b = Task.make({
        id: "b",
        dependencies: [a],
        run: (ctx) => {
          ctx.set("sawMissing", ctx.get("nope") === undefined && !ctx.has("nope"))
          ctx.set("deleted", ctx.delete("drop"))
          ctx.set("keys", [...ctx.keys()].sort())
        }
      })
      const c = Task.make({ id: "c", dependencies: [b], run: (ctx) => void ctx.set("seesDrop", ctx.has("drop")) })
      const wf = Workflow.make({ name: "keys", tasks: [a, b, c] })
      return withRunner(storage, { workflows: [wf] }, (r) =>
        Effect.gen(function*() {
          const { finalContext } = yield* r.execute(wf)
          expect(finalContext).toEqual({
            keep: 1,
            sawMissing: true,
            deleted: true,
            keys: ["deleted", "keep", "sawMissing"],
            seesDrop: false
          })
        }))
    })

    it.live("set of a non-JSON value throws at once with a clear error and stores nothing", () => {
      const errors: Array<unknown> = []
      const a = Task.make({
        id: "a",
        run: (ctx) => {
          for (const bad of [() => 1, undefined, NaN, 1n, { when: new Date() }]) {
            try {
              ctx.set("bad", bad)
            } catch (e) {
              errors.push(e)
            }
          }
          ctx.set("good", 1)
        }
      })
      const wf = Workflow.make({ name: "json", tasks: [a] })
      return withRunner(storage, { workflows: [wf] }, (r) =>
        Effect.gen(function*() {
          const result = yield* r.execute(wf)
          expect(result.status).toBe("Completed")
          expect(result.finalContext).toEqual({ good: 1 })
          expect(errors).toHaveLength(5)
          for (const e of errors) expect(e).toBeInstanceOf(ContextValueError)
          expect((errors[4] as ContextValueError).message).toBe(
            "context value \"bad\" at when is not JSON: a Date (store an ISO string, or use a ContextKey with Schema.Date)"
          )
        }))
    })

    it.live("a task that lets a set error escape fails, with the error recorded", () => {
      const a = Task.make({ id: "a", run: (ctx) => ctx.set("f", () => 1) })
      const wf = Workflow.make({ name: "json_fail", tasks: [a] })
      return withRunner(storage, { workflows: [wf] }, (r) =>
        Effect.gen(function*() {
          const result = yield* r.execute(wf)
          expect(result.status).toBe("Failed")
          expect(result.tasks[0].error).toContain("context value \"f\" is not JSON: a function")
        }))
    })

    it.live("each attempt starts from the task's input: a failed attempt's mutations are discarded", () => {
      const seen: Array<boolean> = []
      const flaky = Task.make({
        id: "flaky",
        retry: RetryPolicy.fixed({ maxAttempts: 2, delay: "1 millis" }),
        run: (ctx) => {
          seen.push(ctx.has("partial"))
          ctx.set("partial", ctx.attempt)
          if (ctx.attempt === 1) throw new Error("first attempt fails")
          ctx.delete("partial")
          ctx.set("done", ctx.attempt)
        }
      })
      const wf = Workflow.make({ name: "attempts", tasks: [flaky] })
      return withRunner(storage, { workflows: [wf] }, (r) =>
        Effect.gen(function*() {
          const result = yield* r.execute(wf, { partial: "from input" })
          expect(seen).toEqual([true, true])
          expect(result.finalContext).toEqual({ done: 2 })
          expect(result.tasks[0].attempts).toBe(2)
        }))
    })

    it.live("a ContextKey encodes on set and decodes on get; untyped reads see the JSON", () => {
      const when = new Date("2026-11-28T12:00:00.000Z")
      const a = Task.make({
        id: "a",
        run: (ctx) => {
          ctx.set(Joined, when)
          ctx.set(Count, 41)
        }
      })
      const b = Task.make({
        id: "b",
        dependencies: [a],
        run: (ctx) => {
          const joined = ctx.get(Joined)
          ctx.set("typedIsDate", joined instanceof Date && joined.getTime() === when.getTime())
          ctx.set("untyped", ctx.get("joined"))
          ctx.set(Count, ctx.get(Count)! + 1)
        }
      })
      const wf = Workflow.make({ name: "typed", tasks: [a, b] })
      return withRunner(storage, { workflows: [wf] }, (r) =>
        Effect.gen(function*() {
          const result = yield* r.execute(wf)
          expect(result.finalContext).toEqual({
            joined: when.toISOString(),
            count: 42,
            typedIsDate: true,
            untyped: when.toISOString()
          })
          const stored = yield* r.get(result.executionId)
          expect(stored.finalContext).toEqual(result.finalContext)
        }))
    })

    it.live("a typed get that cannot decode fails the task", () => {
      const a = Task.make({ id: "a", run: (ctx) => ctx.set("count", "not a number") })
      const b = Task.make({ id: "b", dependencies: [a], run: (ctx) => void ctx.get(Count) })
      const wf = Workflow.make({ name: "undecodable", tasks: [a, b] })
      return withRunner(storage, { workflows: [wf] }, (r) =>
        Effect.gen(function*() {
          const result = yield* r.execute(wf)
          expect(result.status).toBe("Failed")
          expect(result.tasks[1].status).toBe("Failed")
          expect(result.tasks[1].error).toContain("context value \"count\" does not decode")
        }))
    })

    it.live("values read from the context are frozen: an in-place change fails the attempt", () => {
      const a = Task.make({ id: "a", run: (ctx) => ctx.set("list", [3, 1, 2]) })
      const b = Task.make({ id: "b", dependencies: [a], run: (ctx) => void (ctx.get("list") as Array<number>).sort() })
      const c = Task.make({
        id: "c",
        dependencies: [a],
        run: (ctx) => ctx.set("sorted", [...(ctx.get("list") as Array<number>)].sort())
      })
      const wf = Workflow.make({ name: "frozen", tasks: [a, b, c] })
      return withRunner(storage, { workflows: [wf] }, (r) =>
        Effect.gen(function*() {
          const result = yield* r.execute(wf)
          expect(result.tasks.find((t) => t.taskId === "b")!.status).toBe("Failed")
          expect(result.finalContext.sorted).toEqual([1, 2, 3])
        }))
    })

    it.live("a non-JSON input is a typed error and starts nothing", () =>
      withRunner(storage, {}, (r) =>
        Effect.gen(function*() {
          const wf = Workflow.make({ name: "input", tasks: [Task.make({ id: "a", run: () => {} })] })
          const result = yield* Effect.either(r.execute(wf, { when: new Date() }))
          expect(Either.isLeft(result) && result.left._tag).toBe("ContextValueError")
          expect(yield* r.list()).toHaveLength(0)
        })))

    it.live("tasks see their execution id, attempt and idempotency key", () => {
      const a = Task.make({
        id: "a",
        run: (ctx) =>
          ctx.set("who", {
            executionId: ctx.executionId,
            key: ctx.idempotencyKey,
            attempt: ctx.attempt,
            task: ctx.taskId
          })
      })
      const wf = Workflow.make({ name: "who", tasks: [a] })
      return withRunner(storage, { workflows: [wf] }, (r) =>
        Effect.gen(function*() {
          const result = yield* r.execute(wf)
          expect(result.finalContext.who).toEqual({
            executionId: result.executionId,
            key: `${result.executionId}/a`,
            attempt: 1,
            task: "a"
          })
        }))
    })
  })
}
