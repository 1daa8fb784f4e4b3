/**
 * Every transition is committed before it is acted on, on every storage: a body runs only after
 * its attempt is committed, and a successor only after its parents' completions are. A storage
 * wrapper notes when each commit returns; task bodies note when they run.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import type { JournalEntry } from "sluice"
import { Runner, Storage, Task, Workflow } from "sluice"
import { storageCases } from "./support/storage.js"

const recorded = (underlying: Layer.Layer<Storage, unknown>, log: Array<string>) =>
  Layer.effect(
    Storage,
    Effect.map(Storage, (storage) => ({
      ...storage,
      commit: (batch) =>
        Effect.tap(storage.commit(batch), () =>
          Effect.sync(() => {
            for (const round of batch.rounds) {
              for (const e of round.entries as ReadonlyArray<JournalEntry>) {
                if (e._tag === "TaskStarted" || e._tag === "TaskCompleted") log.push(`committed ${e._tag} ${e.taskId}`)
              }
            }
          }))
    }))
  ).pipe(Layer.provide(underlying))

for (const storage of storageCases) {
  describe(`durability order on ${storage.name}`, () => {
    it.live("a body runs after its attempt is committed; a successor after its parents' completions", () => {
      const log: Array<string> = []
      const body = (id: string) => (ctx: { set: (k: string, v: unknown) => void }) => {
        log.push(`ran ${id}`)
        ctx.set(id, true)
      }
      const effectBody = (id: string) => () => Effect.sync(() => void log.push(`ran ${id}`))
      const a = Task.make({ id: "a", run: body("a") })
      const b = Task.make({ id: "b", dependencies: [a], run: effectBody("b") })
      const c = Task.make({ id: "c", dependencies: [a], run: async () => void log.push("ran c") })
      const d = Task.make({ id: "d", dependencies: [b, c], run: body("d") })
      const wf = Workflow.make({ name: "ordered", tasks: [a, b, c, d] })
      return Effect.gen(function*() {
        const result = yield* Effect.flatMap(Runner, (r) => r.execute(wf))
        expect(result.status).toBe("Completed")
        const at = (line: string) => {
          const i = log.indexOf(line)
          expect(i, `"${line}" in ${log.join(", ")}`).toBeGreaterThanOrEqual(0)
          return i
        }
        for (const id of ["a", "b", "c", "d"]) expect(at(`committed TaskStarted ${id}`)).toBeLessThan(at(`ran ${id}`))
        for (const [parent, child] of [["a", "b"], ["a", "c"], ["b", "d"], ["c", "d"]]) {
          expect(at(`committed TaskCompleted ${parent}`)).toBeLessThan(at(`ran ${child}`))
        }
      }).pipe(Effect.provide(Runner.layer({ workflows: [wf] }).pipe(Layer.provide(recorded(storage.layer, log)))))
    })
  })
}
