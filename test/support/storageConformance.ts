/**
 * What every Storage must do, run against each implementation (memory, SQLite, PostgreSQL).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import type { Batch, ExecutionRow, JournalEntry, WorkflowDefinition } from "sluice"
import { emptyBatch, Storage, TriggerRule } from "sluice"
import type { StorageCase } from "./storage.js"

const batch = (part: Partial<Batch>): Batch => ({ ...emptyBatch, ...part })

const execution = (id: string, over: Partial<ExecutionRow> = {}): ExecutionRow => ({
  id,
  workflowName: "wf",
  workflowVersion: "v1",
  status: "Running",
  input: { a: 1, nested: { list: [1, "two", null, true] } },
  errorMessage: null,
  idempotencyKey: null,
  taskCount: 2,
  createdAt: 1_700_000_000_000,
  completedAt: null,
  ...over
})

const round = (executionId: string, n: number, ...entries: Array<JournalEntry>) => ({ executionId, round: n, entries })

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
            errorMessage: "1 task(s) failed",
            completedAt: 1_700_000_000_500
          }]
        }))
        expect(Option.getOrThrow(yield* storage.execution("e1"))).toEqual({
          ...execution("e1"),
          status: "Failed",
          errorMessage: "1 task(s) failed",
          completedAt: 1_700_000_000_500
        })
      })))

    it.live("appends journal entries in commit order, exactly as committed", () =>
      run(Effect.gen(function*() {
        const storage = yield* Storage
        const first: Array<JournalEntry> = [
          { _tag: "ExecutionStarted", at: 1, workflowName: "wf", resumed: false },
          { _tag: "TaskStarted", at: 2, taskId: "a", attempt: 1 }
        ]
        const second: Array<JournalEntry> = [
          { _tag: "TaskFailed", at: 3, taskId: "a", attempt: 1, error: "boom \"quoted\" \u00e9", retryAt: 9 },
          { _tag: "TaskStarted", at: 9, taskId: "a", attempt: 2 },
          {
            _tag: "TaskCompleted",
            at: 10,
            taskId: "a",
            attempt: 2,
            output: { set: { x: { deep: [1, 2] }, s: "it's" }, deleted: ["y"] }
          },
          { _tag: "ExecutionFinished", at: 11, status: "Completed" }
        ]
        yield* storage.commit(batch({ executions: [execution("e1")], rounds: [round("e1", 1, ...first)] }))
        yield* storage.commit(batch({ rounds: [round("e1", 2, ...second)] }))
        expect(yield* storage.journal("e1")).toEqual({ entries: [...first, ...second], rounds: 2 })
        expect(yield* storage.journal("other")).toEqual({ entries: [], rounds: 0 })
        // A commit repeated (its outcome was lost) stores nothing twice.
        yield* storage.commit(batch({ executions: [execution("e1")], rounds: [round("e1", 2, ...second)] }))
        expect(yield* storage.journal("e1")).toEqual({ entries: [...first, ...second], rounds: 2 })
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

    it.live("keeps one definition per workflow version", () =>
      run(Effect.gen(function*() {
        const storage = yield* Storage
        const definition: WorkflowDefinition = {
          name: "wf",
          version: "v1",
          description: null,
          tasks: [
            { id: "a", dependencies: [], triggerRule: TriggerRule.noneFailed },
            {
              id: "b",
              dependencies: ["a"],
              triggerRule: TriggerRule.all(TriggerRule.taskSucceeded("a"), TriggerRule.contextValue("k", "equals", 3))
            }
          ]
        }
        yield* storage.saveWorkflow(definition)
        yield* storage.saveWorkflow({ ...definition, description: "a second save of v1 changes nothing" })
        expect(Option.getOrThrow(yield* storage.workflow("wf", "v1"))).toEqual(definition)
        expect(Option.isNone(yield* storage.workflow("wf", "v2"))).toBe(true)
      })))

    it.live("commits batches sent at the same time, each completely", () =>
      run(Effect.gen(function*() {
        const storage = yield* Storage
        yield* Effect.forEach(
          Array.from({ length: 50 }, (_, i) => i),
          (i) =>
            storage.commit(batch({
              executions: [execution(`c${i}`, { createdAt: i })],
              rounds: [round(
                `c${i}`,
                1,
                ...Array.from({ length: 20 }, (_, t): JournalEntry => ({
                  _tag: "TaskStarted",
                  at: t,
                  taskId: `t${t}`,
                  attempt: 1
                }))
              )]
            })),
          { concurrency: "unbounded" }
        )
        expect((yield* storage.executions({})).length).toBe(50)
        for (const i of [0, 17, 49]) expect((yield* storage.journal(`c${i}`)).entries.length).toBe(20)
      })))

    it.live("claims an idempotency key once, whatever claims it at the same time", () =>
      run(Effect.gen(function*() {
        const storage = yield* Storage
        const claims = yield* Effect.forEach(
          Array.from({ length: 20 }, (_, i) => execution(`k${i}`, { idempotencyKey: "order-1", createdAt: i })),
          (row) => storage.claim(row),
          { concurrency: "unbounded" }
        )
        const winners = claims.filter(Option.isNone)
        expect(winners).toHaveLength(1)
        const winner = Option.getOrThrow(yield* storage.executionByIdempotencyKey("order-1")).id
        for (const claim of claims.filter(Option.isSome)) expect(claim.value.id).toBe(winner)
        expect((yield* storage.executions({})).map((e) => e.id)).toEqual([winner])
      })))

    it.live("prunes finished executions completed before a time, with their journal", () =>
      run(Effect.gen(function*() {
        const storage = yield* Storage
        const finished = (id: string, completedAt: number, status: "Completed" | "Failed" = "Completed") =>
          execution(id, { status, completedAt, idempotencyKey: `key-${id}` })
        yield* storage.commit(batch({
          executions: [
            finished("old", 10),
            finished("old_failed", 10, "Failed"),
            finished("new", 30),
            execution("running")
          ],
          rounds: ["old", "old_failed", "new", "running"].map((id) =>
            round(id, 1, { _tag: "TaskStarted", at: 1, taskId: "t", attempt: 1 })
          )
        }))
        expect(yield* storage.prune(20, ["Failed"])).toBe(1)
        expect(yield* storage.prune(20)).toBe(1)
        expect((yield* storage.executions({})).map((e) => e.id).sort()).toEqual(["new", "running"])
        expect(yield* storage.journal("old")).toEqual({ entries: [], rounds: 0 })
        expect(Option.isNone(yield* storage.executionByIdempotencyKey("key-old"))).toBe(true)
        expect((yield* storage.journal("new")).entries).toHaveLength(1)
      })))
  })
