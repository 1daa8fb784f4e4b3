/** The tutorial's other examples, as runnable workflows. */
import { Effect, Layer } from "effect"
import { DefaultRunner, Runner, Storage } from "sluice"
import { describe, expect, it } from "vitest"
import { makeConditionalWorkflow } from "../examples/workflows/conditional-branches.js"
import { batchCountFor, dynamicFanout } from "../examples/workflows/dynamic-fanout.js"
import { makeApprovalWorkflow } from "../examples/workflows/human-approval.js"
import { fulfilOrder, InventoryLive, MailerLive } from "../examples/workflows/order-fulfilment.js"
import { makeRobustWorkflow } from "../examples/workflows/robust-aggregator.js"

const withRunner = async <A>(f: (runner: DefaultRunner.DefaultRunner) => Promise<A>) => {
  const runner = await DefaultRunner.make("sqlite://:memory:")
  try {
    return await f(runner)
  } finally {
    await runner.shutdown()
  }
}

describe("examples", () => {
  it("human approval: the decision signal routes to pay or reject; no decision in time escalates", () =>
    withRunner(async (runner) => {
      const workflow = makeApprovalWorkflow({ timeout: "300 millis" })
      const yes = await runner.submit(workflow, { employee: "ada", amount: 420 })
      const no = await runner.submit(workflow, { employee: "bob", amount: 99 })
      const silent = await runner.submit(workflow, { employee: "cy", amount: 5 })
      await runner.signal(yes.executionId, "decision", { approved: true, by: "grace" })
      await runner.signal(no.executionId, "decision", { approved: false, by: "grace" })
      const completed = (r: { tasks: ReadonlyArray<{ taskId: string; status: string }> }) =>
        r.tasks.filter((t) => t.status === "Completed").map((t) => t.taskId)
      expect(completed(await yes.result)).toEqual(["draft", "await_decision", "record", "pay"])
      expect(completed(await no.result)).toEqual(["draft", "await_decision", "record", "notify_rejection"])
      const timedOut = await silent.result
      expect(completed(timedOut)).toEqual(["draft", "escalate"])
      expect(timedOut.finalContext.escalated_to).toBe("finance")
      await expect(runner.signal(yes.executionId, "decision", { approved: true, by: "x" })).rejects.toMatchObject({
        _tag: "SignalError",
        reason: "Finished"
      })
    }))

  it("robust aggregator: aggregates the batches that succeeded, fails only when all did", () =>
    withRunner(async (runner) => {
      const warnings: Array<string> = []
      const partial = await runner.execute(makeRobustWorkflow({ failing: [2], log: (l) => warnings.push(l) }))
      expect(partial.status).toBe("Failed")
      expect(partial.finalContext).toMatchObject({
        aggregated_results: { batches: 2, records: 40, value: 400 },
        partial_failure: true
      })
      expect(warnings).toEqual(["Warning: 1 batches failed: batch_2"])
      const none = await runner.execute(makeRobustWorkflow({ failing: [1, 2, 3], log: () => {} }))
      expect(none.tasks.find((t) => t.taskId === "robust_aggregator")).toMatchObject({
        status: "Failed",
        error: "All batch processing failed"
      })
      const all = await runner.execute(makeRobustWorkflow({ failing: [], log: () => {} }))
      expect(all.status).toBe("Completed")
      expect(all.finalContext.partial_failure).toBe(false)
    }))

  it("conditional branches: exactly the branch for the data's strategy runs", () =>
    withRunner(async (runner) => {
      const workflow = makeConditionalWorkflow({ log: () => {} })
      for (
        const [values, strategy] of [[[400_000, 300_000], "high_value"], [[150_000, 100_000], "medium_value"], [
          [10],
          "basic"
        ]] as const
      ) {
        const result = await runner.execute(workflow, { customer_values: values })
        expect(result.status).toBe("Completed")
        const ran = result.tasks.filter((t) => t.taskId.endsWith("_processing") && t.status === "Completed").map((t) =>
          t.taskId
        )
        expect(ran).toEqual([`${strategy}_processing`])
        expect(result.finalContext.report).toEqual({
          strategy,
          branch: { strategy, advanced: strategy === "high_value" }
        })
      }
    }))

  it("dynamic fan-out: as many parallel batches as the data calls for, every customer counted once", () =>
    withRunner(async (runner) => {
      for (const [size, batches] of [[300, 2], [800, 4], [2500, 8]] as const) {
        expect(batchCountFor(size)).toBe(batches)
        const customers = Array.from({ length: size }, (_, i) => ({ id: i + 1, value: i }))
        // One workflow for every size: the map's width comes from the data.
        const result = await runner.execute(dynamicFanout, { dataset: { customers } })
        expect(result.finalContext.process_batches).toHaveLength(batches)
        expect(result.finalContext.summary).toEqual({ batches, customers: size, value: (size * (size - 1)) / 2 })
      }
    }))

  it("order fulfilment (the Effect way): services from layers, a transient error retried", async () => {
    const outbox: Array<string> = []
    const stock = { lamp: 5, desk: 0 }
    const run = (items: ReadonlyArray<{ sku: string; quantity: number }>) =>
      Effect.flatMap(Runner, (r) => r.execute(fulfilOrder, { order: { id: "A-1", email: "ada@example.com", items } }))
    const [ok, out] = await Effect.all([run([{ sku: "lamp", quantity: 2 }]), run([{ sku: "desk", quantity: 1 }])]).pipe(
      Effect.provide(Runner.layer({ workflows: [fulfilOrder] })),
      Effect.provide(Layer.mergeAll(InventoryLive(stock), MailerLive(outbox), Storage.layerMemory)),
      Effect.runPromise
    )
    expect(ok.status).toBe("Completed")
    expect(ok.tasks.find((t) => t.taskId === "reserve_stock")?.attempts).toBe(2)
    expect(ok.finalContext.label).toBe("SHIP A-1: lampx2#2")
    expect(outbox).toEqual(["ada@example.com: Order A-1 confirmed"])
    expect(stock.lamp).toBe(3)
    // Out of stock is not retried, and nothing is mailed for it.
    expect(out.status).toBe("Failed")
    expect(out.tasks.find((t) => t.taskId === "reserve_stock")).toMatchObject({ status: "Failed", attempts: 1 })
  })
})
