/**
 * Typed task outputs: `run` returns the value, stored encoded with the task's `output` schema
 * under its id, and read decoded by dependents with `ctx.output(task)`. (The type-level half is
 * test/types/outputs.ts, compiled by `npm run lint`.)
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { Task, TriggerRule, Workflow } from "sluice"
import { withRunner, withRunnerOn } from "./support/runner.js"
import { persistentCases, storageCases } from "./support/storage.js"

const Stats = Schema.Struct({ total: Schema.Number, at: Schema.Date })

const typed = () => {
  const seen: Array<unknown> = []
  const extract = Task.make({ id: "extract", output: Schema.Array(Schema.Number), run: async () => [1, 2, 3] })
  const stats = Task.make({
    id: "stats",
    dependencies: [extract],
    output: Stats,
    run: (ctx) =>
      Effect.succeed({ total: ctx.output(extract).reduce((a, b) => a + b, 0), at: new Date(Date.UTC(2026, 0, 2)) })
  })
  const report = Task.make({
    id: "report",
    dependencies: [stats],
    run: (ctx) => {
      const s = ctx.output(stats)
      seen.push(s.at instanceof Date, s.at.getUTCDate(), ctx.output(extract))
      ctx.set("line", `${s.total} rows`)
    }
  })
  return { seen, workflow: Workflow.make({ name: "typed", tasks: [extract, stats, report] }) }
}

for (const storage of storageCases) {
  describe(`typed task outputs: ${storage.name}`, () => {
    it.scopedLive("run returns the value; dependents read it decoded; the context holds it encoded", () =>
      Effect.gen(function*() {
        const { seen, workflow } = typed()
        const result = yield* withRunner(storage, { workflows: [workflow] }, (r) => r.execute("typed"))
        expect(result.status).toBe("Completed")
        // Decoded for the reader: a Date again; upstream through a dependency is readable too.
        expect(seen).toEqual([true, 2, [1, 2, 3]])
        expect(result.finalContext).toEqual({
          extract: [1, 2, 3],
          stats: { total: 6, at: "2026-01-02T00:00:00.000Z" },
          line: "6 rows"
        })
      }))

    it.scopedLive("a value the schema refuses fails the attempt; bad reads are typed errors", () =>
      Effect.gen(function*() {
        const lying = Task.make({
          id: "lying",
          output: Schema.Number,
          // A body TypeScript cannot check (from JavaScript, or cast): the schema still does.
          run: () => "three" as unknown as number
        })
        const untyped = Task.make({ id: "untyped", run: () => undefined })
        const elsewhere = Task.make({ id: "elsewhere", output: Schema.Number, run: () => 1 })
        const byId = Task.make({
          id: "by-id",
          dependencies: ["untyped", "elsewhere"],
          run: (ctx) => {
            ctx.set("number", ctx.output(elsewhere))
            return ctx.output(untyped)
          }
        })
        const stranger = Task.make({ id: "stranger", dependencies: ["untyped"], run: (ctx) => ctx.output(elsewhere) })
        const skipped = Task.make({ id: "skipped", dependencies: [lying], output: Schema.Number, run: () => 2 })
        const after = Task.make({
          id: "after",
          dependencies: [skipped],
          triggerRule: TriggerRule.allDone,
          run: (ctx) => ctx.output(skipped)
        })
        const workflow = Workflow.make({
          name: "bad-reads",
          tasks: [lying, untyped, elsewhere, byId, stranger, skipped, after]
        })
        const result = yield* withRunner(storage, { workflows: [workflow] }, (r) => r.execute("bad-reads"))
        const task = (id: string) => result.tasks.find((t) => t.taskId === id)!
        expect(task("lying")).toMatchObject({ status: "Failed" })
        expect(task("lying").error).toContain("lying")
        expect(task("by-id")).toMatchObject({ status: "Failed" })
        expect(task("by-id").error).toContain("made without an output schema")
        expect(task("stranger")).toMatchObject({ status: "Failed" })
        expect(task("stranger").error).toContain(`"elsewhere" is not upstream of "stranger"`)
        expect(task("skipped").status).toBe("Skipped")
        expect(task("after").error).toContain("has no output")
      }))
  })
}

for (const storage of storageCases) {
  describe(`typed workflow output: ${storage.name}`, () => {
    it.scopedLive("a completed execution's final context is decoded with the workflow's output schema", () =>
      Effect.gen(function*() {
        const { workflow } = typed()
        const typedWorkflow = Workflow.make({
          name: "typed-out",
          tasks: workflow.tasks,
          output: Schema.Struct({ line: Schema.String, stats: Stats })
        })
        yield* withRunner(storage, { workflows: [typedWorkflow] }, (r) =>
          Effect.gen(function*() {
            const result = yield* r.execute(typedWorkflow)
            expect(result.status).toBe("Completed")
            expect(result.output?.line).toBe("6 rows")
            expect(result.output?.stats.at).toEqual(new Date(Date.UTC(2026, 0, 2)))
            // Read back, the same decoded output.
            expect((yield* r.result(result.executionId)).output).toEqual(result.output)
          }))
      }))

    it.scopedLive("a final context the output schema refuses fails the execution, saying why", () =>
      Effect.gen(function*() {
        const wf = Workflow.make({
          name: "refused",
          tasks: [Task.make({ id: "a", run: (ctx) => ctx.set("count", "three") })],
          output: Schema.Struct({ count: Schema.Number })
        })
        const result = yield* withRunner(storage, { workflows: [wf] }, (r) => r.execute(wf))
        expect(result.status).toBe("Failed")
        expect(result.output).toBeUndefined()
        expect(result.errorMessage).toContain("does not match the workflow's output schema")
        expect(result.errorMessage).toContain("count")
      }))
  })
}

for (const storage of persistentCases) {
  describe(`typed task outputs after a restart: ${storage.name}`, () => {
    it.scopedLive("a result read back from storage holds the outputs as they were stored", () =>
      Effect.gen(function*() {
        const layer = yield* storage.persistent!
        const { workflow } = typed()
        const result = yield* withRunnerOn(layer, [workflow], (r) => r.execute("typed"))
        const read = yield* withRunnerOn(layer, [], (r) => r.get(result.executionId))
        expect(read.finalContext).toEqual(result.finalContext)
      }))
  })
}
