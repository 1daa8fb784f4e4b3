/**
 * `runner.rerun`: a finished execution runs again — its failed, skipped and cancelled tasks, or
 * everything downstream of a task — keeping what completed, with every attempt in its history.
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Either, TestClock } from "effect"
import type { RunnerService } from "sluice"
import { RetryPolicy, Task, Workflow } from "sluice"
import { withRunner, withRunnerOn } from "./support/runner.js"
import { persistentCases, storageCases } from "./support/storage.js"

/** extract → transform → load, and audit beside them; transform fails while `broken` is set. */
const pipeline = () => {
  const runs: Record<string, number> = {}
  const ran = (id: string) => (runs[id] = (runs[id] ?? 0) + 1)
  const flags = { broken: true, slow: false }
  const extract = Task.make({
    id: "extract",
    run: (ctx) => {
      ran("extract")
      ctx.set("rows", 3)
    }
  })
  const transform = Task.make({
    id: "transform",
    dependencies: [extract],
    run: (ctx) => {
      ran("transform")
      if (flags.broken) throw new Error("the cleaning rules are missing")
      ctx.set("clean", Number(ctx.get("rows")) - 1)
      return flags.slow ? Effect.sleep("300 millis") : undefined
    }
  })
  const load = Task.make({
    id: "load",
    dependencies: [transform],
    run: (ctx) => {
      ran("load")
      ctx.set("loaded", ctx.get("clean"))
    }
  })
  const audit = Task.make({
    id: "audit",
    run: (ctx) => {
      ran("audit")
      ctx.set("audited", true)
    }
  })
  return { runs, flags, workflow: Workflow.make({ name: "pipeline", tasks: [extract, transform, load, audit] }) }
}

const tags = (r: RunnerService, id: string) => Effect.map(r.history(id), (events) => events.map((e) => e._tag))

