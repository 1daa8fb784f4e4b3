/**
 * Faults stay where they happen: concurrent submits with one idempotency key make one execution
 * and leave every other execution alone; a commit that fails (for good, or as a defect) ends its
 * own execution promptly with a typed error, and only it; a commit that fails for a transient
 * reason is retried without running any body again.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer } from "effect"
import type { Batch, StorageService } from "sluice"
import { Runner, Storage, StorageError, Task, Workflow } from "sluice"
import { storageCases } from "../support/storage.js"

const counted = () => {
  const runs = new Map<string, number>()
  const task = (id: string, dependencies: ReadonlyArray<string> = []) =>
    Task.make({
      id,
      dependencies,
      run: (ctx) => {
        const key = `${ctx.executionId}/${id}`
        runs.set(key, (runs.get(key) ?? 0) + 1)
        ctx.set(id, true)
      }
    })
  const workflow = Workflow.make({
    name: "five",
    tasks: [task("a"), task("b", ["a"]), task("c", ["a"]), task("d", ["a"]), task("e", ["b", "c", "d"])]
  })
  return { runs, workflow }
}

/** A storage that delegates, except that `decide` may replace a commit's outcome. */
const wrapped = (
  underlying: Layer.Layer<Storage, unknown>,
  decide: (batch: Batch, n: number) => Effect.Effect<void, StorageError> | undefined
) =>
  Layer.effect(
    Storage,
    Effect.map(Storage, (storage): StorageService => {
      let n = 0
      return { ...storage, commit: (batch) => Effect.suspend(() => decide(batch, ++n) ?? storage.commit(batch)) }
    })
  ).pipe(Layer.provide(underlying))

const touches = (batch: Batch, executionId: string) =>
  batch.rounds.some((r) => r.executionId === executionId) ||
  batch.executionUpdates.some((u) => u.id === executionId)

