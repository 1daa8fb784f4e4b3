/**
 * Exercise 2 of the tutorial, "Implement Dynamic Fan-Out": the number of parallel batches
 * depends on the data (8 above 1,000 customers, 4 above 500, else 2).
 *
 * One workflow for every size: the distribution task splits the customers into batches, and
 * `Task.map` processes the batches in parallel, as many as the data made — each batch recorded
 * on its own, so a crash re-runs only the batches not done. The results come back in batch
 * order, under the map's id.
 */
import { Task, Workflow } from "sluice"

interface Customer {
  readonly id: number
  readonly value: number
}

export const batchCountFor = (customers: number): number => customers > 1000 ? 8 : customers > 500 ? 4 : 2

const dynamicDistribution = Task.make({
  id: "dynamic_distribution",
  description: "Dynamically determine number of processing batches.",
  run: (ctx) => {
    const customers = (ctx.get("dataset") as { customers: ReadonlyArray<Customer> }).customers
    const count = batchCountFor(customers.length)
    const size = Math.floor(customers.length / count)
    const batches = Array.from(
      { length: count },
      (_, i) => customers.slice(i * size, i < count - 1 ? (i + 1) * size : customers.length)
    )
    ctx.set("dynamic_batches", batches)
    ctx.set("batch_count", count)
  }
})

const processBatches = Task.map({
  id: "process_batches",
  dependencies: [dynamicDistribution],
  over: (ctx) => ctx.get("dynamic_batches") as ReadonlyArray<ReadonlyArray<Customer>>,
  run: (batch: ReadonlyArray<Customer>) => ({
    customers: batch.length,
    value: batch.reduce((s, c) => s + c.value, 0)
  })
})

const collectBatches = Task.make({
  id: "collect_batches",
  dependencies: [processBatches],
  run: (ctx) => {
    const totals = ctx.get("process_batches") as ReadonlyArray<{ customers: number; value: number }>
    ctx.set("summary", {
      batches: totals.length,
      customers: totals.reduce((s, t) => s + t.customers, 0),
      value: totals.reduce((s, t) => s + t.value, 0)
    })
  }
})

export const dynamicFanout = Workflow.make({
  name: "dynamic_fanout",
  tasks: [dynamicDistribution, processBatches, collectBatches]
})
