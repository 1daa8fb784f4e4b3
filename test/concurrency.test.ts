/**
 * Concurrency keys: at most `limit` attempts per key at once, a task waiting for its key holds
 * no permit, limits changed at run time and seen with `runner.concurrency()`.
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Either } from "effect"
import type { RunnerService } from "sluice"
import { InvalidOptionError, Task, Workflow, WorkflowDefinitionError } from "sluice"
import { withRunner } from "./support/runner.js"
import { storageCases } from "./support/storage.js"

/** How many run at once, and the most there ever were. */
const gauge = () => {
  const g = { now: 0, max: 0 }
  return {
    g,
    around: <A, E>(body: Effect.Effect<A, E>) =>
      Effect.acquireUseRelease(
        Effect.sync(() => {
          g.now++
          g.max = Math.max(g.max, g.now)
        }),
        () => body,
        () => Effect.sync(() => void g.now--)
      )
  }
}

const until = <E>(what: string, check: () => Effect.Effect<boolean, E>) =>
  Effect.gen(function*() {
    const deadline = Date.now() + 10_000
    while (!(yield* check())) {
      if (Date.now() > deadline) return yield* Effect.die(new Error(`never happened: ${what}`))
      yield* Effect.sleep("2 millis")
    }
  })

const keyInfo = (runner: RunnerService, name: string) =>
  Effect.map(runner.concurrency(), (all) => all.filter((c) => c.name === name))

