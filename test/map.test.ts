/**
 * `Task.map`: a durable fan-out whose width the data decides. Each item runs on its own
 * (retried, recorded); the results, in item order, are the task's output under its id.
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect } from "effect"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import type { RunnerService } from "sluice"
import { RetryPolicy, Task, Workflow } from "sluice"
import { readLines, spawnScript, until } from "./support/processes.js"
import { withRunner, withRunnerOn } from "./support/runner.js"
import { persistentCases, storageCases, tempDir } from "./support/storage.js"

const list = Task.make({
  id: "list",
  run: (ctx) => ctx.set("numbers", Array.from({ length: Number(ctx.get("n") ?? 100) }, (_, i) => i))
})

for (const storage of storageCases) {
  describe(`Task.map: ${storage.name}`, () => {
    it.scopedLive("runs once per item, at most `concurrency` at once; results in item order under its id", () =>
      Effect.gen(function*() {
        let running = 0
        let most = 0
        const square = Task.map({
          id: "squares",
          dependencies: [list],
          over: (ctx) => ctx.get("numbers") as Array<number>,
          concurrency: 4,
          run: (n: number) =>
            Effect.gen(function*() {
              most = Math.max(most, ++running)
              yield* Effect.sleep(`${n % 3} millis`)
              running--
              return n * n
            })
        })
        const sum = Task.make({
          id: "sum",
          dependencies: [square],
          run: (ctx) => ctx.set("sum", (ctx.get("squares") as Array<number>).reduce((a, b) => a + b, 0))
        })
        const wf = Workflow.make({ name: "squares", tasks: [list, square, sum] })
        const result = yield* withRunner(storage, { workflows: [wf] }, (r) => r.execute("squares", { n: 100 }))
        expect(result.status).toBe("Completed")
        const squares = result.finalContext.squares as Array<number>
        expect(squares).toEqual(Array.from({ length: 100 }, (_, i) => i * i))
        expect(result.finalContext.sum).toBe(328350)
        expect(most).toBeLessThanOrEqual(4)
        expect(most).toBeGreaterThan(1)
      }))

    it.scopedLive("items run under the runner's permits, shared with its tasks", () =>
      Effect.gen(function*() {
        let running = 0
        let most = 0
        const busy = <A>(body: Effect.Effect<A>) =>
          Effect.gen(function*() {
            most = Math.max(most, ++running)
            const a = yield* body
            running--
            return a
          })
        const items = Task.map({
          id: "items",
          over: () => Array.from({ length: 30 }, (_, i) => i),
          concurrency: 8,
          run: (n: number) => busy(Effect.as(Effect.sleep("2 millis"), n))
        })
        const beside = Array.from({ length: 4 }, (_, i) =>
          Task.make({ id: `beside${i}`, run: () => busy(Effect.sleep("5 millis")) }))
        const wf = Workflow.make({ name: "permits", tasks: [items, ...beside] })
        const result = yield* withRunner(storage, { workflows: [wf], maxConcurrentTasks: 3 }, (r) =>
          r.execute(wf))
        expect(result.status).toBe("Completed")
        expect(result.finalContext.items).toEqual(Array.from({ length: 30 }, (_, i) => i))
        expect(most).toBe(3)
      }))

    it.scopedLive("every permit comes back: after a cancel, after failFast, and while an item waits to retry", () =>
      Effect.gen(function*() {
        // Two tasks that finish only when both run at once: it needs both permits of the runner.
        const both = (name: string) =>
          Effect.gen(function*() {
            const met = yield* Deferred.make<void>()
            let arrived = 0
            const meet = () =>
              Effect.zipRight(
                Effect.sync(() => ++arrived === 2 ? Deferred.unsafeDone(met, Effect.void) : undefined),
                Deferred.await(met)
              )
            return Workflow.make({
              name,
              tasks: [Task.make({ id: "x", run: meet }), Task.make({ id: "y", run: meet })]
            })
          })
        const wide = (failFast: boolean, run: (n: number) => unknown) =>
          Workflow.make({
            name: `wide-${failFast}`,
            tasks: [
              Task.make({ id: "beside", run: () => Effect.never }),
              Task.map({
                id: "items",
                over: () => Array.from({ length: 50 }, (_, i) => i),
                concurrency: 4,
                failFast,
                run
              })
            ]
          })
        const cancelled = wide(false, () => Effect.never)
        const failing = wide(true, (n) => n === 5 ? Effect.fail(new Error("five")) : Effect.sleep("2 millis"))
        const [p1, p2, p3] = [yield* both("p1"), yield* both("p2"), yield* both("p3")]
        const backoff = Workflow.make({
          name: "backoff",
          tasks: [
            Task.map({
              id: "items",
              over: () => [0, 1],
              concurrency: 2,
              retry: RetryPolicy.fixed({ maxAttempts: 2, delay: "1 hour" }),
              run: () => Effect.fail(new Error("down"))
            })
          ]
        })
        const probe = (r: RunnerService, wf: Workflow.Workflow<never>) =>
          Effect.map(Effect.either(Effect.timeout(r.execute(wf), "5 seconds")), (e) => e._tag)
        const workflows = [cancelled, failing, p1, p2, p3, backoff]
        yield* withRunner(storage, { workflows, maxConcurrentTasks: 2 }, (r) =>
          Effect.gen(function*() {
            const h = yield* r.submit(cancelled)
            yield* Effect.sleep("50 millis")
            yield* r.cancel(h.executionId)
            expect((yield* h.result).status).toBe("Cancelled")
            expect(yield* probe(r, p1)).toBe("Right")
            const f = yield* r.submit(failing)
            yield* Effect.sleep("100 millis")
            yield* r.cancel(f.executionId)
            expect(yield* probe(r, p2)).toBe("Right")
            // Both items wait an hour to retry: they hold no permit meanwhile.
            yield* r.submit(backoff)
            yield* Effect.sleep("50 millis")
            expect(yield* probe(r, p3)).toBe("Right")
          }))
      }))

    it.scopedLive("a wide map does not starve its execution's other tasks", () =>
      Effect.gen(function*() {
        let lastItemAt = 0
        let bAt = 0
        const m = Task.map({
          id: "m",
          over: () => Array.from({ length: 200 }, (_, i) => i),
          concurrency: 8,
          run: (n: number) =>
            Effect.as(Effect.zipRight(Effect.sleep("3 millis"), Effect.sync(() => lastItemAt = Date.now())), n)
        })
        const a = Task.make({ id: "a", run: () => Effect.sleep("20 millis") })
        const b = Task.make({ id: "b", dependencies: [a], run: () => void (bAt = Date.now()) })
        const wf = Workflow.make({ name: "starve", tasks: [a, m, b] })
        yield* withRunner(storage, { workflows: [wf], maxConcurrentTasks: 2 }, (r) => r.execute(wf))
        expect(bAt).toBeGreaterThan(0)
        expect(bAt).toBeLessThan(lastItemAt)
      }))

    it.scopedLive("an item failing twice then succeeding is retried on its own", () =>
      Effect.gen(function*() {
        const tries = new Map<number, number>()
        const flaky = Task.map({
          id: "flaky",
          over: () => [0, 1, 2, 3],
          retry: RetryPolicy.fixed({ maxAttempts: 3, delay: "1 millis" }),
          run: (n: number) => {
            const t = (tries.get(n) ?? 0) + 1
            tries.set(n, t)
            if (n === 2 && t < 3) throw new Error(`not yet (${t})`)
            return `item ${n}`
          }
        })
        const wf = Workflow.make({ name: "flaky-map", tasks: [flaky] })
        const result = yield* withRunner(storage, { workflows: [wf] }, (r) => r.execute("flaky-map"))
        expect(result.status).toBe("Completed")
        expect(result.finalContext.flaky).toEqual(["item 0", "item 1", "item 2", "item 3"])
        expect([...tries.entries()].sort()).toEqual([[0, 1], [1, 1], [2, 3], [3, 1]])
      }))

    it.scopedLive("a failed item fails the task after the others finish, or at once with failFast", () =>
      Effect.gen(function*() {
        const ran: Array<number> = []
        const make = (failFast: boolean) =>
          Workflow.make({
            name: `bad-item-${failFast}`,
            tasks: [
              Task.map({
                id: "items",
                over: () => Array.from({ length: 20 }, (_, i) => i),
                concurrency: 1,
                failFast,
                run: (n: number) => {
                  ran.push(n)
                  if (n === 3) throw new Error("item three is broken")
                  return n
                }
              })
            ]
          })
        const [all, fast] = [make(false), make(true)]
        yield* withRunner(storage, { workflows: [all, fast] }, (r) =>
          Effect.gen(function*() {
            const waited = yield* r.execute(all)
            expect(waited.status).toBe("Failed")
            expect(waited.tasks[0].error).toContain("1 of 20 items failed: item 3: item three is broken")
            expect(ran).toHaveLength(20)
            ran.length = 0
            const stopped = yield* r.execute(fast)
            expect(stopped.status).toBe("Failed")
            expect(ran).toEqual([0, 1, 2, 3])
          }))
      }))
  })
}

for (const storage of persistentCases) {
  describe(`Task.map across a restart: ${storage.name}`, () => {
    it.scopedLive("after a stop half-way, only the items not recorded run again", () =>
      Effect.gen(function*() {
        const layer = yield* storage.persistent!
        const ran: Array<number> = []
        const halfway = yield* Deferred.make<void>()
        const make = (block: boolean) =>
          Workflow.make({
            name: "halves",
            tasks: [
              Task.map({
                id: "items",
                over: () => Array.from({ length: 1000 }, (_, i) => i),
                concurrency: 10,
                run: (n: number) =>
                  Effect.gen(function*() {
                    // The first runner stops at item 500: those after it never end there.
                    if (block && n >= 500) {
                      yield* Deferred.succeed(halfway, undefined)
                      return yield* Effect.never
                    }
                    ran.push(n)
                    return n
                  })
              })
            ]
          })
        const id = yield* withRunnerOn(layer, [make(true)], (r) =>
          Effect.gen(function*() {
            const handle = yield* r.submit("halves")
            yield* Deferred.await(halfway)
            // Let the last results reach a commit.
            yield* Effect.sleep("200 millis")
            return handle.executionId
          }))
        expect(ran.length).toBe(500)
        ran.length = 0
        const result = yield* withRunnerOn(layer, [make(false)], (r) => r.result(id))
        expect(result.status).toBe("Completed")
        expect(result.finalContext.items).toEqual(Array.from({ length: 1000 }, (_, i) => i))
        // Only the unfinished half ran again.
        expect(ran.sort((a, b) => a - b)).toEqual(Array.from({ length: 500 }, (_, i) => 500 + i))
      }))
  })
}

describe("Task.map in a killed process", () => {
  const worker = fileURLToPath(new URL("./fixtures/map-worker.ts", import.meta.url))
  it.scopedLive("SIGKILL half-way: the next process runs only the items not recorded", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const db = join(dir, "map.db")
      const ledger = join(dir, "ledger.txt")
      const ended = () => readLines(ledger).filter(([kind]) => kind === "end").map(([, i]) => Number(i))
      const first = spawnScript(worker, [db, ledger, "start"])
      yield* until("half the items", () => ended().length >= 500)
      first.process.kill("SIGKILL")
      const exit = yield* Effect.promise(() => first.exited)
      expect(exit.signal).toBe("SIGKILL")
      const endedBefore = new Set(ended())
      const linesBefore = readLines(ledger).length
      expect(endedBefore.size).toBeGreaterThanOrEqual(500)
      expect(endedBefore.size).toBeLessThan(1000)

      const second = spawnScript(worker, [db, ledger, "resume"])
      const secondExit = yield* Effect.promise(() => second.exited)
      expect(second.stderr()).toBe("")
      expect(secondExit.code).toBe(0)
      expect(second.stdout()).toContain("RESULT Completed 1000 in-order")
      const startedAfter = readLines(ledger).slice(linesBefore).filter(([kind]) => kind === "start").map(([, i]) =>
        Number(i)
      )
      // Every item that had not ended ran in the second process…
      for (let i = 0; i < 1000; i++) if (!endedBefore.has(i)) expect(startedAfter).toContain(i)
      // …and of those that had, only the few whose end was not yet committed (one round's worth).
      const again = startedAfter.filter((i) => endedBefore.has(i))
      expect(again.length).toBeLessThanOrEqual(50)
      expect(startedAfter.length).toBeLessThan(1000 - endedBefore.size + 51)
    }), 120_000)
})
