/**
 * Durable waits inside the DAG, through the public API on every storage: sleeps, signals (sent
 * before or after the task is reached), deferrals; none holds a permit; all survive a restart.
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Either, Fiber, Schema, TestClock } from "effect"
import type { TaskResult } from "sluice"
import { Task, TriggerRule, Workflow } from "sluice"
import { untilSleeping, withRunner, withRunnerOn } from "./support/runner.js"
import { persistentCases, storageCases } from "./support/storage.js"

const HOUR = 3_600_000

const taskOf = (result: { readonly tasks: ReadonlyArray<TaskResult> }, id: string) =>
  result.tasks.find((t) => t.taskId === id)

for (const storage of storageCases) {
  describe(`durable waits: ${storage.name}`, () => {
    it.scoped("a sleep completes at its time, holding no permit while it sleeps", () =>
      withRunner(storage, { maxConcurrentTasks: 1 }, (runner) =>
        Effect.gen(function*() {
          const ran: Array<string> = []
          const before = Task.make({ id: "before", run: () => void ran.push("before") })
          const nap = Task.sleep({ id: "nap", dependencies: [before], duration: "1 hour" })
          const after = Task.make({ id: "after", dependencies: [nap], run: () => void ran.push("after") })
          const sleeper = Workflow.make({ name: "sleeper", tasks: [before, nap, after] })
          const other = Workflow.make({
            name: "other",
            tasks: [Task.make({ id: "x", run: () => void ran.push("other") })]
          })
          const handle = yield* runner.submit(sleeper)
          yield* untilSleeping(HOUR)
          // The only permit is free: another execution runs to its end meanwhile.
          const beside = yield* runner.execute(other)
          expect(beside.status).toBe("Completed")
          const info = yield* runner.get(handle.executionId)
          expect(taskOf(info, "nap")?.status).toBe("Waiting")
          expect(ran).toEqual(["before", "other"])
          yield* TestClock.adjust("59 minutes")
          expect(ran).toEqual(["before", "other"])
          yield* TestClock.adjust("1 minute")
          const result = yield* handle.result
          expect(result.status).toBe("Completed")
          expect(ran).toEqual(["before", "other", "after"])
          const history = yield* runner.history(handle.executionId)
          const waiting = history.find((e) => e._tag === "TaskWaiting")
          expect(waiting).toMatchObject({ taskId: "nap" })
          expect(waiting?._tag === "TaskWaiting" && waiting.until!.getTime() - waiting.at.getTime()).toBe(HOUR)
        })))

    it.scoped("a sleep longer than a timer can hold (30 days) ends on time", () =>
      withRunner(storage, {}, (runner) =>
        Effect.gen(function*() {
          const wf = Workflow.make({ name: "long", tasks: [Task.sleep({ id: "nap", duration: "30 days" })] })
          const handle = yield* runner.submit(wf)
          yield* TestClock.adjust("29 days")
          expect(yield* runner.status(handle.executionId)).toBe("Running")
          yield* TestClock.adjust("1 day")
          expect((yield* handle.result).status).toBe("Completed")
        })))

    it.scoped("sleep until a time computed from the context", () =>
      withRunner(storage, {}, (runner) =>
        Effect.gen(function*() {
          const plan = Task.make({ id: "plan", run: (ctx) => ctx.set("wakeAt", 2 * HOUR) })
          const nap = Task.sleep({ id: "nap", dependencies: [plan], until: (ctx) => ctx.get("wakeAt") as number })
          const wf = Workflow.make({ name: "until", tasks: [plan, nap] })
          const handle = yield* runner.submit(wf)
          yield* untilSleeping(2 * HOUR)
          yield* TestClock.adjust("2 hours")
          expect((yield* handle.result).status).toBe("Completed")
        })))

    it.scoped("signals: fifty waiting executions hold no permit; each completes with its payload", () =>
      withRunner(storage, { maxConcurrentTasks: 2 }, (runner) =>
        Effect.gen(function*() {
          const approval = Task.waitForSignal({ id: "approval", signal: "approved" })
          const act = Task.make({
            id: "act",
            dependencies: [approval],
            run: (ctx) => ctx.set("by", (ctx.get("approved") as { by: string }).by)
          })
          const wf = Workflow.make({ name: "approve", tasks: [approval, act] })
          const handles = yield* Effect.forEach(Array.from({ length: 50 }), () => runner.submit(wf))
          const beside = yield* runner.execute(
            Workflow.make({ name: "b", tasks: [Task.make({ id: "b", run: () => 1 })] })
          )
          expect(beside.status).toBe("Completed")
          for (const [i, h] of handles.entries()) yield* runner.signal(h.executionId, "approved", { by: `u${i}` })
          const results = yield* Effect.forEach(handles, (h) => h.result)
          expect(results.map((r) => r.status)).toEqual(handles.map(() => "Completed"))
          expect(results.map((r) => r.finalContext.by)).toEqual(handles.map((_, i) => `u${i}`))
          expect(results[0].finalContext.approved).toEqual({ by: "u0" })
          expect(taskOf(results[0], "approval")).toMatchObject({ status: "Completed", attempts: 1 })
        })))

    it.scoped("a signal sent before the task is reached is kept", () =>
      withRunner(storage, {}, (runner) =>
        Effect.gen(function*() {
          const gate = yield* Deferred.make<void>()
          const first = Task.make({ id: "first", run: () => Deferred.await(gate) })
          const approval = Task.waitForSignal({ id: "approval", dependencies: [first], signal: "go" })
          const wf = Workflow.make({ name: "early", tasks: [first, approval] })
          const handle = yield* runner.submit(wf)
          yield* runner.signal(handle.executionId, "go", 42)
          yield* Deferred.succeed(gate, undefined)
          const result = yield* handle.result
          expect(result.status).toBe("Completed")
          expect(result.finalContext.go).toBe(42)
        })))

    it.scoped("bad signals are typed errors and store nothing", () =>
      withRunner(storage, {}, (runner) =>
        Effect.gen(function*() {
          const approval = Task.waitForSignal({
            id: "approval",
            signal: "approved",
            schema: Schema.Struct({ by: Schema.String })
          })
          const wf = Workflow.make({ name: "typed", tasks: [approval] })
          const handle = yield* runner.submit(wf)
          const unknown = yield* Effect.flip(runner.signal("no-such-execution", "approved", {}))
          expect(unknown._tag).toBe("ExecutionNotFoundError")
          const wrongName = yield* Effect.flip(runner.signal(handle.executionId, "rejected", {}))
          expect(wrongName).toMatchObject({ _tag: "SignalError", reason: "NotAwaited" })
          const badPayload = yield* Effect.flip(runner.signal(handle.executionId, "approved", { by: 7 }))
          expect(badPayload).toMatchObject({ _tag: "SignalError", reason: "InvalidPayload" })
          const notJson = yield* Effect.flip(runner.signal(handle.executionId, "approved", { by: () => 1 }))
          expect(notJson._tag).toBe("ContextValueError")
          yield* runner.signal(handle.executionId, "approved", { by: "ann", extra: true })
          const result = yield* handle.result
          // Checked and encoded with the schema: what it does not know is left out.
          expect(result.finalContext.approved).toEqual({ by: "ann" })
          const late = yield* Effect.flip(runner.signal(handle.executionId, "approved", { by: "bob" }))
          expect(late).toMatchObject({ _tag: "SignalError", reason: "Finished" })
        })))

    it.scoped("a signal's timeout fails the task, and trigger rules route around it", () =>
      withRunner(storage, {}, (runner) =>
        Effect.gen(function*() {
          const approval = Task.waitForSignal({ id: "approval", signal: "approved", timeout: "2 days" })
          const proceed = Task.make({ id: "proceed", dependencies: [approval], run: () => {} })
          const escalate = Task.make({
            id: "escalate",
            dependencies: [approval],
            triggerRule: TriggerRule.allFailed,
            run: (ctx) => ctx.set("escalated", true)
          })
          const wf = Workflow.make({ name: "timeout", tasks: [approval, proceed, escalate] })
          const handle = yield* runner.submit(wf)
          yield* untilSleeping(48 * HOUR)
          yield* TestClock.adjust("2 days")
          const result = yield* handle.result
          expect(taskOf(result, "approval")).toMatchObject({ status: "Failed", attempts: 0 })
          expect(taskOf(result, "approval")?.error).toContain("timed out waiting for signal \"approved\"")
          expect(taskOf(result, "proceed")?.status).toBe("Skipped")
          expect(taskOf(result, "escalate")?.status).toBe("Completed")
          const late = yield* Effect.flip(runner.signal(handle.executionId, "approved", {}))
          expect(late._tag).toBe("SignalError")
        })))

    it.scoped("deferUntil: the body runs once the check holds, asked every interval", () =>
      withRunner(storage, { maxConcurrentTasks: 1 }, (runner) =>
        Effect.gen(function*() {
          let asked = 0
          let runs = 0
          const ready = Task.make({
            id: "ready",
            deferUntil: { check: () => ++asked >= 3, every: "10 minutes" },
            run: () => void runs++
          })
          const broken = Task.make({
            id: "broken",
            deferUntil: {
              check: () => {
                throw new Error("sensor down")
              },
              every: "1 minute"
            },
            run: () => void runs++
          })
          const wf = Workflow.make({ name: "deferred", tasks: [ready, broken] })
          const handle = yield* runner.submit(wf)
          yield* untilSleeping(10 * 60_000)
          expect(asked).toBe(1)
          // The only permit is not held by the waiting task.
          expect(
            (yield* runner.execute(Workflow.make({ name: "o", tasks: [Task.make({ id: "o", run: () => 1 })] })))
              .status
          ).toBe("Completed")
          yield* TestClock.adjust("10 minutes")
          yield* untilSleeping(10 * 60_000)
          expect(runs).toBe(0)
          yield* TestClock.adjust("10 minutes")
          const result = yield* handle.result
          expect(asked).toBe(3)
          expect(runs).toBe(1)
          expect(taskOf(result, "ready")).toMatchObject({ status: "Completed", attempts: 1 })
          expect(taskOf(result, "broken")?.error).toContain("sensor down")
        })))

    it.scoped("a waiting execution is paused, resumed and cancelled like any other", () =>
      withRunner(storage, {}, (runner) =>
        Effect.gen(function*() {
          const approval = Task.waitForSignal({ id: "approval", signal: "approved" })
          const nap = Task.sleep({ id: "nap", duration: "1 hour" })
          const wf = Workflow.make({ name: "controlled", tasks: [approval, nap] })
          const handle = yield* runner.submit(wf)
          yield* untilSleeping(HOUR)
          yield* runner.pause(handle.executionId)
          expect(yield* runner.status(handle.executionId)).toBe("Paused")
          yield* runner.resume(handle.executionId)
          yield* runner.cancel(handle.executionId)
          const result = yield* handle.result
          expect(result.status).toBe("Cancelled")
          expect(result.tasks.map((t) => t.status)).toEqual(["Cancelled", "Cancelled"])
        })))

    it("bad wait definitions are typed errors when they are made", () => {
      const bad = [
        () => Task.sleep({ id: "s", duration: "-1 seconds" }),
        () => Task.sleep({ id: "s" } as never),
        () => Task.waitForSignal({ id: "w", signal: "" }),
        () => Task.waitForSignal({ id: "w", signal: "x", timeout: 0 }),
        () => Task.make({ id: "d", run: () => {}, deferUntil: { check: () => true, every: 0 } })
      ]
      for (const make of bad) {
        const error = Either.try(make)
        expect(Either.isLeft(error) && (error.left as { _tag?: string })._tag).toBe("WorkflowDefinitionError")
      }
    })
  })
}

for (const storage of persistentCases) {
  describe(`durable waits across a restart: ${storage.name}`, () => {
    it.scoped("a sleep keeps its stored end; a signal wait completes after the restart", () =>
      Effect.gen(function*() {
        const file = yield* storage.persistent!
        const nap = Task.sleep({ id: "nap", duration: "1 hour" })
        const approval = Task.waitForSignal({ id: "approval", signal: "approved" })
        const done = Task.make({ id: "done", dependencies: [nap, approval], run: (ctx) => ctx.set("done", true) })
        const wf = Workflow.make({ name: "restart-waits", tasks: [nap, approval, done] })
        const { id, waiter } = yield* withRunnerOn(file, [wf], (r) =>
          Effect.gen(function*() {
            const h = yield* r.submit(wf)
            yield* untilSleeping(HOUR)
            yield* TestClock.adjust("40 minutes")
            return { id: h.executionId, waiter: yield* Effect.fork(Effect.either(h.result)) }
          }))
        // Closing the runner settles whoever waited for the waiting execution.
        const shutdown = yield* Fiber.join(waiter)
        expect(Either.isLeft(shutdown) && shutdown.left._tag).toBe("RunnerShutdownError")
        const result = yield* withRunnerOn(file, [wf], (r) =>
          Effect.gen(function*() {
            // The rest of the hour, not a new one.
            yield* untilSleeping(20 * 60_000)
            yield* r.signal(id, "approved", "yes")
            yield* TestClock.adjust("20 minutes")
            return yield* r.result(id)
          }))
        expect(result.status).toBe("Completed")
        expect(result.finalContext).toMatchObject({ approved: "yes", done: true })
        const history = yield* withRunnerOn(file, [wf], (r) => r.history(id))
        expect(history.filter((e) => e._tag === "TaskWaiting").map((e) => e._tag === "TaskWaiting" && e.taskId).sort())
          .toEqual(["approval", "nap"])
      }))
  })
}
