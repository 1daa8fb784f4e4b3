/**
 * Testing your own workflow in milliseconds: a nightly job that waits six hours for the data to
 * settle, then calls a flaky API with exponential retries. Under `@effect/vitest`'s `it.effect`
 * time comes from `TestClock`; `RunnerTest.settle` moves it from one due time to the next.
 *
 *   npx vitest run examples/testing
 */
import { expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { RetryPolicy, Runner, RunnerTest, Task, Workflow } from "sluice"

// The workflow under test, as the application defines it.
let calls = 0
const settleData = Task.sleep({ id: "settle", duration: "6 hours" })
const callApi = Task.make({
  id: "callApi",
  dependencies: [settleData],
  retry: RetryPolicy.exponential({ maxAttempts: 5, initialDelay: "1 minute", maxDelay: "1 hour" }),
  run: (ctx) => {
    calls++
    if (ctx.attempt < 4) throw new Error(`503 on attempt ${ctx.attempt}`)
    ctx.set("report", { rows: 42 })
  }
})
const nightly = Workflow.make({ name: "nightly", tasks: [settleData, callApi] })

it.effect("the nightly job waits six hours, retries the API three times, and reports", () =>
  Effect.gen(function*() {
    const runner = yield* Runner
    const handle = yield* runner.submit(nightly)
    const result = yield* RunnerTest.settle(handle.result)

    expect(result.status).toBe("Completed")
    expect(result.finalContext.report).toEqual({ rows: 42 })
    expect(calls).toBe(4)
    // Six hours, then 1 + 2 + 4 minutes of backoff, all on the test clock.
    expect(result.durationMs).toBe(6 * 3_600_000 + 7 * 60_000)
    const attempts = yield* runner.attempts(handle.executionId)
    expect(attempts.filter((a) => a.taskId === "callApi").map((a) => a.status)).toEqual([
      "Failed",
      "Failed",
      "Failed",
      "Completed"
    ])
  }).pipe(Effect.provide(Runner.layerTest({ workflows: [nightly] }))))
