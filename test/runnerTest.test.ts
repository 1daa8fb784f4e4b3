/**
 * The test runtime users test their own workflows with: `Runner.layerTest` (memory, or SQLite
 * `:memory:`) under `TestClock`, and `RunnerTest.settle` / `advance` moving the clock from one due
 * time to the next.
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Either } from "effect"
import { CronSchedule, RetryPolicy, Runner, RunnerTest, Storage, Task, Workflow } from "sluice"

const HOUR = 3_600_000
const MINUTE = 60_000

for (const storage of ["memory", "sqlite"] as const) {
  describe(`Runner.layerTest: ${storage}`, () => {
    it.effect("a 6-hour sleep, exponential retries and a timeout, settled on the test clock", () => {
      let calls = 0
      const wait = Task.sleep({ id: "wait", duration: "6 hours" })
      const flaky = Task.make({
        id: "flaky",
        dependencies: [wait],
        retry: RetryPolicy.exponential({ maxAttempts: 6, initialDelay: "10 minutes", maxDelay: "1 hour" }),
        run: (ctx) => {
          calls++
          if (ctx.attempt < 5) throw new Error("not yet")
        }
      })
      // Its first attempt outlasts its timeout; the second is quick.
      const slow = Task.make({
        id: "slow",
        dependencies: [flaky],
        timeout: "30 minutes",
        retry: RetryPolicy.fixed({ maxAttempts: 2, delay: "5 minutes" }),
        run: (ctx) => ctx.attempt === 1 ? Effect.sleep("2 hours") : Effect.void
      })
      const workflow = Workflow.make({ name: "long", tasks: [wait, flaky, slow] })
      return Effect.gen(function*() {
        const runner = yield* Runner
        const began = performance.now()
        const handle = yield* runner.submit(workflow)
        const result = yield* RunnerTest.settle(handle.result)
        const realMs = performance.now() - began
        expect(result.status).toBe("Completed")
        expect(calls).toBe(5)
        // 6 h, the backoffs 10 + 20 + 40 + 60 (capped) minutes, the timeout's 30 and the retry's 5.
        expect(result.durationMs).toBe(6 * HOUR + (10 + 20 + 40 + 60) * MINUTE + 35 * MINUTE)
        const attempts = yield* runner.attempts(handle.executionId)
        expect(attempts.filter((a) => a.taskId === "slow").map((a) => a.status)).toEqual(["Failed", "Completed"])
        // Not a speed claim: it shows the hours were not waited out in real time.
        console.log(`[test runtime] ${Math.round(result.durationMs / MINUTE)} test minutes in ${Math.round(realMs)} ms`)
        expect(realMs).toBeLessThan(10_000)
      }).pipe(Effect.provide(Runner.layerTest({ workflows: [workflow], storage })))
    })

    it.effect("advance: an hourly cron schedule fires three times in three test hours", () => {
      const job = Workflow.make({ name: "hourly", tasks: [Task.make({ id: "tick", run: () => {} })] })
      return Effect.gen(function*() {
        const runner = yield* Runner
        yield* runner.addSchedule(CronSchedule.make({ id: "every-hour", workflow: job, cron: "0 * * * *" }))
        yield* RunnerTest.advance("3 hours")
        const fires = yield* runner.scheduleHistory("every-hour")
        expect(fires).toHaveLength(3)
        const executions = yield* runner.list({ workflowName: "hourly" })
        expect(executions.map((e) => e.status)).toEqual(["Completed", "Completed", "Completed"])
        // The storage the runner runs on is given too.
        const stored = yield* Effect.flatMap(Storage, (s) => s.executions({}))
        expect(stored).toHaveLength(3)
      }).pipe(Effect.provide(Runner.layerTest({ workflows: [job], storage })))
    })

    it.effect("settle gives up with TimeoutException past `within`, or when only a signal could end it", () => {
      const nap = Workflow.make({ name: "nap", tasks: [Task.sleep({ id: "nap", duration: "2 days" })] })
      const approval = Workflow.make({
        name: "approval",
        tasks: [Task.waitForSignal({ id: "ok", signal: "approved" })]
      })
      return Effect.gen(function*() {
        const runner = yield* Runner
        const long = yield* runner.submit(nap)
        const late = yield* Effect.either(RunnerTest.settle(long.result, { within: "1 day" }))
        expect(Either.isLeft(late) && Cause.isTimeoutException(late.left)).toBe(true)
        const waiting = yield* runner.submit(approval)
        const stuck = yield* Effect.either(RunnerTest.settle(waiting.result))
        expect(Either.isLeft(stuck) && Cause.isTimeoutException(stuck.left) && stuck.left.message).toMatch(/signal/)
        yield* runner.signal(waiting.executionId, "approved", { by: "test" })
        expect((yield* RunnerTest.settle(waiting.result)).status).toBe("Completed")
        expect((yield* RunnerTest.settle(long.result)).status).toBe("Completed")
      }).pipe(Effect.provide(Runner.layerTest({ workflows: [nap, approval], storage })))
    })
  })
}
