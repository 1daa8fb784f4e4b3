/**
 * Exercise 2 of the tutorial, "Implement Dynamic Fan-Out": the number of parallel batches
 * depends on the data (8 above 1,000 customers, 4 above 500, else 2).
 *
 * A sluice DAG is fixed when an execution starts (as cloaca's is), and workflows are values:
 * so the workflow is built, in a loop, for the size of the data it will run on. The
 * distribution task computes the batches with the same rule.
 */
import { Task, Workflow } from "sluice"

export const batchCountFor = (customers: number): number => customers > 1000 ? 8 : customers > 500 ? 4 : 2

export const makeDynamicFanout = (customerCount: number) => {
  const batchCount = batchCountFor(customerCount)
  const dynamicDistribution = Task.make({
    id: "dynamic_distribution",
    description: "Dynamically determine number of processing batches.",
    run: (ctx) => {
      const customers = (ctx.get("dataset") as { customers: ReadonlyArray<{ id: number; value: number }> }).customers
      const count = batchCountFor(customers.length)
      const size = Math.floor(customers.length / count)
      const batches: Record<string, ReadonlyArray<{ id: number; value: number }>> = {}
      for (let i = 0; i < count; i++) {
        batches[`batch_${i + 1}`] = customers.slice(i * size, i < count - 1 ? (i + 1) * size : customers.length)
      }
      ctx.set("dynamic_batches", batches)
      ctx.set("batch_count", count)
    }
  })
  const workers = Array.from({ length: batchCount }, (_, i) =>
    Task.make({
      id: `process_batch_${i + 1}`,
      dependencies: [dynamicDistribution],
      run: (ctx) => {
        const batch = (ctx.get("dynamic_batches") as Record<string, ReadonlyArray<{ value: number }>>)[`batch_${i + 1}`]
        ctx.set("batch_totals", [{
          batch: i + 1,
          customers: batch.length,
          value: batch.reduce((s, c) => s + c.value, 0)
        }])
      }
    }))
  const collect = Task.make({
    id: "collect_batches",
    dependencies: workers,
    run: (ctx) => {
      const totals = ctx.get("batch_totals") as ReadonlyArray<{ customers: number; value: number }>
      ctx.set("summary", {
        batches: totals.length,
        customers: totals.reduce((s, t) => s + t.customers, 0),
        value: totals.reduce((s, t) => s + t.value, 0)
      })
    }
  })
  return Workflow.make({ name: `dynamic_fanout_${batchCount}`, tasks: [dynamicDistribution, ...workers, collect] })
}
