/** Exercise 2, a fan-out sized from the data (`Task.map`). `npm run example:dynamic` */
import { DefaultRunner } from "sluice"
import { dynamicFanout } from "./workflows/dynamic-fanout.js"

const runner = await DefaultRunner.make("sqlite://:memory:")
for (const size of [300, 800, 2500]) {
  const customers = Array.from({ length: size }, (_, i) => ({ id: i + 1, value: 100 + ((i * 7919) % 9900) }))
  const result = await runner.execute(dynamicFanout, { dataset: { customers } })
  const summary = result.finalContext.summary as { batches: number }
  console.log(
    `${size} customers: ${summary.batches} parallel batches, ${result.status}, summary ${JSON.stringify(summary)}`
  )
}
await runner.shutdown()
