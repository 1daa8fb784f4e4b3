/** Trigger rules through the runner: skips, cascades, the robust aggregator, conditional branches. */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { Task, TriggerRule, Workflow } from "sluice"
import { withRunner } from "./support/runner.js"
import { storageCases } from "./support/storage.js"

const ok = (id: string, dependencies: ReadonlyArray<string> = [], triggerRule?: TriggerRule.TriggerRule) =>
  Task.make({ id, dependencies, ...(triggerRule ? { triggerRule } : {}), run: (ctx) => ctx.set(`${id}_ran`, true) })
const boom = (id: string, dependencies: ReadonlyArray<string> = []) =>
  Task.make({
    id,
    dependencies,
    run: () => {
      throw new Error(`${id} exploded`)
    }
  })

const statuses = (result: { tasks: ReadonlyArray<{ taskId: string; status: string; reason?: string | undefined }> }) =>
  Object.fromEntries(result.tasks.map((t) => [t.taskId, t.reason ? `${t.status} (${t.reason})` : t.status]))

for (const storage of storageCases) {
  describe(`trigger rules on ${storage.name}`, () => {
    const run = (tasks: ReadonlyArray<Task.Task<never>>, input?: Record<string, unknown>) => {
      const wf = Workflow.make({ name: "rules", tasks })
      return withRunner(storage, { workflows: [wf] }, (r) => r.execute(wf, input))
    }

    it.live("noneFailed (default): a failure skips dependents as 'upstream failed', down the chain", () =>
      Effect.gen(function*() {
        const result = yield* run([boom("a"), ok("b", ["a"]), ok("c", ["b"]), ok("side")])
        expect(statuses(result)).toEqual({
          a: "Failed",
          side: "Completed",
          b: "Skipped (upstream failed)",
          c: "Skipped (upstream failed)"
        })
        expect(result.status).toBe("Failed")
        expect(result.errorMessage).toBe("1 task(s) failed, 1 completed, 2 skipped")
        expect(result.tasks[0].error).toBe("a exploded")
      }))

    it.live("a body that throws or fails never rejects execute", () =>
      Effect.gen(function*() {
        const result = yield* run([
          Task.make({ id: "effect_fail", run: () => Effect.fail({ code: 42 }) }),
          Task.make({
            id: "reject",
            run: async () => {
              throw new TypeError("bad type")
            }
          }),
          Task.make({ id: "die", run: () => Effect.die("defect") })
        ])
        expect(result.status).toBe("Failed")
        expect(result.tasks.map((t) => t.error)).toEqual(["{\"code\":42}", "bad type", "defect"])
      }))

    it.live("allSuccess skips when a dependency was skipped; noneFailed runs", () =>
      Effect.gen(function*() {
        const never = ok("never", [], TriggerRule.contextValue("go", "equals", true))
        const result = yield* run([never, ok("strict", ["never"], TriggerRule.allSuccess), ok("lenient", ["never"])])
        expect(statuses(result)).toEqual({
          never: "Skipped (trigger rule not satisfied: contextValue(go equals true))",
          strict: "Skipped (trigger rule not satisfied: allSuccess)",
          lenient: "Completed"
        })
        expect(result.status).toBe("Completed")
      }))

    it.live("allDone: the robust aggregator runs after a partial failure and sees what succeeded", () =>
      Effect.gen(function*() {
        const batch = (i: number) => Task.make({ id: `batch_${i}`, run: (ctx) => ctx.set(`batch_${i}_result`, { i }) })
        const aggregator = Task.make({
          id: "robust_aggregator",
          dependencies: ["batch_1", "batch_2", "batch_3"],
          triggerRule: TriggerRule.allDone,
          run: (ctx) => {
            const found = [1, 2, 3].filter((i) => ctx.has(`batch_${i}_result`))
            ctx.set("aggregated", found)
            ctx.set("partial_failure", found.length < 3)
          }
        })
        const result = yield* run([batch(1), boom("batch_2"), batch(3), aggregator])
        expect(statuses(result).robust_aggregator).toBe("Completed")
        expect(result.finalContext).toEqual({
          batch_1_result: { i: 1 },
          batch_3_result: { i: 3 },
          aggregated: [1, 3],
          partial_failure: true
        })
        expect(result.status).toBe("Failed")
      }))

    it.live("oneSuccess, oneFailed and allFailed", () =>
      Effect.gen(function*() {
        const result = yield* run([
          ok("good"),
          boom("bad"),
          boom("worse"),
          ok("any_success", ["bad", "good"], TriggerRule.oneSuccess),
          ok("no_success", ["bad", "worse"], TriggerRule.oneSuccess),
          ok("on_error", ["good", "bad"], TriggerRule.oneFailed),
          ok("no_error", ["good"], TriggerRule.oneFailed),
          ok("all_failed", ["bad", "worse"], TriggerRule.allFailed),
          ok("not_all_failed", ["bad", "good"], TriggerRule.allFailed)
        ])
        expect(statuses(result)).toMatchObject({
          any_success: "Completed",
          no_success: "Skipped (upstream failed)",
          on_error: "Completed",
          no_error: "Skipped (trigger rule not satisfied: oneFailed)",
          all_failed: "Completed",
          not_all_failed: "Skipped (trigger rule not satisfied: allFailed)"
        })
      }))

    it.live("conditions on upstream tasks and on the context, combined", () =>
      Effect.gen(function*() {
        const rule = TriggerRule.all(
          TriggerRule.taskSucceeded("a"),
          TriggerRule.any(TriggerRule.taskFailed("b"), TriggerRule.contextValue("force", "exists")),
          TriggerRule.none(TriggerRule.taskSkipped("a"))
        )
        const result = yield* run([
          ok("a"),
          boom("b"),
          ok("c", ["a", "b"], rule),
          ok("d", ["a"], TriggerRule.taskSucceeded("a"))
        ])
        expect(statuses(result)).toMatchObject({ c: "Completed", d: "Completed" })
      }))

    it.live("an execution whose roots are all skipped at its start ends at once", () =>
      Effect.gen(function*() {
        const alone = yield* run([ok("only", [], TriggerRule.oneSuccess)])
        expect(alone.status).toBe("Completed")
        expect(statuses(alone)).toEqual({ only: "Skipped (trigger rule not satisfied: oneSuccess)" })
        const chain = yield* run([
          ok("a", [], TriggerRule.contextValue("go", "exists")),
          ok("b", ["a"], TriggerRule.allSuccess)
        ])
        expect(statuses(chain)).toMatchObject({ a: "Skipped (trigger rule not satisfied: contextValue(go exists))" })
        expect(chain.tasks.every((t) => t.status === "Skipped")).toBe(true)
      }).pipe(Effect.timeout("10 seconds")))

    it.live("taskSkipped holds for a task skipped because its upstream failed, as for one skipped by its rule", () =>
      Effect.gen(function*() {
        const result = yield* run([
          boom("a"),
          ok("b", ["a"]),
          ok("c", [], TriggerRule.contextValue("never", "exists")),
          ok("after_b", ["b"], TriggerRule.taskSkipped("b")),
          ok("after_c", ["c"], TriggerRule.taskSkipped("c")),
          ok("not_after_b", ["b"], TriggerRule.none(TriggerRule.taskSkipped("b")))
        ])
        expect(statuses(result)).toMatchObject({
          b: "Skipped (upstream failed)",
          c: "Skipped (trigger rule not satisfied: contextValue(never exists))",
          after_b: "Completed",
          after_c: "Completed",
          not_after_b: "Skipped (trigger rule not satisfied: none(taskSkipped(b)))"
        })
      }))

    it.live("conditional branches: only the matching branch runs, and the join still runs (Exercise 1)", () =>
      Effect.gen(function*() {
        const decideStrategy = Task.make({
          id: "conditional_processor",
          run: (ctx) => {
            const total = ctx.get("total") as number
            ctx.set("processing_strategy", total > 500_000 ? "high_value" : total > 200_000 ? "medium_value" : "basic")
          }
        })
        const branch = (strategy: string) =>
          Task.make({
            id: `${strategy}_processing`,
            dependencies: [decideStrategy],
            triggerRule: TriggerRule.contextValue("processing_strategy", "equals", strategy),
            run: (ctx) => ctx.set("processed_by", strategy)
          })
        const branches = ["high_value", "medium_value", "basic"].map(branch)
        const join = Task.make({
          id: "finalize",
          dependencies: branches,
          run: (ctx) => ctx.set("final", ctx.get("processed_by"))
        })
        const result = yield* run([decideStrategy, ...branches, join], { total: 300_000 })
        expect(statuses(result)).toMatchObject({
          high_value_processing:
            "Skipped (trigger rule not satisfied: contextValue(processing_strategy equals \"high_value\"))",
          medium_value_processing: "Completed",
          basic_processing: "Skipped (trigger rule not satisfied: contextValue(processing_strategy equals \"basic\"))",
          finalize: "Completed"
        })
        expect(result.finalContext.final).toBe("medium_value")
        expect(result.status).toBe("Completed")
        expect(result.errorMessage).toBeUndefined()
      }))
  })
}
