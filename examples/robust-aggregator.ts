/** The robust aggregator: one of three batches fails, the aggregator still runs. `npm run example:robust` */
import { DefaultRunner } from "sluice"
import { makeRobustWorkflow } from "./workflows/robust-aggregator.js"

const workflow = makeRobustWorkflow({ failing: [2] })
const runner = await DefaultRunner.make("sqlite://:memory:", { workflows: [workflow] })
const result = await runner.execute("robust_workflow")
console.log(`Workflow Status: ${result.status} (${result.errorMessage ?? "no error"})`)
for (const task of result.tasks) {
  console.log(`  ${task.taskId.padEnd(18)} ${task.status}${task.error ? `: ${task.error}` : ""}`)
}
console.log(
  "Aggregated:",
  JSON.stringify(result.finalContext.aggregated_results),
  "partial failure:",
  result.finalContext.partial_failure
)
await runner.shutdown()
