/** Exercise 1, conditional branches, on three datasets. `npm run example:conditional` */
import { DefaultRunner } from "sluice"
import { makeConditionalWorkflow } from "./workflows/conditional-branches.js"

const workflow = makeConditionalWorkflow()
const runner = await DefaultRunner.make("sqlite://:memory:", { workflows: [workflow] })
for (const values of [[400_000, 300_000], [150_000, 100_000], [1_000, 2_000]]) {
  const result = await runner.execute("conditional_workflow", { customer_values: values })
  const ran = result.tasks.filter((t) => t.taskId.endsWith("_processing") && t.status === "Completed").map((t) =>
    t.taskId
  )
  console.log(
    `${result.status}: total ${result.finalContext.total_value} -> ${ran.join(", ")}; report ${
      JSON.stringify(result.finalContext.report)
    }\n`
  )
}
await runner.shutdown()
