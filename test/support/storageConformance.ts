/**
 * What every Storage must do, run against each implementation (memory, SQLite, PostgreSQL).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import type { Batch, ExecutionRow, TaskRow } from "sluice"
import { Storage } from "sluice"
import type { StorageCase } from "./storage.js"

const batch = (part: Partial<Batch>): Batch => ({
  executions: [],
  executionUpdates: [],
  tasks: [],
  attempts: [],
  attemptDeletes: [],
  events: [],
  ...part
})

const execution = (id: string, over: Partial<ExecutionRow> = {}): ExecutionRow => ({
  id,
  workflowName: "wf",
  workflowVersion: "v1",
  status: "Running",
  input: { a: 1, nested: { list: [1, "two", null, true] } },
  finalContext: null,
  errorMessage: null,
  idempotencyKey: null,
  taskCount: 2,
  createdAt: 1_700_000_000_000,
  completedAt: null,
  ...over
})

const task = (executionId: string, taskId: string, over: Partial<TaskRow> = {}): TaskRow => ({
  executionId,
  taskId,
  position: 0,
  status: "Running",
  attempts: 1,
  output: null,
  error: null,
  reason: null,
  startedAt: 1_700_000_000_001,
  completedAt: null,
  retryAt: null,
  ...over
})

export const storageConformance = (c: StorageCase) =>
  describe(`Storage conformance: ${c.name}`, () => {
    const run = <A, E>(effect: Effect.Effect<A, E, Storage>) => Effect.provide(effect, c.layer)

    it.live("reads back an execution exactly as committed", () =>
      run(Effect.gen(function*() {
        const storage = yield* Storage
        const row = execution("e1", { idempotencyKey: "key-1" })
        yield* storage.commit(batch({ executions: [row] }))
        expect(Option.getOrThrow(yield* storage.execution("e1"))).toEqual(row)
        expect(Option.getOrThrow(yield* storage.executionByIdempotencyKey("key-1")).id).toBe("e1")
        expect(Option.isNone(yield* storage.execution("missing"))).toBe(true)
        expect(Option.isNone(yield* storage.executionByIdempotencyKey("nope"))).toBe(true)
      })))

    it.live("applies execution updates and keeps the other fields", () =>
      run(Effect.gen(function*() {
        const storage = yield* Storage
        yield* storage.commit(batch({ executions: [execution("e1")] }))
        yield* storage.commit(batch({
          executionUpdates: [{
            id: "e1",
            status: "Failed",
            finalContext: { out: [1, 2] },
            errorMessage: "1 task(s) failed",
            completedAt: 1_700_000_000_500
          }]
        }))
        const row = Option.getOrThrow(yield* storage.execution("e1"))
        expect(row).toEqual({
          ...execution("e1"),
          status: "Failed",
          finalContext: { out: [1, 2] },
          errorMessage: "1 task(s) failed",
          completedAt: 1_700_000_000_500
        })
      })))

    it.live("upserts task rows: the last row for a task wins, within a batch and across batches", () =>
      run(Effect.gen(function*() {
        const storage = yield* Storage
        yield* storage.commit(batch({
          executions: [execution("e1")],
          tasks: [task("e1", "b", { position: 1 }), task("e1", "a"), task("e1", "b", { position: 1, attempts: 2 })]
        }))
        const done = task("e1", "a", {
          status: "Completed",
          output: { set: { x: { deep: [1, 2] } }, deleted: ["y"] },
          completedAt: 1_700_000_000_009
        })
        yield* storage.commit(batch({ tasks: [done] }))
        const tasks = yield* storage.tasks("e1")
        expect(tasks).toEqual([done, task("e1", "b", { position: 1, attempts: 2 })])
        expect(yield* storage.tasks("other")).toEqual([])
      })))

    it.live("records attempts, forgets deleted ones, and keeps events in commit order", () =>
      run(Effect.gen(function*() {
        const storage = yield* Storage
        const attempt = {
          executionId: "e1",
          taskId: "a",
          attempt: 1,
          status: "Running" as const,
          error: null,
          startedAt: 5,
          completedAt: null
        }
        yield* storage.commit(batch({
          executions: [execution("e1")],
          attempts: [attempt, { ...attempt, attempt: 2 }],
          events: [{ executionId: "e1", taskId: null, type: "ExecutionStarted", at: 1, data: { workflowName: "wf" } }]
        }))
        yield* storage.commit(batch({
          attempts: [{ ...attempt, status: "Failed", error: "boom", completedAt: 9 }],
          attemptDeletes: [{ executionId: "e1", taskId: "a", attempt: 2 }],
          events: [
            { executionId: "e1", taskId: "a", type: "TaskStarted", at: 2, data: { attempt: 1 } },
            { executionId: "e1", taskId: "a", type: "TaskFailed", at: 3, data: { attempt: 1, error: "boom" } }
          ]
        }))
        expect(yield* storage.attempts("e1")).toEqual([{ ...attempt, status: "Failed", error: "boom", completedAt: 9 }])
        expect((yield* storage.events("e1")).map((e) => e.type)).toEqual([
          "ExecutionStarted",
          "TaskStarted",
          "TaskFailed"
        ])
        expect((yield* storage.events("e1"))[2]).toEqual({
          executionId: "e1",
          taskId: "a",
          type: "TaskFailed",
          at: 3,
          data: { attempt: 1, error: "boom" }
        })
      })))

    it.live("lists executions newest first, filtered by workflow and status, limited", () =>
      run(Effect.gen(function*() {
        const storage = yield* Storage
        yield* storage.commit(batch({
          executions: [
            execution("e1", { createdAt: 1 }),
            execution("e2", { createdAt: 2, workflowName: "other" }),
            execution("e3", { createdAt: 3, status: "Completed" })
          ]
        }))
        const ids = (rows: ReadonlyArray<ExecutionRow>) => rows.map((r) => r.id)
        expect(ids(yield* storage.executions({}))).toEqual(["e3", "e2", "e1"])
        expect(ids(yield* storage.executions({ workflowName: "wf" }))).toEqual(["e3", "e1"])
        expect(ids(yield* storage.executions({ status: "Running" }))).toEqual(["e2", "e1"])
        expect(ids(yield* storage.executions({ status: ["Completed", "Failed"] }))).toEqual(["e3"])
        expect(ids(yield* storage.executions({ limit: 2 }))).toEqual(["e3", "e2"])
      })))

    it.live("commits batches sent at the same time, each completely", () =>
      run(Effect.gen(function*() {
        const storage = yield* Storage
        yield* Effect.forEach(
          Array.from({ length: 50 }, (_, i) => i),
          (i) =>
            storage.commit(batch({
              executions: [execution(`c${i}`, { createdAt: i })],
              tasks: Array.from({ length: 20 }, (_, t) => task(`c${i}`, `t${t}`, { position: t }))
            })),
          { concurrency: "unbounded" }
        )
        expect((yield* storage.executions({})).length).toBe(50)
        for (const i of [0, 17, 49]) expect((yield* storage.tasks(`c${i}`)).length).toBe(20)
      })))
  })
