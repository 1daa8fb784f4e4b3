/**
 * Priorities: a task's `priority` orders the ready tasks of its execution; `submit`'s `priority`
 * orders executions waiting for the runner's permits; `depthFirst` finishes started executions
 * before starting new ones. One permit makes the order visible.
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Either } from "effect"
import { InvalidOptionError, Task, Workflow, WorkflowDefinitionError } from "sluice"
import { trace, withRunner } from "./support/runner.js"
import { storageCases } from "./support/storage.js"

/** A workflow whose one task holds the runner's only permit until the gate opens. */
const holding = Effect.map(Deferred.make<void>(), (gate) => ({
  gate,
  blocker: Workflow.make({ name: "blocker", tasks: [Task.make({ id: "hold", run: () => Deferred.await(gate) })] })
}))

for (const storage of storageCases) {
  describe(`priorities: ${storage.name}`, () => {
    it.scoped("a task's priority orders the ready tasks of its execution (ties: declaration order)", () =>
      withRunner(storage, { maxConcurrentTasks: 1 }, (runner) =>
        Effect.gen(function*() {
          const { add, lines } = trace()
          const root = Task.make({ id: "root", run: () => add("root") })
          const children = [["low", 1], ["top", 5], ["mid", 3], ["none", 0], ["mid2", 3]].map(([id, priority]) =>
            Task.make({
              id: id as string,
              dependencies: [root],
              priority: priority as number,
              run: () => add(id as string)
            })
          )
          const result = yield* runner.execute(Workflow.make({ name: "ranked", tasks: [root, ...children] }))
          expect(result.status).toBe("Completed")
          expect(lines).toEqual(["root", "top", "mid", "mid2", "low", "none"])
        })))

    it.scoped("submit's priority: executions waiting for a permit are served highest first", () =>
      withRunner(storage, { maxConcurrentTasks: 1 }, (runner) =>
        Effect.gen(function*() {
          const { add, lines } = trace()
          const { blocker, gate } = yield* holding
          const job = Workflow.make({
            name: "job",
            tasks: [Task.make({ id: "work", run: (ctx) => add(ctx.get("name") as string) })]
          })
          const held = yield* runner.submit(blocker)
          const handles = []
          for (const [name, priority] of [["low", 0], ["high", 10], ["mid", 5], ["low2", 0]] as const) {
            handles.push(yield* runner.submit(job, { name }, { priority }))
          }
          yield* Deferred.succeed(gate, undefined)
          yield* held.result
          for (const h of handles) expect((yield* h.result).status).toBe("Completed")
          expect(lines).toEqual(["high", "mid", "low", "low2"])
        })))

    it.scoped("depthFirst: started executions finish before new ones start", () =>
      withRunner(storage, { maxConcurrentTasks: 1, depthFirst: true }, (runner) =>
        Effect.gen(function*() {
          const { add, lines } = trace()
          const gate = yield* Deferred.make<void>()
          const step = (i: number, deps: Array<Task.Task<never>>) =>
            Task.make({
              id: `s${i}`,
              dependencies: deps,
              run: (ctx) =>
                Effect.gen(function*() {
                  if (i === 1 && ctx.get("name") === "a") yield* Deferred.await(gate)
                  add(`${ctx.get("name")}${i}`)
                })
            })
          const s1 = step(1, [])
          const s2 = step(2, [s1])
          const chain = Workflow.make({ name: "chain", tasks: [s1, s2, step(3, [s2])] })
          const handles = [yield* runner.submit(chain, { name: "a" })]
          for (const name of ["b", "c"]) handles.push(yield* runner.submit(chain, { name }))
          yield* Deferred.succeed(gate, undefined)
          for (const h of handles) expect((yield* h.result).status).toBe("Completed")
          expect(lines).toEqual(["a1", "a2", "a3", "b1", "b2", "b3", "c1", "c2", "c3"])
        })))

    it.scoped("fairness: a lone tenant's execution waits one turn behind a flooding tenant, not ten", () =>
      withRunner(storage, { maxConcurrentTasks: 1 }, (runner) =>
        Effect.gen(function*() {
          const { add, lines } = trace()
          const { blocker, gate } = yield* holding
          const job = Workflow.make({
            name: "tenantJob",
            concurrency: { key: (input) => input.tenant as string, limit: 1_000 },
            tasks: [Task.make({ id: "work", run: (ctx) => add(`${ctx.get("tenant")}${ctx.get("n")}`) })]
          })
          const held = yield* runner.submit(blocker)
          const handles = []
          for (let n = 0; n < 10; n++) handles.push(yield* runner.submit(job, { tenant: "flood", n }))
          handles.push(yield* runner.submit(job, { tenant: "lone", n: 0 }))
          // Every execution has its key's slot (on PostgreSQL a round trip away) and waits for
          // the permit: only then does the gate open.
          for (;;) {
            const keys = yield* runner.concurrency()
            if (keys.reduce((n, k) => n + k.running, 0) === 11) break
            yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 5)))
          }
          yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 50)))
          yield* Deferred.succeed(gate, undefined)
          yield* held.result
          for (const h of handles) expect((yield* h.result).status).toBe("Completed")
          expect(lines.slice(0, 3)).toEqual(["flood0", "lone0", "flood1"])
        })))

    it.scoped("bad priorities and depthFirst are typed errors", () =>
      withRunner(storage, {}, (runner) =>
        Effect.gen(function*() {
          expect(() => Task.make({ id: "x", priority: Number.NaN, run: () => {} })).toThrow(WorkflowDefinitionError)
          const job = Workflow.make({ name: "job", tasks: [Task.make({ id: "x", run: () => {} })] })
          const bad = yield* Effect.either(runner.submit(job, {}, { priority: Infinity }))
          expect(Either.isLeft(bad) && bad.left).toBeInstanceOf(InvalidOptionError)
          const badRunner = yield* Effect.either(
            withRunner(storage, { depthFirst: "yes" as unknown as boolean }, () => Effect.void)
          )
          expect(Either.isLeft(badRunner) && badRunner.left).toBeInstanceOf(InvalidOptionError)
        })))
  })
}