for (const storage of storageCases) {
  describe(`concurrency keys: ${storage.name}`, () => {
    it.scopedLive("a key limit of 2: never more than 2 of the key at once; the others are not held", () =>
      withRunner(storage, { maxConcurrentTasks: 8 }, (runner) =>
        Effect.gen(function*() {
          const keyed = gauge()
          const others = gauge()
          const tasks = [
            ...Array.from({ length: 20 }, (_, i) =>
              Task.make({
                id: `k${i}`,
                concurrency: { name: "tenant", key: (ctx) => ctx.get("tenant") as string, limit: 2 },
                run: () => keyed.around(Effect.sleep("5 millis"))
              })),
            ...Array.from({ length: 20 }, (_, i) =>
              Task.make({ id: `o${i}`, run: () => others.around(Effect.sleep("5 millis")) }))
          ]
          const result = yield* runner.execute(Workflow.make({ name: "keyed", tasks }), { tenant: "acme" })
          expect(result.status).toBe("Completed")
          expect(keyed.g.max).toBe(2)
          // The other tasks used the permits the key's held-back tasks did not take.
          expect(others.g.max).toBeGreaterThan(2)
          expect(yield* keyInfo(runner, "tenant")).toEqual([])
        })))

    it.scopedLive("a task waiting for its key holds no permit; a limit changed at run time takes effect", () =>
      withRunner(storage, { maxConcurrentTasks: 2 }, (runner) =>
        Effect.gen(function*() {
          const gate = yield* Deferred.make<void>()
          const keyed = gauge()
          let otherRan = false
          const tasks = [
            ...Array.from({ length: 6 }, (_, i) =>
              Task.make({
                id: `w${i}`,
                concurrency: { key: "shared", limit: 1, name: "work" },
                run: () => keyed.around(Deferred.await(gate))
              })),
            Task.make({ id: "other", run: () => void (otherRan = true) })
          ]
          const workflow = Workflow.make({ name: "gated", tasks })
          const handle = yield* runner.submit(workflow)
          yield* until("one of the key running", () =>
            Effect.map(keyInfo(runner, "work"), (i) => i[0]?.running === 1 && i[0]?.waiting === 5))
          // Five tasks wait for the key with one permit free: the other task took it.
          yield* until("the other task to run", () =>
            Effect.sync(() => otherRan))
          expect(yield* keyInfo(runner, "work")).toEqual([{
            name: "work",
            key: "shared",
            limit: 1,
            running: 1,
            waiting: 5
          }])
          yield* runner.setConcurrencyLimit("work", 2)
          yield* until("two of the key running", () => Effect.sync(() => keyed.g.now === 2))
          expect((yield* keyInfo(runner, "work"))[0]).toMatchObject({ limit: 2, running: 2, waiting: 4 })
          yield* Deferred.succeed(gate, undefined)
          expect((yield* handle.result).status).toBe("Completed")
          expect(keyed.g.max).toBe(2)
        })))

    it.scopedLive("a limit set for one key: that key only", () =>
      withRunner(storage, { maxConcurrentTasks: 8 }, (runner) =>
        Effect.gen(function*() {
          const byKey = { a: gauge(), b: gauge() }
          const tasks = Array.from({ length: 12 }, (_, i) => {
            const key = i % 2 === 0 ? "a" : "b"
            return Task.make({
              id: `t${i}`,
              concurrency: { key, limit: 4, name: "pair" },
              run: () => byKey[key].around(Effect.sleep("5 millis"))
            })
          })
          yield* runner.setConcurrencyLimit("pair", "a", 1)
          const result = yield* runner.execute(Workflow.make({ name: "pair", tasks }))
          expect(result.status).toBe("Completed")
          expect(byKey.a.g.max).toBe(1)
          expect(byKey.b.g.max).toBeGreaterThan(1)
        })))

    it.scopedLive("a cancelled execution gives its key's slots back, and its place in the queue", () =>
      withRunner(storage, { maxConcurrentTasks: 4 }, (runner) =>
        Effect.gen(function*() {
          const never = yield* Deferred.make<void>()
          const task = (id: string, run: () => unknown) =>
            Task.make({ id, concurrency: { key: "x", limit: 1, name: "single" }, run })
          const stuck = Workflow.make({
            name: "stuck",
            tasks: [task("a", () => Deferred.await(never)), task("b", () => {}), task("c", () => {})]
          })
          const handle = yield* runner.submit(stuck)
          yield* until("one running, two waiting", () =>
            Effect.map(keyInfo(runner, "single"), (i) => i[0]?.running === 1 && i[0]?.waiting === 2))
          yield* runner.cancel(handle.executionId)
          expect((yield* handle.result).status).toBe("Cancelled")
          expect(yield* keyInfo(runner, "single")).toEqual([])
          const next = yield* runner.execute(Workflow.make({ name: "next", tasks: [task("d", () => {})] }))
          expect(next.status).toBe("Completed")
        })))

    it.scopedLive("a workflow's key: at most 2 executions of a tenant at once; other tenants run beside", () =>
      withRunner(storage, { maxConcurrentTasks: 16 }, (runner) =>
        Effect.gen(function*() {
          const byTenant: Record<string, ReturnType<typeof gauge>> = { acme: gauge(), other: gauge() }
          const workflow = Workflow.make({
            name: "perTenant",
            concurrency: { key: (input) => input.tenant as string, limit: 2 },
            tasks: [
              Task.make({
                id: "first",
                run: (ctx) => byTenant[ctx.get("tenant") as string].around(Effect.sleep("5 millis"))
              }),
              Task.make({
                id: "second",
                dependencies: ["first"],
                run: (ctx) => byTenant[ctx.get("tenant") as string].around(Effect.sleep("5 millis"))
              })
            ]
          })
          const handles = []
          for (let i = 0; i < 6; i++) handles.push(yield* runner.submit(workflow, { tenant: "acme" }))
          for (let i = 0; i < 3; i++) handles.push(yield* runner.submit(workflow, { tenant: "other" }))
          for (const h of handles) expect((yield* h.result).status).toBe("Completed")
          // Two acme executions at once, each running one task at a time.
          expect(byTenant.acme.g.max).toBe(2)
          expect(byTenant.other.g.max).toBe(2)
          expect(yield* keyInfo(runner, "perTenant")).toEqual([])
          expect(() =>
            Workflow.make({
              name: "bad",
              concurrency: { key: "k", limit: 0 },
              tasks: [Task.make({ id: "x", run: () => {} })]
            })
          ).toThrow(WorkflowDefinitionError)
        })))

    it.scoped("bad concurrency options are typed errors", () =>
      withRunner(storage, {}, (runner) =>
        Effect.gen(function*() {
          for (const concurrency of [{ key: "k", limit: 0 }, { key: 7, limit: 1 }, { key: "k", limit: 1.5 }]) {
            expect(() => Task.make({ id: "x", concurrency: concurrency as never, run: () => {} })).toThrow(
              WorkflowDefinitionError
            )
          }
          for (const args of [["", 1], ["n", 0], ["n", "k", -1], ["n", "k", Number.NaN]] as const) {
            const bad = yield* Effect.either(
              (runner.setConcurrencyLimit as (...a: Array<unknown>) => Effect.Effect<void, InvalidOptionError>)(...args)
            )
            expect(Either.isLeft(bad) && bad.left).toBeInstanceOf(InvalidOptionError)
          }
        })))
  })
}
