/**
 * Bad input gets a typed error and loses nothing: nesting too deep and values too large are a
 * ContextValueError naming the path, before any JSON is built; `__proto__`, `constructor` and
 * `prototype` keys are data, kept as own properties through set, storage, merge and get.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { Task, Workflow } from "sluice"
import { withRunner } from "./support/runner.js"
import { storageCases } from "./support/storage.js"

const nested = (depth: number): unknown => {
  let value: unknown = "bottom"
  for (let i = 0; i < depth; i++) value = { down: value }
  return value
}

for (const storage of storageCases) {
  describe(`bad input on ${storage.name}`, () => {
    it.live("a value nested 5,000 deep is a ContextValueError at set and at submit, never a RangeError", () => {
      const deep = Task.make({
        id: "deep",
        retry: undefined,
        run: (ctx) => ctx.set("deep", nested(5_000))
      })
      const wf = Workflow.make({ name: "deep", tasks: [deep] })
      return withRunner(storage, { workflows: [wf] }, (r) =>
        Effect.gen(function*() {
          const result = yield* r.execute(wf)
          expect(result.tasks[0]).toMatchObject({ status: "Failed", attempts: 1 })
          expect(result.tasks[0].error).toContain("nested deeper than 1000 levels")
          const error = yield* Effect.flip(r.execute(wf, { deep: nested(5_000) }))
          expect(error._tag).toBe("ContextValueError")
          expect(error.message).toContain("nested deeper than 1000 levels")
          expect(error.message).toContain(`"deep" at ${"down.".repeat(1000).slice(0, 30)}`)
        }))
    })

    it.live("values past the size limits are refused at set and at submit", () => {
      const big = Task.make({ id: "big", run: (ctx) => ctx.set("big", "x".repeat(2_000)) })
      const small = Task.make({ id: "small", run: (ctx) => ctx.set("small", "x".repeat(100)) })
      const wf = Workflow.make({ name: "sized", tasks: [big, small] })
      return withRunner(
        storage,
        { workflows: [wf], contextLimits: { maxValueBytes: 1_000 } },
        (r) =>
          Effect.gen(function*() {
            const result = yield* r.execute(wf)
            expect(result.tasks.map((t) => [t.taskId, t.status])).toEqual([["big", "Failed"], ["small", "Completed"]])
            expect(result.tasks[0].error).toContain("larger than 1000 bytes")
            const error = yield* Effect.flip(r.execute(wf, { input: "y".repeat(2_000) }))
            expect(error.message).toContain("larger than 1000 bytes")
          })
      )
    })

    it.live("__proto__, constructor and prototype keys are data: kept, stored, merged and read back", () => {
      const input = JSON.parse("{\"__proto__\": {\"fromInput\": true}, \"constructor\": \"in\"}") as Record<
        string,
        unknown
      >
      const left = Task.make({
        id: "left",
        run: (ctx) => ctx.set("shared", JSON.parse("{\"__proto__\": {\"left\": 1}, \"prototype\": [1]}"))
      })
      const right = Task.make({
        id: "right",
        run: (ctx) => ctx.set("shared", JSON.parse("{\"__proto__\": {\"right\": 2}, \"constructor\": {\"r\": 3}}"))
      })
      const join = Task.make({
        id: "join",
        dependencies: [left, right],
        run: (ctx) => {
          const shared = ctx.get("shared") as Record<string, unknown>
          ctx.set("seen", {
            protoIsData: Object.getPrototypeOf(shared) === Object.prototype,
            ownProto: Object.prototype.hasOwnProperty.call(shared, "__proto__"),
            inputProto: ctx.get("__proto__") ?? null
          })
        }
      })
      const wf = Workflow.make({ name: "protos", tasks: [left, right, join] })
      return withRunner(storage, { workflows: [wf] }, (r) =>
        Effect.gen(function*() {
          const result = yield* r.execute(wf, input)
          expect(result.status).toBe("Completed")
          // Read back from storage too (a finished execution's final context is computed from it).
          for (const context of [result.finalContext, (yield* r.get(result.executionId)).finalContext!]) {
            expect(context.seen).toEqual({ protoIsData: true, ownProto: true, inputProto: { fromInput: true } })
            const shared = context.shared as Record<string, unknown>
            expect(Object.getPrototypeOf(shared)).toBe(Object.prototype)
            expect(Object.getOwnPropertyDescriptor(shared, "__proto__")?.value).toEqual({ left: 1, right: 2 })
            expect(Object.getOwnPropertyDescriptor(shared, "constructor")?.value).toEqual({ r: 3 })
            expect(Object.getOwnPropertyDescriptor(shared, "prototype")?.value).toEqual([1])
            expect(Object.getOwnPropertyDescriptor(context, "__proto__")?.value).toEqual({ fromInput: true })
            expect(context.constructor).toBe("in")
          }
          expect(({} as Record<string, unknown>).fromInput).toBeUndefined()
        }))
    })
  })
}
