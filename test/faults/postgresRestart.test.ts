/**
 * PostgreSQL restarted (every connection cut, the server away for a second or two) while 20
 * executions run: their commits are retried until it is back, and they all complete in the same
 * process, each task body having run once.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { Runner, Storage, Task, Workflow } from "sluice"
import { cannotRestartPostgres, postgresUp, restartPostgres } from "../support/faults.js"
import { freshDatabaseUrl, postgresAvailable } from "../support/postgres.js"

const pg = await postgresAvailable()
const why = cannotRestartPostgres()
if (pg && why !== undefined) console.warn(`[sluice tests] PostgreSQL restart test SKIPPED: ${why}`)

describe.skipIf(!pg || why !== undefined)("PostgreSQL restarted mid-run", () => {
  it.scopedLive(
    "20 executions in flight all complete in the same process; no body runs twice",
    () =>
      Effect.gen(function*() {
        const { url } = yield* freshDatabaseUrl
        const runs = new Map<string, number>()
        let ended = 0
        const step = (id: string, dependencies: ReadonlyArray<string>) =>
          Task.make({
            id,
            dependencies,
            run: (ctx) =>
              Effect.sleep("150 millis").pipe(
                Effect.zipRight(Effect.sync(() => {
                  const key = `${ctx.executionId}/${id}`
                  runs.set(key, (runs.get(key) ?? 0) + 1)
                  ended++
                  ctx.set(id, ctx.attempt)
                }))
              )
          })
        const workflow = Workflow.make({
          name: "through_restart",
          tasks: [step("a", []), step("b", ["a"]), step("c", ["b"]), step("d", ["c"]), step("e", ["d"])]
        })
        const results = yield* Effect.gen(function*() {
          const runner = yield* Runner
          const handles = yield* Effect.forEach(
            Array.from({ length: 20 }, (_, i) => i),
            (i) => runner.submit(workflow, { i })
          )
          // Restart once some tasks are done and others are running.
          yield* Effect.promise(async () => {
            while (ended < 25) await new Promise((resolve) => setTimeout(resolve, 10))
          })
          yield* restartPostgres
          return yield* Effect.forEach(handles, (h) => h.result, { concurrency: "unbounded" }).pipe(
            Effect.timeout("60 seconds")
          )
        }).pipe(
          Effect.provide(
            Runner.layer({ workflows: [workflow], maxConcurrentTasks: 8 }).pipe(
              Layer.provide(Storage.layerPostgres({ url }))
            )
          ),
          Effect.ensuring(Effect.orDie(postgresUp))
        )
        expect(results.map((r) => r.status)).toEqual(Array(20).fill("Completed"))
        expect(runs.size).toBe(100)
        expect([...runs.values()].every((n) => n === 1)).toBe(true)
        for (const r of results) expect(r.tasks.every((t) => t.attempts === 1)).toBe(true)
      }),
    120_000
  )
})
