/**
 * The tutorial's "robust aggregator": three batches feed an aggregator that runs whatever
 * happened to them (trigger rule `allDone`) and aggregates what succeeded.
 */
import { Task, TriggerRule, Workflow } from "sluice"

export const makeRobustWorkflow = (
  options: { readonly failing?: ReadonlyArray<number>; readonly log?: (line: string) => void } = {}
) => {
  const log = options.log ?? ((line: string) => console.log(line))
  const failing = new Set(options.failing ?? [2])
  const batches = [1, 2, 3].map((i) =>
    Task.make({
      id: `batch_${i}`,
      run: (ctx) => {
        if (failing.has(i)) throw new Error(`batch ${i}: upstream service unavailable`)
        ctx.set(`batch_${i}_result`, { batch: i, records: 10 * i, value: 100 * i })
      }
    })
  )
  const robustAggregator = Task.make({
    id: "robust_aggregator",
    description: "Aggregate results with partial failure handling.",
    dependencies: batches,
    triggerRule: TriggerRule.allDone,
    run: (ctx) => {
      const results: Array<{ records: number; value: number }> = []
      const failedBatches: Array<string> = []
      for (const id of ["batch_1", "batch_2", "batch_3"]) {
        const result = ctx.get(`${id}_result`) as { records: number; value: number } | undefined
        if (result !== undefined) results.push(result)
        else failedBatches.push(id)
      }
      if (results.length === 0) throw new Error("All batch processing failed")
      if (failedBatches.length > 0) log(`Warning: ${failedBatches.length} batches failed: ${failedBatches.join(", ")}`)
      ctx.set("aggregated_results", {
        batches: results.length,
        records: results.reduce((s, r) => s + r.records, 0),
        value: results.reduce((s, r) => s + r.value, 0)
      })
      ctx.set("partial_failure", failedBatches.length > 0)
    }
  })
  return Workflow.make({ name: "robust_workflow", tasks: [...batches, robustAggregator] })
}
