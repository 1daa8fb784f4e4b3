/**
 * The four DAG patterns and the tutorial's 15-task workflow, run through the public API on every
 * storage: ordering constraints, merged values, counts.
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect } from "effect"
import { Task, Workflow } from "sluice"
import { makeCustomerAnalysis, money, seededRandom } from "../examples/workflows/customer-analysis.js"
import { trace, withRunner } from "./support/runner.js"
import { storageCases } from "./support/storage.js"

for (const storage of storageCases) {
  describe(`patterns on ${storage.name}`, () => {
    it.live("diamond: both branches after the fork, the join after both, values merged", () => {
      const t = trace()
      const step = (id: string, deps: ReadonlyArray<Task.Task<any>>, key: string, value: unknown) =>
        Task.make({
          id,
          dependencies: deps,
          run: async (ctx) => {
            t.add(`start:${id}`)
            await new Promise((r) => setTimeout(r, 1))
            ctx.set(key, value)
            t.add(`end:${id}`)
          }
        })
      const a = step("a", [], "a", 1)
      const b = step("b", [a], "b", 2)
      const c = step("c", [a], "c", 3)
      const d = Task.make({
        id: "d",
        dependencies: [b, c],
        run: (ctx) => {
          t.add("start:d")
          ctx.set("sum", (ctx.get("a") as number) + (ctx.get("b") as number) + (ctx.get("c") as number))
        }
      })
      const diamond = Workflow.make({ name: "diamond", tasks: [a, b, c, d] })
      return withRunner(storage, { workflows: [diamond] }, (runner) =>
        Effect.gen(function*() {
          const result = yield* runner.execute("diamond", { seed: 0 })
          expect(result.status).toBe("Completed")
          expect(result.errorMessage).toBeUndefined()
          expect(t.at("start:b")).toBeGreaterThan(t.at("end:a"))
          expect(t.at("start:c")).toBeGreaterThan(t.at("end:a"))
          expect(t.at("start:d")).toBeGreaterThan(t.at("end:b"))
          expect(t.at("start:d")).toBeGreaterThan(t.at("end:c"))
          expect(result.finalContext).toEqual({ seed: 0, a: 1, b: 2, c: 3, sum: 6 })
          expect(result.tasks.map((x) => [x.taskId, x.status, x.attempts])).toEqual([
            ["a", "Completed", 1],
            ["b", "Completed", 1],
            ["c", "Completed", 1],
            ["d", "Completed", 1]
          ])
        }))
    })

    it.live("fan-out: every branch runs at the same time (each waits until all have started)", () => {
      const width = 6
      return Effect.gen(function*() {
        const allStarted = yield* Deferred.make<void>()
        let started = 0
        const root = Task.make({ id: "root", run: (ctx) => ctx.set("n", width) })
        const branches = Array.from({ length: width }, (_, i) =>
          Task.make({
            id: `branch_${i}`,
            dependencies: [root],
            run: (ctx) =>
              Effect.gen(function*() {
                if (++started === width) yield* Deferred.succeed(allStarted, undefined)
                // Were the branches run one after another, this would never complete.
                yield* Deferred.await(allStarted).pipe(
                  Effect.timeoutFail({ duration: "10 seconds", onTimeout: () => new Error("not parallel") })
                )
                ctx.set(`branch_${i}`, i * (ctx.get("n") as number))
              })
          }))
        const fanOut = Workflow.make({ name: "fan_out", tasks: [root, ...branches] })
        const result = yield* withRunner(
          storage,
          { workflows: [fanOut], maxConcurrentTasks: width },
          (r) => r.execute(fanOut)
        )
        expect(result.status).toBe("Completed")
        expect(Workflow.leaves(fanOut)).toHaveLength(width)
        for (let i = 0; i < width; i++) expect(result.finalContext[`branch_${i}`]).toBe(i * width)
      })
    })

    it.live("fan-in: dependencies merge in declaration order, whatever order they finish in", () => {
      const sources = Array.from({ length: 5 }, (_, i) =>
        Task.make({
          id: `source_${i}`,
          // The first declared finishes last.
          run: (ctx) =>
            Effect.gen(function*() {
              yield* Effect.sleep(`${(5 - i) * 5} millis`)
              ctx.set("winner", `source_${i}`)
              ctx.set("ids", [i])
              ctx.set("by", { [`s${i}`]: true, shared: { last: i } })
            })
        }))
      const join = Task.make({
        id: "join",
        dependencies: sources,
        run: (ctx) => {
          ctx.set("seen", { winner: ctx.get("winner"), ids: ctx.get("ids"), by: ctx.get("by") })
        }
      })
      const fanIn = Workflow.make({ name: "fan_in", tasks: [...sources, join] })
      return withRunner(storage, { workflows: [fanIn], maxConcurrentTasks: 8 }, (r) =>
        Effect.gen(function*() {
          const result = yield* r.execute("fan_in")
          expect(result.status).toBe("Completed")
          expect(result.finalContext.seen).toEqual({
            winner: "source_4",
            ids: [0, 1, 2, 3, 4],
            by: { s0: true, s1: true, s2: true, s3: true, s4: true, shared: { last: 4 } }
          })
        }))
    })

    it.live("chain: each link after the previous one, context carried down the chain", () => {
      const t = trace()
      const links: Array<Task.Task<never>> = []
      for (let i = 0; i < 12; i++) {
        links.push(Task.make({
          id: `link_${i}`,
          dependencies: links.slice(-1),
          run: (ctx) => {
            t.add(`link_${i}`)
            ctx.set("trail", [...((ctx.get("trail") as Array<number>) ?? []), i])
          }
        }))
      }
      const chain = Workflow.make({ name: "chain", tasks: [...links].reverse() })
      return withRunner(storage, { workflows: [chain] }, (r) =>
        Effect.gen(function*() {
          const result = yield* r.execute(chain)
          expect(result.status).toBe("Completed")
          expect(t.lines).toEqual(links.map((l) => l.id))
          expect(result.finalContext.trail).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])
          expect(result.tasks.map((x) => x.taskId)).toEqual(links.map((l) => l.id))
        }))
    })

    it.live("the tutorial's 15-task workflow: every task once, in dependency order, the report adds up", () => {
      const t = trace()
      const workflow = makeCustomerAnalysis({ log: t.add, random: seededRandom(42) })
      return withRunner(storage, { workflows: [workflow] }, (r) =>
        Effect.gen(function*() {
          const result = yield* r.execute("complex_customer_analysis", { tutorial: "03" })
          expect(result.status).toBe("Completed")
          expect(result.tasks).toHaveLength(15)
          expect(result.tasks.every((x) => x.status === "Completed" && x.attempts === 1)).toBe(true)
          // Dependency order, from what the bodies printed.
          const before = (a: string, b: string) => expect(t.at(a)).toBeLessThan(t.at(b))
          before("Dataset prepared with 100 customers", "Analyzing premium customers...")
          before("Dataset prepared with 100 customers", "Distributing workload...")
          before(
            "Standard analysis complete: " +
              ((result.finalContext.customer_report as any).segment_analysis.standard.count) + " customers",
            "Generating customer report..."
          )
          for (let i = 1; i <= 4; i++) {
            before(`Workload distributed into 4 batches: [25, 25, 25, 25]`, `Processing batch ${i}...`)
            before(`Batch ${i} complete: 25 customers processed`, "Aggregating batch results...")
          }
          before("Level 1 complete: 100 customers analyzed", "Level 2: Segment analysis...")
          before("Level 4: Predictive insights...", "Generating final comprehensive report...")
          // Values: the final context holds both leaves' outputs and the data they came from.
          const { dataset, comprehensive_report: report, customer_report: diamond } = result.finalContext as any
          const total = dataset.customers.reduce((s: number, c: { value: number }) => s + c.value, 0)
          expect(report.executive_summary.total_customers_analyzed).toBe(100)
          expect(report.executive_summary.total_customer_value).toBe(`$${money(total)}`)
          expect(report.executive_summary.segments_identified).toBe(
            new Set(dataset.customers.map((c: { segment: string }) => c.segment)).size
          )
          expect(diamond.segment_analysis.premium.count).toBe(
            dataset.customers.filter((c: { segment: string }) => c.segment === "premium").length
          )
          expect(result.finalContext.tutorial).toBe("03")
          expect(Object.keys(result.finalContext.aggregated_results as object)).toContain("processed_customers")
        }))
    })
  })
}

describe("the 15-task workflow's shape", () => {
  it("has the tutorial's levels, roots and leaves", () => {
    const workflow = makeCustomerAnalysis({ log: () => {} })
    expect(Workflow.levels(workflow)).toEqual([
      ["prepare_dataset"],
      ["analyze_premium_customers", "analyze_standard_customers", "distribute_workload"],
      ["generate_customer_report", "process_batch_1", "process_batch_2", "process_batch_3", "process_batch_4"],
      ["aggregate_batch_results"],
      ["level_1_basic_analysis"],
      ["level_2_segment_analysis"],
      ["level_3_advanced_metrics"],
      ["level_4_predictive_insights"],
      ["final_comprehensive_report"]
    ])
    expect(Workflow.roots(workflow)).toEqual(["prepare_dataset"])
    expect(Workflow.leaves(workflow)).toEqual(["generate_customer_report", "final_comprehensive_report"])
  })
})
