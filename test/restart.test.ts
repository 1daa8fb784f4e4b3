/**
 * A runner that starts on a storage holding executions: finished ones read back the same,
 * unfinished ones resume (in this process; test/recovery.test.ts kills real processes).
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Stream, TestClock } from "effect"
import { RetryPolicy, Task, Workflow } from "sluice"
import { untilSleeping, withRunnerOn } from "./support/runner.js"
import { persistentCases } from "./support/storage.js"

for (const storage of persistentCases) {
  describe(`restart on the same storage: ${storage.name}`, () => {
    it.scopedLive("a new runner returns the same results from get and list", () =>
      Effect.gen(function*() {
        const file = yield* storage.persistent!
        const a = Task.make({ id: "a", run: (ctx) => ctx.set("a", [1, 2]) })
        const b = Task.make({
          id: "b",
          dependencies: [a],
          run: () => {
            throw new Error("b broke")
          }
        })
        const c = Task.make({ id: "c", dependencies: [b], run: () => {} })
        const wf = Workflow.make({ name: "restartable", tasks: [a, b, c] })
        const result = yield* withRunnerOn(file, [wf], (r) => r.execute(wf, { n: 1 }))
        const { history, info, list } = yield* withRunnerOn(file, [wf], (r) =>
          Effect.all({ info: r.get(result.executionId), list: r.list(), history: r.history(result.executionId) }))
        const { idempotencyKey: _k, input, ...rest } = info
        expect(rest).toEqual(result)
        expect(input).toEqual({ n: 1 })
        expect(list.map((e) => [e.executionId, e.status, e.errorMessage])).toEqual([[
          result.executionId,
          "Failed",
          "1 task(s) failed, 1 completed, 1 skipped"
        ]])
        expect(history.at(-1)).toMatchObject({ _tag: "ExecutionFinished", status: "Failed" })
        // Without the workflow registered, the stored execution is still readable.
        const again = yield* withRunnerOn(file, [], (r) =>
          r.result(result.executionId))
        expect(again).toEqual(result)
      }))

    it.scopedLive("shutdown interrupts running tasks without consuming an attempt; the next runner resumes", () =>
      Effect.gen(function*() {
        const file = yield* storage.persistent!
        const runs: Array<string> = []
        const started = yield* Deferred.make<void>()
        let interrupted = 0
        let blockOnce = true
        const first = Task.make({ id: "first", run: (ctx) => void runs.push(`first:${ctx.attempt}`) })
        const slow = Task.make({
          id: "slow",
          dependencies: [first],
          run: (ctx) =>
            Effect.gen(function*() {
              runs.push(`slow:${ctx.attempt}`)
              if (blockOnce) {
                blockOnce = false
                yield* Deferred.succeed(started, undefined)
                yield* Effect.never.pipe(Effect.onInterrupt(() => Effect.sync(() => void interrupted++)))
              }
              ctx.set("slow", "done")
            })
        })
        const last = Task.make({
          id: "last",
          dependencies: [slow],
          run: (ctx) => void runs.push(`last:${ctx.attempt}`)
        })
        const wf = Workflow.make({ name: "graceful", tasks: [first, slow, last] })

        const executionId = yield* withRunnerOn(file, [wf], (r) =>
          Effect.gen(function*() {
            const handle = yield* r.submit(wf)
            yield* Deferred.await(started)
            return handle.executionId
          }))
        expect(interrupted).toBe(1)
        const stored = yield* withRunnerOn(file, [], (r) => r.get(executionId))
        expect(stored.status).toBe("Running")
        // Without the workflow registered, get shows every task, from the stored definition.
        expect(stored.tasks.map((t) => [t.taskId, t.status, t.attempts])).toEqual([
          ["first", "Completed", 1],
          ["slow", "Pending", 0],
          ["last", "Pending", 0]
        ])

        const result = yield* withRunnerOn(file, [wf], (r) => r.result(executionId))
        expect(result.status).toBe("Completed")
        expect(runs).toEqual(["first:1", "slow:1", "slow:1", "last:1"])
        expect(result.finalContext).toEqual({ slow: "done" })
        expect(result.tasks.map((t) => t.attempts)).toEqual([1, 1, 1])
      }))

    it.scopedLive("a paused execution stays paused across a restart, and resumes on resume", () =>
      Effect.gen(function*() {
        const file = yield* storage.persistent!
        const gate = yield* Deferred.make<void>()
        const a = Task.make({ id: "a", run: () => Deferred.await(gate) })
        const b = Task.make({ id: "b", dependencies: [a], run: () => {} })
        // The same version after the restart (an execution runs only on its own version).
        const gated = Workflow.make({ name: "paused", tasks: [a, b] })
        const executionId = yield* withRunnerOn(file, [gated], (r) =>
          Effect.gen(function*() {
            const handle = yield* r.submit(gated)
            yield* handle.pause
            return handle.executionId
          }))
        yield* Deferred.succeed(gate, undefined)
        const result = yield* withRunnerOn(file, [gated], (r) =>
          Effect.gen(function*() {
            expect(yield* r.status(executionId)).toBe("Paused")
            yield* Effect.sleep("30 millis")
            expect((yield* r.get(executionId)).tasks.every((t) => t.status === "Pending")).toBe(true)
            yield* r.resume(executionId)
            return yield* r.result(executionId)
          }))
        expect(result.status).toBe("Completed")
      }))

    it.scopedLive("a retry waiting when the runner stopped waits out its persisted due time, then runs the next attempt", () =>
      Effect.gen(function*() {
        const file = yield* storage.persistent!
        const attempts: Array<number> = []
        const failed = yield* Deferred.make<void>()
        const flaky = Task.make({
          id: "flaky",
          retry: RetryPolicy.fixed({ maxAttempts: 3, delay: "300 millis" }),
          run: (ctx) =>
            Effect.gen(function*() {
              attempts.push(ctx.attempt)
              if (ctx.attempt === 1) {
                yield* Deferred.succeed(failed, undefined)
                return yield* Effect.fail(new Error("unavailable"))
              }
            })
        })
        const wf = Workflow.make({ name: "retry_restart", tasks: [flaky] })
        const executionId = yield* withRunnerOn(file, [wf], (r) =>
          Effect.gen(function*() {
            const handle = yield* r.submit(wf)
            yield* handle.events.pipe(Stream.takeUntil((e) => e._tag === "TaskFailed"), Stream.runDrain)
            return handle.executionId
          }))
        const stored = yield* withRunnerOn(file, [], (r) => r.get(executionId))
        expect(stored.tasks[0]).toMatchObject({ status: "Retrying", attempts: 1 })
        const history = yield* withRunnerOn(file, [], (r) => r.history(executionId))
        const failure = history.find((e) => e._tag === "TaskFailed")!
        const result = yield* withRunnerOn(file, [wf], (r) => r.result(executionId))
        expect(result.status).toBe("Completed")
        expect(attempts).toEqual([1, 2])
        const restarted = (yield* withRunnerOn(file, [], (r) => r.history(executionId))).filter((e) =>
          e._tag === "TaskStarted"
        )
        expect(restarted[1].at.getTime()).toBeGreaterThanOrEqual((failure as { retryAt: Date }).retryAt.getTime())
      }))

    it.scopedLive("outputs of tasks completed before a restart reach the tasks that run after it", () =>
      Effect.gen(function*() {
        const file = yield* storage.persistent!
        const started = yield* Deferred.make<void>()
        let block = true
        const a = Task.make({ id: "a", run: (ctx) => ctx.set("x", { n: 20, list: [1] }) })
        const b = Task.make({
          id: "b",
          dependencies: [a],
          run: (ctx) =>
            Effect.gen(function*() {
              if (block) {
                yield* Deferred.succeed(started, undefined)
                return yield* Effect.never
              }
              const x = ctx.get("x") as { n: number; list: Array<number> }
              ctx.set("y", x.n + 1)
              ctx.set("x", { n: x.n, list: [...x.list, 2] })
            })
        })
        const c = Task.make({ id: "c", dependencies: [b], run: (ctx) => ctx.set("z", (ctx.get("y") as number) * 2) })
        const wf = Workflow.make({ name: "rebuilt", tasks: [a, b, c] })
        const executionId = yield* withRunnerOn(file, [wf], (r) =>
          Effect.gen(function*() {
            const handle = yield* r.submit(wf, { seed: true })
            yield* Deferred.await(started)
            return handle.executionId
          }))
        block = false
        const result = yield* withRunnerOn(file, [wf], (r) => r.result(executionId))
        expect(result.status).toBe("Completed")
        expect(result.finalContext).toEqual({ seed: true, x: { n: 20, list: [1, 2] }, y: 21, z: 42 })
      }))

    it.scoped("an execution's timeout holds after a restart: stored as a deadline, not started again", () =>
      Effect.gen(function*() {
        const file = yield* storage.persistent!
        const started = yield* Deferred.make<void>()
        const slow = Task.make({
          id: "slow",
          run: () => Effect.zipRight(Deferred.succeed(started, undefined), Effect.never)
        })
        const wf = Workflow.make({ name: "deadline", tasks: [slow] })
        const executionId = yield* withRunnerOn(file, [wf], (r) =>
          Effect.gen(function*() {
            const handle = yield* r.submit(wf, {}, { executionTimeout: "1 hour" })
            yield* Deferred.await(started)
            yield* TestClock.adjust("59 minutes")
            return handle.executionId
          }))
        const result = yield* withRunnerOn(file, [wf], (r) =>
          Effect.gen(function*() {
            // The runner took it up at its start: it waits for the minute left, not an hour again.
            yield* untilSleeping(60_000)
            yield* TestClock.adjust("1 minute")
            return yield* r.result(executionId)
          }))
        expect(result.status).toBe("Cancelled")
        expect(result.tasks[0].reason).toBe("timed out")
        expect(result.completedAt.getTime() - result.startedAt.getTime()).toBe(3_600_000)
      }))

    it.scopedLive("an idempotency key is found after a restart: the same execution, not a second one", () =>
      Effect.gen(function*() {
        const file = yield* storage.persistent!
        const wf = Workflow.make({ name: "keyed", tasks: [Task.make({ id: "t", run: (ctx) => ctx.set("n", 1) })] })
        const first = yield* withRunnerOn(file, [wf], (r) => r.execute(wf, { n: 1 }, { idempotencyKey: "order-7" }))
        const again = yield* withRunnerOn(file, [wf], (r) =>
          Effect.gen(function*() {
            const handle = yield* r.submit(wf, { n: 2 }, { idempotencyKey: "order-7" })
            return { handle, list: yield* r.list(), result: yield* handle.result }
          }))
        expect(again.handle.executionId).toBe(first.executionId)
        expect(again.list.map((e) => e.executionId)).toEqual([first.executionId])
        expect(again.result).toEqual(first)
      }))
  })
}