for (const storage of storageCases) {
  describe(`faults stay where they happen: ${storage.name}`, () => {
    it.live("20 concurrent submits with one key: one execution, each caller its handle; 50 others complete", () => {
      const { runs, workflow } = counted()
      return Effect.gen(function*() {
        const runner = yield* Runner
        const [keyed, others] = yield* Effect.all([
          Effect.forEach(
            Array.from({ length: 20 }, (_, i) => i),
            (i) => runner.submit(workflow, { i }, { idempotencyKey: "order-42" }),
            { concurrency: "unbounded" }
          ),
          Effect.forEach(Array.from({ length: 50 }, (_, i) => i), (i) => runner.execute(workflow, { other: i }), {
            concurrency: "unbounded"
          })
        ], { concurrency: "unbounded" })
        const ids = new Set(keyed.map((h) => h.executionId))
        expect(ids.size).toBe(1)
        const results = yield* Effect.forEach(keyed, (h) => h.result)
        expect(new Set(results.map((r) => r.executionId))).toEqual(ids)
        expect(results.every((r) => r.status === "Completed")).toBe(true)
        expect(others.map((r) => r.status)).toEqual(Array(50).fill("Completed"))
        expect((yield* runner.list()).length).toBe(51)
        // Every body of the keyed execution ran once.
        const [id] = ids
        for (const t of ["a", "b", "c", "d", "e"]) expect(runs.get(`${id}/${t}`)).toBe(1)
      }).pipe(
        Effect.provide(
          Runner.layer({ workflows: [workflow], maxConcurrentTasks: 8 }).pipe(Layer.provide(storage.layer))
        )
      )
    })

    it.live("a commit that fails for good ends its execution promptly with that error; the others complete", () => {
      const { workflow } = counted()
      let victim = ""
      const layer = wrapped(
        storage.layer,
        (batch) =>
          victim !== "" && touches(batch, victim) && batch.rounds.length + batch.executionUpdates.length > 0
            ? Effect.fail(new StorageError({ operation: "commit", cause: new Error("CHECK constraint failed") }))
            : undefined
      )
      return Effect.gen(function*() {
        const runner = yield* Runner
        const handles = yield* Effect.forEach(
          Array.from({ length: 10 }, (_, i) => i),
          (i) => runner.submit(workflow, { i })
        )
        victim = handles[3].executionId
        const exits = yield* Effect.forEach(handles, (h) => Effect.exit(h.result)).pipe(Effect.timeout("10 seconds"))
        const failed = exits[3]
        expect(Exit.isFailure(failed) && String(failed.cause)).toContain("CHECK constraint failed")
        for (const [i, exit] of exits.entries()) {
          if (i !== 3) expect(Exit.isSuccess(exit) && exit.value.status).toBe("Completed")
        }
      }).pipe(Effect.provide(Runner.layer({ workflows: [workflow], maxConcurrentTasks: 4 }).pipe(Layer.provide(layer))))
    })

    it.live("a defect in storage settles the execution promptly with ExecutionAbortedError", () => {
      const { workflow } = counted()
      const layer = wrapped(
        storage.layer,
        (_batch, n) => (n === 3 ? Effect.die(new RangeError("Invalid string length")) : undefined)
      )
      return Effect.gen(function*() {
        const runner = yield* Runner
        const error = yield* Effect.flip(runner.execute(workflow)).pipe(Effect.timeout("10 seconds"))
        expect(error._tag).toBe("ExecutionAbortedError")
        expect(error.message).toContain("Invalid string length")
        // The runner goes on: the next execution completes.
        expect((yield* runner.execute(workflow)).status).toBe("Completed")
      }).pipe(Effect.provide(Runner.layer({ workflows: [workflow] }).pipe(Layer.provide(layer))))
    })

    it.live("a commit that fails for a transient reason is retried; no body runs twice", () => {
      const { runs, workflow } = counted()
      const layer = wrapped(storage.layer, (_batch, n) =>
        n === 3 || n === 4
          ? Effect.fail(new StorageError({ operation: "commit", cause: new Error("SQLITE_BUSY"), transient: "busy" }))
          : undefined)
      return Effect.gen(function*() {
        const runner = yield* Runner
        const result = yield* runner.execute(workflow)
        expect(result.status).toBe("Completed")
        for (const t of ["a", "b", "c", "d", "e"]) expect(runs.get(`${result.executionId}/${t}`)).toBe(1)
        expect(result.tasks.every((t) => t.attempts === 1)).toBe(true)
      }).pipe(Effect.provide(Runner.layer({ workflows: [workflow] }).pipe(Layer.provide(layer))))
    })

    it.live("a submit interrupted while storage is slow leaves nothing behind: the key and the permits are free", () => {
      const { workflow } = counted()
      let slow = true
      const layer = wrapped(
        storage.layer,
        () => (slow ? Effect.zipRight(Effect.sleep("300 millis"), Effect.void) : undefined)
      )
      return Effect.gen(function*() {
        const runner = yield* Runner
        const first = yield* Effect.exit(
          runner.execute(workflow, {}, { idempotencyKey: "slow-1" }).pipe(Effect.timeout("50 millis"))
        )
        expect(Exit.isFailure(first)).toBe(true)
        slow = false
        // The same key again: the execution it names, or a new one, but an answer.
        const again = yield* runner.execute(workflow, {}, { idempotencyKey: "slow-1" }).pipe(
          Effect.catchTag("ExecutionAbortedError", () => runner.execute(workflow, {}, { idempotencyKey: "slow-2" })),
          Effect.timeout("10 seconds")
        )
        expect(again.status).toBe("Completed")
        // Every permit is back: 8 tasks at once still run, with 8 permits.
        const wide = Workflow.make({
          name: "wide",
          tasks: Array.from({ length: 8 }, (_, i) => Task.make({ id: `w${i}`, run: () => Effect.sleep("10 millis") }))
        })
        expect((yield* runner.execute(wide).pipe(Effect.timeout("10 seconds"))).status).toBe("Completed")
      }).pipe(Effect.provide(Runner.layer({ workflows: [workflow], maxConcurrentTasks: 8 }).pipe(Layer.provide(layer))))
    })
  })
}
