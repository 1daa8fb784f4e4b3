/**
 * Exercise 1 of the tutorial, "Add Conditional Branches": a processor picks a strategy from the
 * data; one branch per strategy runs only when its strategy was picked (a `contextValue` trigger
 * rule); the join runs after whichever branch ran (skipped branches do not fail it).
 */
import { Task, TriggerRule, Workflow } from "sluice"

export const strategies = ["high_value", "medium_value", "basic"] as const

export const makeConditionalWorkflow = (options: { readonly log?: (line: string) => void } = {}) => {
  const log = options.log ?? ((line: string) => console.log(line))
  const prepareDataset = Task.make({
    id: "prepare_dataset",
    run: (ctx) => {
      const values = ctx.get("customer_values") as ReadonlyArray<number> | undefined
      ctx.set("dataset", { customers: (values ?? []).map((value, i) => ({ id: i + 1, value })) })
    }
  })
  const conditionalProcessor = Task.make({
    id: "conditional_processor",
    description: "Add conditional processing based on data characteristics.",
    dependencies: [prepareDataset],
    run: (ctx) => {
      const { customers } = ctx.get("dataset") as { customers: ReadonlyArray<{ value: number }> }
      const total = customers.reduce((s, c) => s + c.value, 0)
      const strategy = total > 500_000 ? "high_value" : total > 200_000 ? "medium_value" : "basic"
      ctx.set("total_value", total)
      ctx.set("processing_strategy", strategy)
      ctx.set("use_advanced_analytics", strategy === "high_value")
      log(`Total value ${total}: strategy ${strategy}`)
    }
  })
  const branches = strategies.map((strategy) =>
    Task.make({
      id: `${strategy}_processing`,
      dependencies: [conditionalProcessor],
      triggerRule: TriggerRule.contextValue("processing_strategy", "equals", strategy),
      run: (ctx) => {
        log(`Running the ${strategy} branch`)
        ctx.set("branch_result", { strategy, advanced: ctx.get("use_advanced_analytics") })
      }
    })
  )
  const finalize = Task.make({
    id: "finalize_report",
    dependencies: branches,
    run: (ctx) => ctx.set("report", { strategy: ctx.get("processing_strategy"), branch: ctx.get("branch_result") })
  })
  return Workflow.make({
    name: "conditional_workflow",
    tasks: [prepareDataset, conditionalProcessor, ...branches, finalize]
  })
}
