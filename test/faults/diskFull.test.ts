/**
 * SQLite on a full disk (a 2 MB tmpfs): executions that cannot commit settle within seconds with
 * a clear error; the file stays intact and readable; once space returns, the same runner takes
 * them up and they complete.
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Layer } from "effect"
import { join } from "node:path"
import { Runner, Storage, Task, Workflow } from "sluice"
import { growDisk, smallDisk } from "../support/faults.js"
import { withRunnerOn } from "../support/runner.js"

const payload = "x".repeat(60_000)
// The big writes wait for the gate: every execution is submitted (small commits) before the
// disk fills.
let gate: Effect.Effect<void> = Effect.void
const heavy = Workflow.make({
  name: "heavy",
  tasks: [
    Task.make({
      id: "write",
      run: (ctx) => Effect.zipRight(gate, Effect.sync(() => ctx.set("blob", `${payload}${ctx.executionId}`)))
    }),
    Task.make({ id: "after", dependencies: ["write"], run: (ctx) => ctx.set("done", true) })
  ]
})

describe("SQLite on a full disk", () => {
  it.scopedLive(
    "executions settle within seconds with a clear error, and complete once space returns",
    () =>
      Effect.gen(function*() {
        const disk = yield* smallDisk("2m")
        if (disk.dir === undefined) {
          console.warn(`[sluice tests] full-disk test SKIPPED: ${disk.why}`)
          return
        }
        const filename = join(disk.dir, "full.db")
        const outcome = yield* Effect.gen(function*() {
          const runner = yield* Runner
          const open = yield* Deferred.make<void>()
          gate = Deferred.await(open)
          const handles = yield* Effect.forEach(
            Array.from({ length: 40 }, (_, i) => i),
            (i) => runner.submit(heavy, { i })
          )
          const started = Date.now()
          yield* Deferred.succeed(open, undefined)
          const exits = yield* Effect.forEach(handles, (h) => Effect.exit(h.result), { concurrency: "unbounded" })
          const settledIn = Date.now() - started
          const failed = handles.filter((_, i) => Exit.isFailure(exits[i])).map((h) => h.executionId)
          const errors = exits.flatMap((e) => (Exit.isFailure(e) ? [String(e.cause)] : []))
          // Readable meanwhile: another storage opens the file read-only.
          const listed = yield* withRunnerOn(Storage.layerSqlite({ filename, readOnly: true }), [], (r) => r.list())
          yield* growDisk(disk.dir!, "64m")
          const resumed = yield* Effect.forEach(failed, (id) => runner.result(id))
          return { settledIn, failed, errors, listed, resumed }
        }).pipe(
          Effect.provide(Runner.layer({ workflows: [heavy] }).pipe(Layer.provide(Storage.layerSqlite({ filename }))))
        )
        expect(outcome.failed.length).toBeGreaterThan(0)
        expect(outcome.settledIn).toBeLessThan(15_000)
        for (const error of outcome.errors) expect(error).toMatch(/SQLITE_FULL|database or disk is full/)
        expect(outcome.listed.length).toBeGreaterThan(0)
        expect(outcome.resumed.map((r) => r.status)).toEqual(outcome.failed.map(() => "Completed"))
        for (const r of outcome.resumed) expect(r.finalContext.done).toBe(true)
        // And the file is sound for the next runner.
        const all = yield* withRunnerOn(Storage.layerSqlite({ filename }), [heavy], (r) => r.list())
        expect(all.length).toBe(40)
        expect(all.every((e) => e.status === "Completed")).toBe(true)
      }),
    120_000
  )
})