for (const storage of storageCases) {
  describe(`rerun: ${storage.name}`, () => {
    it.scopedLive("after fixing a failing task's cause, a rerun ends Completed with the first run's outputs kept", () =>
      Effect.gen(function*() {
        const { flags, runs, workflow } = pipeline()
        yield* withRunner(storage, { workflows: [workflow] }, (r) =>
          Effect.gen(function*() {
            const first = yield* r.execute("pipeline")
            expect(first.status).toBe("Failed")
            expect(first.tasks.map((t) => `${t.taskId}:${t.status}`)).toEqual([
              "extract:Completed",
              "audit:Completed",
              "transform:Failed",
              "load:Skipped"
            ])
            flags.broken = false
            const again = yield* r.rerun(first.executionId)
            expect(again.status).toBe("Completed")
            expect(again.executionId).toBe(first.executionId)
            expect(again.rerunTasks).toEqual(["transform", "load"])
            expect(again.finalContext).toEqual({ rows: 3, clean: 2, loaded: 2, audited: true })
            // What completed the first time did not run again.
            expect(runs).toEqual({ extract: 1, audit: 1, transform: 2, load: 1 })
            expect(again.tasks.find((t) => t.taskId === "transform")?.attempts).toBe(2)
            // The history keeps every attempt of both runs.
            const attempts = yield* r.attempts(first.executionId)
            expect(attempts.filter((a) => a.taskId === "transform").map((a) => [a.attempt, a.status])).toEqual([
              [1, "Failed"],
              [2, "Completed"]
            ])
            const history = yield* tags(r, first.executionId)
            expect(history.filter((t) => t === "ExecutionFinished")).toHaveLength(2)
            const rerunEvent = (yield* r.history(first.executionId)).find((e) => e._tag === "ExecutionRerun")
            expect(rerunEvent).toMatchObject({ tasks: ["transform", "load"] })
            expect(yield* r.status(first.executionId)).toBe("Completed")
          }))
      }))

    it.scopedLive("from a task: it and everything downstream run again, the rest keeps its outputs", () =>
      Effect.gen(function*() {
        const { flags, runs, workflow } = pipeline()
        flags.broken = false
        yield* withRunner(storage, { workflows: [workflow] }, (r) =>
          Effect.gen(function*() {
            const first = yield* r.execute("pipeline", { tag: "x" })
            expect(first.status).toBe("Completed")
            // Completed, nothing to run again: the result as it is, nothing written.
            const before = yield* r.history(first.executionId)
            const nothing = yield* r.rerun(first.executionId)
            expect(nothing.rerunTasks).toEqual([])
            expect(nothing.finalContext).toEqual(first.finalContext)
            expect(yield* r.history(first.executionId)).toEqual(before)
            const again = yield* r.rerun(first.executionId, { from: "transform" })
            expect(again.rerunTasks).toEqual(["transform", "load"])
            expect(again.status).toBe("Completed")
            expect(runs).toEqual({ extract: 1, audit: 1, transform: 2, load: 2 })
            expect(again.finalContext).toEqual(first.finalContext)
          }))
      }))

    it.scopedLive("a rerun task gets its retry policy's attempts again", () =>
      Effect.gen(function*() {
        let failures = 3
        const flaky = Task.make({
          id: "flaky",
          retry: RetryPolicy.fixed({ maxAttempts: 2, delay: "1 millis" }),
          run: () => {
            if (failures-- > 0) throw new Error("not yet")
          }
        })
        const wf = Workflow.make({ name: "flaky", tasks: [flaky] })
        yield* withRunner(storage, { workflows: [wf] }, (r) =>
          Effect.gen(function*() {
            const first = yield* r.execute("flaky")
            expect(first.tasks[0]).toMatchObject({ status: "Failed", attempts: 2 })
            // Fails once more (attempt 3), then its retry (attempt 4) passes.
            const again = yield* r.rerun(first.executionId)
            expect(again.tasks[0]).toMatchObject({ status: "Completed", attempts: 4 })
          }))
      }))

    it.effect("an execution timeout is counted again from the rerun", () =>
      Effect.gen(function*() {
        const { flags, workflow } = pipeline()
        yield* withRunner(storage, { workflows: [workflow] }, (r) =>
          Effect.gen(function*() {
            const first = yield* r.execute("pipeline", {}, { executionTimeout: "1 hour" })
            expect(first.status).toBe("Failed")
            yield* TestClock.adjust("2 hours")
            flags.broken = false
            const again = yield* r.rerun(first.executionId)
            expect(again).toMatchObject({ status: "Completed", rerunTasks: ["transform", "load"] })
          }))
      }))

    it.scopedLive("a cancelled execution runs again; bad reruns are typed errors that write nothing", () =>
      Effect.gen(function*() {
        const gate = yield* Deferred.make<void>()
        const started = yield* Deferred.make<void>()
        const waits = Workflow.make({
          name: "waits",
          tasks: [
            Task.make({
              id: "w",
              run: () => Effect.zipRight(Deferred.succeed(started, undefined), Deferred.await(gate))
            }),
            Task.make({ id: "after", dependencies: ["w"], run: (ctx) => ctx.set("after", 1) })
          ]
        })
        yield* withRunner(storage, { workflows: [waits] }, (r) =>
          Effect.gen(function*() {
            const handle = yield* r.submit("waits")
            yield* Deferred.await(started)
            const running = yield* Effect.flip(r.rerun(handle.executionId))
            expect(running).toMatchObject({ _tag: "RerunError", reason: "NotFinished" })
            yield* r.cancel(handle.executionId)
            expect((yield* handle.result).status).toBe("Cancelled")
            const unknownTask = yield* Effect.flip(r.rerun(handle.executionId, { from: "nope" }))
            expect(unknownTask).toMatchObject({ _tag: "RerunError", reason: "UnknownTask" })
            expect((yield* Effect.flip(r.rerun("no-such-execution")))._tag).toBe("ExecutionNotFoundError")
            yield* Deferred.succeed(gate, undefined)
            // Two reruns at once: one runs it, the other finds it running.
            const both = yield* Effect.all(
              [r.rerun(handle.executionId), r.rerun(handle.executionId)].map(Effect.either),
              { concurrency: 2 }
            )
            const done = both.filter(Either.isRight).map((e) => e.right)
            expect(done).toHaveLength(1)
            expect(done[0]).toMatchObject({ status: "Completed", rerunTasks: ["w", "after"] })
            expect(both.filter(Either.isLeft).map((e) => e.left)).toMatchObject([{ reason: "NotFinished" }])
          }))
      }))
  })
}

