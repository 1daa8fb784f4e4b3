/** Retries, timeouts, cancellation, pause/resume, callbacks (DESIGN §3), in one process. */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Queue, Schedule, Stream, TestClock } from "effect"
import { RetryPolicy, Task, Workflow } from "sluice"
import { trace, untilSleeping, withRunner } from "./support/runner.js"
import { storageCases } from "./support/storage.js"

const failingTimes = (n: number, message = "connection reset") => {
  let calls = 0
  return () => {
    if (++calls <= n) throw new Error(`${message} (${calls})`)
  }
}

for (const storage of storageCases) {
  describe(`retries on ${storage.name}`, () => {
    it.live("a body failing twice then succeeding with maxAttempts 3 completes after 3 attempts, each persisted", () => {
      const flaky = Task.make({
        id: "flaky",
        retry: RetryPolicy.exponential({ maxAttempts: 3, initialDelay: "5 millis" }),
        run: failingTimes(2)
      })
      const wf = Workflow.make({ name: "retry", tasks: [flaky] })
      return withRunner(storage, { workflows: [wf] }, (runner) =>
        Effect.gen(function*() {
          const result = yield* runner.execute(wf)
          expect(result.status).toBe("Completed")
          expect(result.tasks[0]).toMatchObject({ status: "Completed", attempts: 3 })
          const attempts = yield* runner.attempts(result.executionId)
          expect(attempts.map((a) => [a.attempt, a.status, a.error])).toEqual([
            [1, "Failed", "connection reset (1)"],
            [2, "Failed", "connection reset (2)"],
            [3, "Completed", undefined]
          ])
          for (const a of attempts) expect(a.completedAt!.getTime() >= a.startedAt.getTime()).toBe(true)
        }))
    })

    it.live("gives up after maxAttempts, recording the last error", () => {
      const wf = Workflow.make({
        name: "retry_exhausted",
        tasks: [
          Task.make({
            id: "t",
            retry: RetryPolicy.fixed({ maxAttempts: 2, delay: 1 }),
            run: failingTimes(5, "timeout")
          })
        ]
      })
      return withRunner(storage, { workflows: [wf] }, (r) =>
        Effect.gen(function*() {
          const result = yield* r.execute(wf)
          expect(result.status).toBe("Failed")
          expect(result.tasks[0]).toMatchObject({ status: "Failed", attempts: 2, error: "timeout (2)" })
        }))
    })

    it.live("retryIf false: one attempt only", () => {
      const seen: Array<unknown> = []
      const wf = Workflow.make({
        name: "retry_if",
        tasks: [
          Task.make({
            id: "t",
            retry: RetryPolicy.exponential({
              maxAttempts: 5,
              initialDelay: 1,
              retryIf: (e) => {
                seen.push(e)
                return /connection|timeout|unavailable/i.test(String((e as Error).message))
              }
            }),
            run: failingTimes(5, "invalid input")
          })
        ]
      })
      return withRunner(storage, { workflows: [wf] }, (r) =>
        Effect.gen(function*() {
          const result = yield* r.execute(wf)
          expect(result.tasks[0]).toMatchObject({ status: "Failed", attempts: 1 })
          expect(seen).toHaveLength(1)
          expect(seen[0]).toBeInstanceOf(Error)
        }))
    })

    it.live("errors no retry can fix (a value that is not JSON) are not retried, unless retryIf says so", () => {
      const setsAFunction = (id: string, retryIf?: (e: unknown) => boolean) =>
        Task.make({
          id,
          retry: RetryPolicy.fixed({ maxAttempts: 3, delay: "1 millis", ...(retryIf ? { retryIf } : {}) }),
          run: (ctx) => ctx.set("callback", () => 1)
        })
      const wf = Workflow.make({
        name: "permanent",
        tasks: [setsAFunction("plain"), setsAFunction("forced", () => true)]
      })
      return withRunner(storage, { workflows: [wf] }, (r) =>
        Effect.gen(function*() {
          const result = yield* r.execute(wf)
          expect(result.tasks.map((t) => [t.taskId, t.status, t.attempts])).toEqual([
            ["plain", "Failed", 1],
            ["forced", "Failed", 3]
          ])
          expect(result.tasks[0].error).toContain("context value \"callback\" is not JSON: a function")
        }))
    })

    it.effect("waits its backoff before each retry, measured on the TestClock", () =>
      Effect.gen(function*() {
        const started = yield* Queue.unbounded<number>()
        const wf = Workflow.make({
          name: "backoff",
          tasks: [Task.make({
            id: "t",
            retry: RetryPolicy.exponential({ maxAttempts: 3, initialDelay: "20 millis" }),
            run: (ctx) =>
              Effect.zipRight(
                Queue.offer(started, ctx.attempt),
                ctx.attempt < 3 ? Effect.fail(new Error("unavailable")) : Effect.void
              )
          })]
        })
        yield* withRunner(storage, { workflows: [wf] }, (r) =>
          Effect.gen(function*() {
            const handle = yield* r.submit(wf)
            for (const [attempt, wait] of [[1, 20], [2, 40]] as const) {
              expect(yield* Queue.take(started)).toBe(attempt)
              yield* untilSleeping(wait)
              yield* TestClock.adjust(wait - 1)
              // One millisecond short of its backoff, the retry still waits.
              yield* untilSleeping(1)
              expect(yield* Queue.size(started)).toBe(0)
              yield* TestClock.adjust(1)
            }
            expect(yield* Queue.take(started)).toBe(3)
            const result = yield* handle.result
            expect(result.tasks[0]).toMatchObject({ status: "Completed", attempts: 3 })
            const failures = (yield* r.history(result.executionId)).flatMap((e) => e._tag === "TaskFailed" ? [e] : [])
            expect(failures.map((f) => f.retryAt!.getTime() - f.at.getTime())).toEqual([20, 40])
          }))
      }))

    it.effect("a waiting retry holds no concurrency permit, and its dependents wait for it", () => {
      const t = trace()
      let calls = 0
      const slow = Task.make({
        id: "slow",
        retry: RetryPolicy.fixed({ maxAttempts: 2, delay: "150 millis" }),
        run: () => {
          t.add(`slow:${++calls}`)
          if (calls === 1) throw new Error("unavailable")
        }
      })
      const after = Task.make({ id: "after", dependencies: [slow], run: () => t.add("after") })
      const other = Task.make({
        id: "other",
        run: () => Effect.sleep("20 millis").pipe(Effect.zipRight(Effect.sync(() => t.add("other"))))
      })
      const wf = Workflow.make({ name: "permit", tasks: [slow, after, other] })
      return withRunner(storage, { workflows: [wf], maxConcurrentTasks: 1 }, (r) =>
        Effect.gen(function*() {
          const handle = yield* r.submit(wf)
          // slow:1 failed and waits 150 ms; other sleeps 20 ms, holding the only permit.
          yield* untilSleeping(150, 20)
          expect(t.lines).toEqual(["slow:1"])
          yield* TestClock.adjust("20 millis")
          yield* untilSleeping(130)
          yield* TestClock.adjust("130 millis")
          const result = yield* handle.result
          expect(result.status).toBe("Completed")
          expect(t.lines).toEqual(["slow:1", "other", "slow:2", "after"])
        }))
    })

    it.live("RetryPolicy.fromSchedule: any Schedule, which may end the retries itself", () => {
      const wf = Workflow.make({
        name: "schedule",
        tasks: [Task.make({ id: "t", retry: RetryPolicy.fromSchedule(Schedule.recurs(1)), run: failingTimes(3) })]
      })
      return withRunner(
        storage,
        { workflows: [wf] },
        (r) =>
          Effect.map(
            r.execute(wf),
            (result) => expect(result.tasks[0]).toMatchObject({ status: "Failed", attempts: 2 })
          )
      )
    })
  })

  describe(`timeouts and cancellation on ${storage.name}`, () => {
    it.effect("a task timeout interrupts the body (its finalizer runs) and counts as a failed attempt", () =>
      Effect.gen(function*() {
        let finalized = 0
        const started = yield* Queue.unbounded<number>()
        const sleepy = Task.make({
          id: "sleepy",
          timeout: "30 millis",
          retry: RetryPolicy.fixed({ maxAttempts: 2, delay: "1 millis" }),
          run: (ctx) =>
            Queue.offer(started, ctx.attempt).pipe(
              Effect.zipRight(Effect.sleep("10 seconds")),
              Effect.ensuring(Effect.sync(() => void finalized++))
            )
        })
        const wf = Workflow.make({ name: "timeout", tasks: [sleepy] })
        yield* withRunner(storage, { workflows: [wf] }, (r) =>
          Effect.gen(function*() {
            const handle = yield* r.submit(wf)
            expect(yield* Queue.take(started)).toBe(1)
            yield* untilSleeping(30)
            yield* TestClock.adjust("29 millis")
            expect(finalized).toBe(0)
            yield* TestClock.adjust("1 millis")
            yield* untilSleeping(1)
            yield* TestClock.adjust("1 millis")
            expect(yield* Queue.take(started)).toBe(2)
            expect(finalized).toBe(1)
            yield* untilSleeping(30)
            yield* TestClock.adjust("30 millis")
            const result = yield* handle.result
            expect(result.status).toBe("Failed")
            expect(result.tasks[0]).toMatchObject({
              status: "Failed",
              attempts: 2,
              error: "task \"sleepy\" timed out after 30 ms"
            })
            expect(finalized).toBe(2)
          }))
      }))

    it.live("a Promise body past its timeout fails the attempt and sees its signal aborted", () => {
      let aborted = false
      const wf = Workflow.make({
        name: "promise_timeout",
        tasks: [
          Task.make({
            id: "fetchy",
            timeout: "20 millis",
            run: (ctx) =>
              new Promise<void>((resolve) => {
                ctx.signal.addEventListener("abort", () => {
                  aborted = true
                  resolve()
                })
              })
          })
        ]
      })
      return withRunner(storage, { workflows: [wf] }, (r) =>
        Effect.gen(function*() {
          const result = yield* r.execute(wf)
          expect(result.tasks[0].status).toBe("Failed")
          expect(aborted).toBe(true)
        }))
    })

    it.live("cancel interrupts running tasks, cancels the rest, and the result comes back Cancelled", () =>
      Effect.gen(function*() {
        const started = yield* Deferred.make<void>()
        let finalized = false
        const long = Task.make({
          id: "long",
          run: () =>
            Deferred.succeed(started, undefined).pipe(
              Effect.zipRight(Effect.sleep("10 seconds")),
              Effect.ensuring(Effect.sync(() => void (finalized = true)))
            )
        })
        const next = Task.make({ id: "next", dependencies: [long], run: () => {} })
        const quick = Task.make({ id: "quick", run: () => {} })
        const wf = Workflow.make({ name: "cancel", tasks: [quick, long, next] })
        yield* withRunner(storage, { workflows: [wf] }, (r) =>
          Effect.gen(function*() {
            const handle = yield* r.submit(wf)
            yield* Deferred.await(started)
            yield* handle.cancel
            const result = yield* handle.result
            expect(result.status).toBe("Cancelled")
            expect(Object.fromEntries(result.tasks.map((t) => [t.taskId, t.status]))).toEqual({
              quick: "Completed",
              long: "Cancelled",
              next: "Cancelled"
            })
            expect(result.errorMessage).toBe("cancelled: 1 completed, 0 skipped, 2 cancelled")
            expect(finalized).toBe(true)
            expect(yield* r.status(handle.executionId)).toBe("Cancelled")
            // Cancelling a finished execution changes nothing.
            yield* r.cancel(handle.executionId)
            expect(yield* r.status(handle.executionId)).toBe("Cancelled")
          }))
      }))

    it.effect("an execution timeout cancels the execution with reason 'timed out'", () => {
      const wf = Workflow.make({
        name: "exec_timeout",
        tasks: [Task.make({ id: "long", run: () => Effect.sleep("10 seconds") })]
      })
      return withRunner(storage, { workflows: [wf] }, (r) =>
        Effect.gen(function*() {
          const handle = yield* r.submit(wf, {}, { executionTimeout: "50 millis" })
          yield* untilSleeping(50)
          yield* TestClock.adjust("49 millis")
          expect(yield* r.status(handle.executionId)).toBe("Running")
          yield* TestClock.adjust("1 millis")
          const result = yield* handle.result
          expect(result.status).toBe("Cancelled")
          expect(result.errorMessage).toBe("timed out: 0 completed, 0 skipped, 1 cancelled")
          expect(result.tasks[0].reason).toBe("timed out")
        }))
    })

    it.live("pause lets running tasks finish and starts no new one until resume", () =>
      Effect.gen(function*() {
        const gate = yield* Deferred.make<void>()
        const running = yield* Deferred.make<void>()
        const first = Task.make({
          id: "first",
          run: () => Deferred.succeed(running, undefined).pipe(Effect.zipRight(Deferred.await(gate)))
        })
        const second = Task.make({ id: "second", dependencies: [first], run: () => {} })
        const wf = Workflow.make({ name: "pause", tasks: [first, second] })
        yield* withRunner(storage, { workflows: [wf] }, (r) =>
          Effect.gen(function*() {
            const handle = yield* r.submit(wf)
            yield* Deferred.await(running)
            yield* handle.pause
            expect(yield* r.status(handle.executionId)).toBe("Paused")
            yield* Deferred.succeed(gate, undefined)
            // Wait until `first` is recorded complete; `second` must then stay pending while paused.
            yield* handle.events.pipe(
              Stream.takeUntil((e) => e._tag === "TaskCompleted" && e.taskId === "first"),
              Stream.runDrain
            )
            yield* Effect.sleep("30 millis")
            const paused = yield* r.get(handle.executionId)
            expect(paused.status).toBe("Paused")
            expect(paused.tasks.map((t) => [t.taskId, t.status])).toEqual([["first", "Completed"], [
              "second",
              "Pending"
            ]])
            yield* handle.resume
            const result = yield* handle.result
            expect(result.status).toBe("Completed")
            const tags = (yield* r.history(handle.executionId)).map((e) => e._tag)
            expect(tags.indexOf("ExecutionPaused")).toBeLessThan(tags.indexOf("ExecutionResumed"))
          }))
      }))
  })

  describe(`callbacks on ${storage.name}`, () => {
    it.live("onSuccess and onFailure run per attempt; a throwing callback changes nothing", () => {
      const calls: Array<string> = []
      const flaky = Task.make({
        id: "flaky",
        retry: RetryPolicy.fixed({ maxAttempts: 2, delay: 1 }),
        run: (ctx) => {
          ctx.set("attempt", ctx.attempt)
          if (ctx.attempt === 1) throw new Error("first")
        },
        onSuccess: (taskId, ctx) => {
          calls.push(`success:${taskId}:${ctx.get("attempt")}`)
          throw new Error("callback bug")
        },
        onFailure: async (taskId, error, ctx) => {
          calls.push(`failure:${taskId}:${(error as Error).message}:${ctx.attempt}`)
          throw new Error("another callback bug")
        }
      })
      const wf = Workflow.make({ name: "callbacks", tasks: [flaky] })
      return withRunner(storage, { workflows: [wf] }, (r) =>
        Effect.gen(function*() {
          const result = yield* r.execute(wf)
          expect(result.status).toBe("Completed")
          expect(calls).toEqual(["failure:flaky:first:1", "success:flaky:2"])
        }))
    })
  })
}
