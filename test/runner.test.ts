/** The Runner service: submit handles, events, get/list/history, concurrency, services, errors. */
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Context, Deferred, Effect, Either, Exit, Fiber, Layer, Stream } from "effect"
import type { ExecutionEvent } from "sluice"
import { RetryPolicy, Runner, Storage, Task, Workflow } from "sluice"
import { withRunner } from "./support/runner.js"
import { storageCases } from "./support/storage.js"

const diamond = () => {
  const a = Task.make({ id: "a", run: (ctx) => ctx.set("a", 1) })
  const b = Task.make({ id: "b", dependencies: [a], run: (ctx) => ctx.set("b", 2) })
  const c = Task.make({ id: "c", dependencies: [a], run: (ctx) => ctx.set("c", 3) })
  const d = Task.make({ id: "d", dependencies: [b, c], run: (ctx) => ctx.set("d", 4) })
  return Workflow.make({ name: "diamond", tasks: [a, b, c, d] })
}

/** Tasks that each wait until `expected` of them run at once: liveness shows the concurrency. */
const barrierWorkflow = (
  width: number,
  expected: number,
  observed: { now: number; max: number },
  name = `barrier_${width}_${expected}`
) =>
  Effect.map(Deferred.make<void>(), (barrier) => {
    let arrived = 0
    const tasks = Array.from({ length: width }, (_, i) =>
      Task.make({
        id: `t${i}`,
        run: () =>
          Effect.gen(function*() {
            observed.max = Math.max(observed.max, ++observed.now)
            if (++arrived === expected) yield* Deferred.succeed(barrier, undefined)
            yield* Deferred.await(barrier)
            yield* Effect.sleep("2 millis")
            observed.now--
          })
      }))
    return Workflow.make({ name, tasks })
  })