for (const storage of persistentCases) {
  describe(`rerun after a restart: ${storage.name}`, () => {
    it.scopedLive("another runner on the same storage reruns a failed execution on its version", () =>
      Effect.gen(function*() {
        const layer = yield* storage.persistent!
        const { flags, runs, workflow } = pipeline()
        const failed = yield* withRunnerOn(layer, [workflow], (r) => r.execute("pipeline"))
        expect(failed.status).toBe("Failed")
        flags.broken = false
        const again = yield* withRunnerOn(layer, [workflow], (r) => r.rerun(failed.executionId))
        expect(again).toMatchObject({ status: "Completed", rerunTasks: ["transform", "load"] })
        expect(again.finalContext).toEqual({ rows: 3, clean: 2, loaded: 2, audited: true })
        expect(runs).toEqual({ extract: 1, audit: 1, transform: 2, load: 1 })
        const read = yield* withRunnerOn(layer, [], (r) => r.get(failed.executionId))
        expect(read.status).toBe("Completed")
        expect(read.finalContext).toEqual(again.finalContext)
      }))
  })
}

const postgres = persistentCases.find((c) => c.name === "postgres")
describe.runIf(postgres !== undefined)("rerun on runners sharing PostgreSQL", () => {
  it.scopedLive("two runners rerunning one execution at once: it runs again once", () =>
    Effect.gen(function*() {
      const layer = yield* postgres!.persistent!
      const { flags, runs, workflow } = pipeline()
      const failed = yield* withRunnerOn(layer, [workflow], (r) => r.execute("pipeline"))
      flags.broken = false
      // Slow: the execution is still running when the other rerun reads it.
      flags.slow = true
      const both = yield* withRunnerOn(layer, [workflow], (a) =>
        withRunnerOn(layer, [workflow], (b) =>
          Effect.all([a.rerun(failed.executionId), b.rerun(failed.executionId)].map(Effect.either), {
            concurrency: 2
          })))
      const done = both.filter(Either.isRight).map((e) =>
        e.right
      )
      expect(done).toHaveLength(1)
      expect(done[0]).toMatchObject({ status: "Completed", rerunTasks: ["transform", "load"] })
      expect(
        both.filter(Either.isLeft).map((e) =>
          e.left
        )
      ).toMatchObject([{ reason: "NotFinished" }])
      expect(runs).toEqual({ extract: 1, audit: 1, transform: 2, load: 1 })
    }))

  it.scopedLive("a runner that runs no task leaves the rerun to a worker", () =>
    Effect.gen(function*() {
      const layer = yield* postgres!.persistent!
      const { flags, workflow } = pipeline()
      const again = yield* withRunnerOn(layer, { workflows: [workflow], runnerId: "worker" }, () =>
        withRunnerOn(layer, { workflows: [workflow], runnerId: "front", worker: false }, (front) =>
          Effect.gen(function*() {
            const failed = yield* front.execute("pipeline")
            expect(failed.status).toBe("Failed")
            flags.broken = false
            return yield* front.rerun(failed.executionId)
          })))
      expect(again).toMatchObject({ status: "Completed", rerunTasks: ["transform", "load"] })
      expect(again.tasks.map((t) =>
        t.runnerId
      )).not.toContain("front")
    }))
})
