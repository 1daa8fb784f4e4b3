/** The README's "Testing your workflows" block, compiled (see scripts/check-readme.ts). */
import { expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { Runner, RunnerTest, Task, Workflow } from "sluice"

const nightly = Workflow.make({
  name: "nightly",
  tasks: [Task.sleep({ id: "settle", duration: "6 hours" })]
})

// README: testing
it.effect("the nightly job finishes", () =>
  Effect.gen(function*() {
    const runner = yield* Runner
    const handle = yield* runner.submit(nightly)
    const result = yield* RunnerTest.settle(handle.result) // six test hours, a few ms
    expect(result.status).toBe("Completed")
  }).pipe(Effect.provide(Runner.layerTest({ workflows: [nightly] }))))
// README: end
