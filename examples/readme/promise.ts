/** The README's "Running, the Promise way", as code that compiles. */
import { Task, Workflow } from "sluice"

const pipeline = Workflow.make({ name: "pipeline", tasks: [Task.make({ id: "a", run: () => {} })] })

export const main = async () => {
  // README: the Promise way
  const runner = await DefaultRunner.make("sqlite://:memory:", { workflows: [pipeline], maxConcurrentTasks: 4 })
  const result = await runner.execute("pipeline", { date: "2026-11-28" })
  const handle = await runner.submit(pipeline)
  for await (const event of handle.events) console.log(event._tag)
  const later = await handle.result
  await runner.shutdown()
  // README: end
  return [result, later]
}

import { DefaultRunner } from "sluice"