for (const storage of storageCases) {
  describe(`Runner on ${storage.name}`, () => {
    it.live("submit returns a handle: its id, its result, and all its events in order", () =>
      withRunner(storage, { workflows: [diamond()] }, (runner) =>
        Effect.gen(function*() {
          const handle = yield* runner.submit("diamond", { x: 1 })
          const result = yield* handle.result
          expect(result.executionId).toBe(handle.executionId)
          expect(result.status).toBe("Completed")
          // Subscribed after the end: the handle's stream replays from the start.
          const events = Chunk.toReadonlyArray(yield* Stream.runCollect(handle.events))
          const tags = events.map((e) =>
            e._tag === "ExecutionStarted" || e._tag === "ExecutionFinished"
              ? e._tag
              : `${e._tag}:${(e as { taskId: string }).taskId}`
          )
          expect(tags[0]).toBe("ExecutionStarted")
          expect(tags.at(-1)).toBe("ExecutionFinished")
          for (const t of ["a", "b", "c", "d"]) {
            expect(tags.indexOf(`TaskStarted:${t}`)).toBeLessThan(tags.indexOf(`TaskCompleted:${t}`))
          }
          expect(tags.indexOf("TaskCompleted:a")).toBeLessThan(tags.indexOf("TaskStarted:b"))
          expect(tags.indexOf("TaskCompleted:c")).toBeLessThan(tags.indexOf("TaskStarted:d"))
          expect(events.every((e) => e.executionId === handle.executionId)).toBe(true)
          // The same events are persisted.
          const history = yield* runner.history(handle.executionId)
          expect(history.map((e) => e._tag)).toEqual(events.map((e) => e._tag))
          expect(history).toEqual(events)
        })))

    it.live("events streams every execution's events live", () =>
      withRunner(storage, { workflows: [diamond()] }, (runner) =>
        Effect.gen(function*() {
          const seen = yield* runner.events.pipe(
            Stream.filter((e): e is Extract<ExecutionEvent, { _tag: "ExecutionFinished" }> =>
              e._tag === "ExecutionFinished"
            ),
            Stream.take(2),
            Stream.runCollect,
            Effect.fork
          )
          yield* Effect.sleep("10 millis") // let the subscription start
          const first = yield* runner.execute("diamond")
          const second = yield* runner.execute("diamond")
          const finished = Chunk.toReadonlyArray(yield* Fiber.join(seen))
          expect(finished.map((e) => e.executionId)).toEqual([first.executionId, second.executionId])
          expect(finished.map((e) => e.status)).toEqual(["Completed", "Completed"])
        })))

    it.live("get, status and list read executions back from storage", () =>
      withRunner(storage, { workflows: [diamond()] }, (runner) =>
        Effect.gen(function*() {
          const first = yield* runner.execute("diamond", { n: 1 })
          const second = yield* runner.execute("diamond", { n: 2 })
          const info = yield* runner.get(first.executionId)
          expect(info).toMatchObject({
            executionId: first.executionId,
            workflowName: "diamond",
            workflowVersion: first.workflowVersion,
            status: "Completed",
            input: { n: 1 },
            finalContext: first.finalContext,
            tasks: first.tasks,
            startedAt: first.startedAt,
            completedAt: first.completedAt,
            durationMs: first.durationMs
          })
          expect(yield* runner.status(second.executionId)).toBe("Completed")
          const listed = yield* runner.list()
          expect(listed.map((e) => e.executionId)).toEqual([second.executionId, first.executionId])
          expect(yield* runner.list({ workflowName: "other" })).toEqual([])
          const missing = yield* Effect.either(runner.get("no-such-id"))
          expect(Either.isLeft(missing) && missing.left._tag).toBe("ExecutionNotFoundError")
        })))

    it.live("runs no more than maxConcurrentTasks task bodies at once, and reaches that many", () =>
      Effect.gen(function*() {
        const observed = { now: 0, max: 0 }
        const wf = yield* barrierWorkflow(9, 3, observed)
        const result = yield* withRunner(storage, { workflows: [wf], maxConcurrentTasks: 3 }, (r) => r.execute(wf))
        expect(result.status).toBe("Completed")
        expect(observed.max).toBe(3)
      }))

    it.live("the limit holds across executions, and defaults to 4", () =>
      Effect.gen(function*() {
        const observed = { now: 0, max: 0 }
        const wf = yield* barrierWorkflow(4, 4, observed, "four_at_once")
        const wf2 = yield* barrierWorkflow(6, 1, observed, "one_by_one")
        yield* withRunner(storage, { workflows: [wf, wf2] }, (r) =>
          Effect.all([r.execute(wf), r.execute(wf2)], { concurrency: "unbounded" }))
        expect(observed.max).toBe(4)
      }))

    it.live("Effect bodies get the services provided to the runner's layer", () => {
      class Greeter extends Context.Tag("test/Greeter")<Greeter, { readonly greet: (name: string) => string }>() {}
      const greet = Task.make({
        id: "greet",
        run: (ctx) =>
          Effect.gen(function*() {
            const greeter = yield* Greeter
            ctx.set("greeting", greeter.greet(ctx.get("name") as string))
          })
      })
      const wf = Workflow.make({ name: "greeting", tasks: [greet] })
      const program = Effect.gen(function*() {
        const runner = yield* Runner
        return yield* runner.execute(wf, { name: "sluice" })
      })
      return program.pipe(
        Effect.provide(Runner.layer({ workflows: [wf] })),
        Effect.provide(Layer.succeed(Greeter, { greet: (name) => `hello, ${name}` })),
        Effect.provide(Storage.layerMemory),
        Effect.map((result) => expect(result.finalContext.greeting).toBe("hello, sluice"))
      )
    })

    it.live("an unknown workflow name is a typed error naming it", () =>
      withRunner(storage, { workflows: [diamond()] }, (runner) =>
        Effect.gen(function*() {
          const result = yield* Effect.either(runner.execute("nope"))
          expect(Either.isLeft(result) && result.left._tag).toBe("WorkflowNotFoundError")
          if (Either.isLeft(result)) expect(result.left.message).toBe("unknown workflow \"nope\" (registered: diamond)")
        })))

    it.live("bad runner options and bad storage URLs are typed errors", () =>
      Effect.gen(function*() {
        for (const maxConcurrentTasks of [0, -1, 1.5]) {
          const exit = yield* Effect.exit(withRunner(storage, { maxConcurrentTasks }, () => Effect.void))
          expect(Exit.isFailure(exit) && JSON.stringify(exit.cause)).toContain("InvalidOptionError")
        }
        for (const url of ["mysql://localhost/db", "sqlite://", "", "postgres://"]) {
          const exit = yield* Effect.exit(Effect.provide(Storage, Storage.layerFromUrl(url)))
          expect(Exit.isFailure(exit) && JSON.stringify(exit.cause)).toContain("InvalidStorageUrlError")
        }
        const badPath = yield* Effect.exit(Effect.provide(Storage, Storage.layerFromUrl("/no/such/dir/x.db")))
        expect(Exit.isFailure(badPath) && JSON.stringify(badPath.cause)).toContain("StorageError")
        const badTimeout = yield* Effect.either(
          withRunner(storage, {}, (r) => r.execute(diamond(), {}, { executionTimeout: "whenever" as never }))
        )
        expect(Either.isLeft(badTimeout) && (badTimeout.left as { _tag: string })._tag).toBe("InvalidOptionError")
      }))

    it.live("submit with an idempotency key returns the execution already made for it", () =>
      withRunner(storage, { workflows: [diamond()] }, (runner) =>
        Effect.gen(function*() {
          const first = yield* runner.submit("diamond", { n: 1 }, { idempotencyKey: "order-42" })
          const again = yield* runner.submit("diamond", { n: 2 }, { idempotencyKey: "order-42" })
          expect(again.executionId).toBe(first.executionId)
          expect((yield* again.result).finalContext).toMatchObject({ n: 1 })
          expect(yield* runner.list()).toHaveLength(1)
          const other = yield* runner.execute("diamond", {}, { idempotencyKey: "order-43" })
          expect(other.executionId).not.toBe(first.executionId)
        })))

    it.live("every attempt names the runner that ran it: results, attempts and events", () =>
      Effect.gen(function*() {
        let failures = 1
        const flaky = Task.make({
          id: "flaky",
          retry: RetryPolicy.fixed({ maxAttempts: 2, delay: "1 millis" }),
          run: () => {
            if (failures-- > 0) throw new Error("once")
          }
        })
        const after = Task.make({ id: "after", dependencies: [flaky], run: () => {} })
        const wf = Workflow.make({ name: "named_runner", tasks: [flaky, after] })
        const { attempts, history, result } = yield* withRunner(storage, { runnerId: "runner-7" }, (r) =>
          Effect.gen(function*() {
            const result = yield* r.execute(wf)
            return {
              result,
              attempts: yield* r.attempts(result.executionId),
              history: yield* r.history(result.executionId)
            }
          }))
        expect(result.tasks.map((t) => [t.id, t.runnerId])).toEqual([["flaky", "runner-7"], ["after", "runner-7"]])
        expect(attempts.map((a) => [a.taskId, a.attempt, a.runnerId])).toEqual([
          ["flaky", 1, "runner-7"],
          ["flaky", 2, "runner-7"],
          ["after", 1, "runner-7"]
        ])
        const started = history.filter((e) =>
          e._tag === "TaskStarted" || e._tag === "ExecutionStarted"
        )
        expect(started.map((e) =>
          (e as { runnerId?: string }).runnerId
        )).toEqual([
          "runner-7",
          "runner-7",
          "runner-7",
          "runner-7"
        ])
        // Without the option, a fresh name; a bad one is a typed error.
        const fresh = yield* withRunner(storage, {}, (r) => r.execute(wf))
        expect(fresh.tasks[1].runnerId).toMatch(/^runner-[0-9a-f]{8}$/)
        for (const runnerId of ["", "a b", 7]) {
          const exit = yield* Effect.exit(withRunner(storage, { runnerId: runnerId as string }, () => Effect.void))
          expect(Exit.isFailure(exit) && JSON.stringify(exit.cause)).toContain("InvalidOptionError")
        }
      }))

    it.live("register adds a workflow that can then run by name", () =>
      withRunner(storage, {}, (runner) =>
        Effect.gen(function*() {
          yield* runner.register(diamond())
          expect(yield* runner.workflows).toEqual(["diamond"])
          expect((yield* runner.execute("diamond")).status).toBe("Completed")
        })))
  })
}
