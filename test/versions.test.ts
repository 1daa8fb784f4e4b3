/**
 * Version pinning: an execution runs to its end on the workflow version it started with. A
 * runner registers several versions of one name (new executions take the last one); an
 * unfinished execution whose version no runner has is left as it is, and said so.
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Either, Layer, Logger } from "effect"
import type { RunnerService, Storage } from "sluice"
import { Task, Workflow, WorkflowDefinitionError } from "sluice"
import { withRunnerOn } from "./support/runner.js"
import { persistentCases } from "./support/storage.js"

/** Version 1: extract → load. Version 2: extract → clean → load, and a different load. */
const versions = (gate: Deferred.Deferred<void>, started: Deferred.Deferred<void>) => {
  const extract = Task.make({
    id: "extract",
    run: (ctx) =>
      Effect.zipRight(
        Deferred.succeed(started, undefined),
        Effect.as(Deferred.await(gate), ctx.set("rows", 3))
      )
  })
  const load1 = Task.make({ id: "load", dependencies: [extract], run: (ctx) => ctx.set("loadedBy", "v1") })
  const clean = Task.make({ id: "clean", dependencies: [extract], run: (ctx) => ctx.set("cleaned", true) })
  const load2 = Task.make({ id: "load", dependencies: [clean], run: (ctx) => ctx.set("loadedBy", "v2") })
  return {
    v1: Workflow.make({ name: "etl", tasks: [extract, load1] }),
    v2: Workflow.make({ name: "etl", tasks: [extract, clean, load2] })
  }
}

/** Starts an execution of v1 and shuts its runner down while `extract` runs. */
const leftOnV1 = (layer: Layer.Layer<Storage, unknown>) =>
  Effect.gen(function*() {
    const started = yield* Deferred.make<void>()
    const { v1 } = versions(yield* Deferred.make<void>(), started)
    return yield* withRunnerOn(layer, [v1], (r) =>
      Effect.gen(function*() {
        const handle = yield* r.submit("etl")
        yield* Deferred.await(started)
        return handle.executionId
      }))
  })

/** Opened gates: a restarted runner's bodies run through. */
const opened = Effect.gen(function*() {
  const gate = yield* Deferred.make<void>()
  yield* Deferred.succeed(gate, undefined)
  return versions(gate, yield* Deferred.make<void>())
})

for (const storage of persistentCases) {
  describe(`version pinning: ${storage.name}`, () => {
    it.scopedLive("an execution started on v1 finishes on v1 after a restart with v1 and v2 registered", () =>
      Effect.gen(function*() {
        const layer = yield* storage.persistent!
        const id = yield* leftOnV1(layer)
        const { v1, v2 } = yield* opened
        expect(v1.version).not.toBe(v2.version)
        yield* withRunnerOn(layer, [v1, v2], (r: RunnerService) =>
          Effect.gen(function*() {
            const result = yield* r.result(id)
            expect(result.status).toBe("Completed")
            expect(result.workflowVersion).toBe(v1.version)
            expect(result.tasks.map((t) => t.taskId)).toEqual(["extract", "load"])
            expect(result.finalContext).toEqual({ rows: 3, loadedBy: "v1" })
            // New executions take the last registered version.
            const fresh = yield* r.execute("etl")
            expect(fresh.workflowVersion).toBe(v2.version)
            expect(fresh.finalContext).toEqual({ rows: 3, cleaned: true, loadedBy: "v2" })
          }))
      }))

    it.scopedLive("a v1 execution with only v2 registered is reported and left untouched", () =>
      Effect.gen(function*() {
        const layer = yield* storage.persistent!
        const id = yield* leftOnV1(layer)
        const { v1, v2 } = yield* opened
        const warnings: Array<string> = []
        const logger = Logger.make(({ logLevel, message }) => {
          if (logLevel._tag === "Warning") warnings.push(String(message))
        })
        yield* withRunnerOn(layer, [v2], (r: RunnerService) =>
          Effect.gen(function*() {
            const before = yield* r.history(id)
            const [listed] = (yield* r.list()).filter((e) => e.executionId === id)
            expect(listed.status).toBe("Running")
            expect(listed.stranded).toContain(`version ${v1.version} of workflow "etl"`)
            expect((yield* r.get(id)).stranded).toBe(listed.stranded)
            const error = yield* Effect.flip(r.result(id))
            expect(error._tag).toBe("ExecutionNotRunnableError")
            expect(error.message).toContain(v1.version)
            // Another execution, of v2, runs; the stranded one has not moved.
            expect((yield* r.execute("etl")).status).toBe("Completed")
            expect(yield* r.history(id)).toEqual(before)
            expect((yield* r.get(id)).tasks.map((t) => t.completedAt)).toEqual([undefined, undefined])
          })).pipe(Effect.provide(Logger.add(logger)))
        // A runner that does not recover at start (runners sharing PostgreSQL adopt instead) has
        // nothing to warn about; one that does names the execution and the version.
        if (storage.name !== "postgres") {
          expect(warnings.some((w) => w.includes(id) && w.includes(v1.version))).toBe(true)
        }
        // Once a runner has v1 again, it finishes on v1.
        const result = yield* withRunnerOn(layer, [v1, v2], (r) => r.result(id))
        expect(result).toMatchObject({ status: "Completed", workflowVersion: v1.version })
        expect(result.finalContext).toEqual({ rows: 3, loadedBy: "v1" })
      }))

    it.scopedLive("a version named by the user keeps running executions going across a changed body", () =>
      Effect.gen(function*() {
        const layer = yield* storage.persistent!
        const started = yield* Deferred.make<void>()
        const make = (body: string, gate: Deferred.Deferred<void>) =>
          Workflow.make({
            name: "named",
            version: "7",
            tasks: [
              Task.make({
                id: "wait",
                run: () => Effect.zipRight(Deferred.succeed(started, undefined), Deferred.await(gate))
              }),
              Task.make({ id: "after", dependencies: ["wait"], run: (ctx) => ctx.set("body", body) })
            ]
          })
        const id = yield* withRunnerOn(
          layer,
          [make("old", yield* Deferred.make<void>())],
          (r) =>
            Effect.gen(function*() {
              const handle = yield* r.submit("named")
              yield* Deferred.await(started)
              return handle.executionId
            })
        )
        const gate = yield* Deferred.make<void>()
        yield* Deferred.succeed(gate, undefined)
        const result = yield* withRunnerOn(layer, [make("fixed", gate)], (r) => r.result(id))
        expect(result).toMatchObject({ status: "Completed", workflowVersion: "7", finalContext: { body: "fixed" } })
      }))
  })
}

describe("workflow versions", () => {
  it("a version given to make is the version; a bad one is a typed error", () => {
    const task = Task.make({ id: "a", run: () => undefined })
    expect(Workflow.make({ name: "w", version: "2024-06-01", tasks: [task] }).version).toBe("2024-06-01")
    for (const bad of ["", "two words", "a/b", "x".repeat(101), 3]) {
      const made = Either.try(() => Workflow.make({ name: "w", version: bad as string, tasks: [task] }))
      expect(Either.isLeft(made)).toBe(true)
      const error = (made as Either.Left<unknown, unknown>).left
      expect(error).toBeInstanceOf(WorkflowDefinitionError)
      expect(error).toMatchObject({ reason: "InvalidOption" })
    }
  })
})
