/** Exercise 2, a fan-out sized from the data. `npm run example:dynamic` */
import { DefaultRunner, Workflow } from "sluice"
import { makeDynamicFanout } from "./workflows/dynamic-fanout.js"

const runner = await DefaultRunner.make("sqlite://:memory:")
for (const size of [300, 800, 2500]) {
  const customers = Array.from({ length: size }, (_, i) => ({ id: i + 1, value: 100 + ((i * 7919) % 9900) }))
  const workflow = makeDynamicFanout(size)
  const result = await runner.execute(workflow, { dataset: { customers } })
  console.log(
    `${size} customers: ${Workflow.levels(workflow)[1].length} parallel batches, ${result.status}, summary ${
      JSON.stringify(result.finalContext.summary)
    }`
  )
}
await runner.shutdown()
