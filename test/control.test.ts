/**
 * Cancel, pause, resume and result of executions that no runner is running (their runner was
 * shut down): one control path, so the same transitions are recorded as for a running one, and
 * a runner that can run the execution takes it up when asked for its result or its resumption.
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect } from "effect"
import type { RunnerService } from "sluice"
import { Task, Workflow } from "sluice"
import { withRunnerOn } from "./support/runner.js"
import { persistentCases } from "./support/storage.js"

/** first → blocked → last; `blocked` waits on the gate (forever, unless opened). */
const workflow = (gate: Deferred.Deferred<void>, started: Deferred.Deferred<void>, tasks?: ReadonlyArray<string>) => {
  const first = Task.make({ id: "first", run: (ctx) => ctx.set("first", 1) })
  const blocked = Task.make({
    id: "blocked",
    dependencies: [first],
    run: () => Effect.zipRight(Deferred.succeed(started, undefined), Deferred.await(gate))
  })
  const keep = (id: string) => tasks === undefined || tasks.includes(id)
  const last = Task.make({
    id: "last",
    dependencies: [keep("blocked") ? blocked : first],
    run: (ctx) => ctx.set("last", 1)
  })
  return Workflow.make({ name: "controlled", tasks: [first, blocked, last].filter((t) => keep(t.id)) })
}

const statuses = (info: { tasks: ReadonlyArray<{ taskId: string; status: string; reason?: string | undefined }> }) =>
  info.tasks.map((t) => `${t.taskId}:${t.status}${t.reason === undefined ? "" : `(${t.reason})`}`)

const tagsAfterStart = (r: RunnerService, id: string) =>
  Effect.map(
    r.history(id),
    (events) =>
      events.filter((e) => e._tag !== "ExecutionStarted" && e._tag !== "TaskStarted").map((e) =>
        "taskId" in e ? `${e._tag}:${e.taskId}` : e._tag
      )
  )

for (const storage of persistentCases) {
  describe(`control of executions no runner runs: ${storage.name}`, () => {
    /** Submits the workflow and, once `blocked` runs, does `then` with the runner and the id. */
    const whileBlocked = <A>(
      layer: Parameters<typeof withRunnerOn>[0],
      then: (r: RunnerService, executionId: string) => Effect.Effect<A, unknown>
    ) =>
      Effect.gen(function*() {
        const gate = yield* Deferred.make<void>()
        const started = yield* Deferred.make<void>()
        return yield* withRunnerOn(layer, [workflow(gate, started)], (r) =>
          Effect.gen(function*() {
            const handle = yield* r.submit("controlled")
            yield* Deferred.await(started)
            return yield* then(r, handle.executionId)
          }))
      })

    /** An execution left unfinished by a runner that was shut down while `blocked` ran. */
    const leftBehind = (layer: Parameters<typeof withRunnerOn>[0]) =>
      whileBlocked(layer, (_, executionId) => Effect.succeed(executionId))

    it.scopedLive("cancel records the same task rows and events as cancelling a running execution", () =>
      Effect.gen(function*() {
        const layer = yield* storage.persistent!
        // The reference: cancelled while its runner runs it.
        const running = yield* whileBlocked(layer, (r, executionId) =>
          Effect.gen(function*() {
            yield* r.cancel(executionId)
            const result = yield* r.result(executionId)
            return { result, tags: yield* tagsAfterStart(r, executionId) }
          }))
        const id = yield* leftBehind(layer)
        // Cancelled by a runner that does not even know the workflow.
        const stored = yield* withRunnerOn(layer, [], (r) =>
          Effect.gen(function*() {
            yield* r.cancel(id)
            return { info: yield* r.get(id), result: yield* r.result(id), tags: yield* tagsAfterStart(r, id) }
          }))
        expect(stored.info.status).toBe("Cancelled")
        expect(statuses(stored.info)).toEqual(statuses(running.result))
        expect(statuses(stored.info)).toEqual([
          "first:Completed",
          "blocked:Cancelled(cancelled)",
          "last:Cancelled(cancelled)"
        ])
        expect(stored.result.errorMessage).toBe(running.result.errorMessage)
        expect(stored.result.errorMessage).toBe("cancelled: 1 completed, 0 skipped, 2 cancelled")
        expect(stored.tags).toEqual(running.tags)
        expect(stored.tags.at(-1)).toBe("ExecutionFinished")
      }))

    it.scopedLive("pause is recorded; resume by a runner that can run it takes it up to the end", () =>
      Effect.gen(function*() {
        const layer = yield* storage.persistent!
        const id = yield* leftBehind(layer)
        const gate = yield* Deferred.make<void>()
        const started = yield* Deferred.make<void>()
        yield* Deferred.succeed(gate, undefined)
        const result = yield* withRunnerOn(
          layer,
          { workflows: [workflow(gate, started)], recover: false },
          (r) =>
            Effect.gen(function*() {
              yield* r.pause(id)
              expect(yield* r.status(id)).toBe("Paused")
              expect((yield* r.history(id)).at(-1)?._tag).toBe("ExecutionPaused")
              yield* r.resume(id)
              return yield* r.result(id)
            })
        )
        expect(result.status).toBe("Completed")
        expect(result.finalContext).toEqual({ first: 1, last: 1 })
        expect(result.tasks.map((t) => [t.taskId, t.attempts])).toEqual([["first", 1], ["blocked", 1], ["last", 1]])
      }))

    it.scopedLive("result takes up an unfinished execution that this runner can run", () =>
      Effect.gen(function*() {
        const layer = yield* storage.persistent!
        const id = yield* leftBehind(layer)
        const gate = yield* Deferred.make<void>()
        yield* Deferred.succeed(gate, undefined)
        const wf = workflow(gate, yield* Deferred.make<void>())
        const result = yield* withRunnerOn(layer, { workflows: [wf], recover: false }, (r) => r.result(id))
        expect(result.status).toBe("Completed")
      }))

    it.scopedLive("result says why when this runner cannot run the execution", () =>
      Effect.gen(function*() {
        const layer = yield* storage.persistent!
        const id = yield* leftBehind(layer)
        const unknown = yield* withRunnerOn(layer, [], (r) => Effect.flip(r.result(id)))
        expect(unknown._tag).toBe("WorkflowNotFoundError")
        expect(unknown.message).toContain(`execution "${id}" is unfinished, and this runner cannot run it`)
        const gate = yield* Deferred.make<void>()
        const changed = workflow(gate, yield* Deferred.make<void>(), ["first", "last"])
        const error = yield* withRunnerOn(layer, { workflows: [changed], recover: false }, (r) =>
          Effect.flip(r.result(id)))
        expect(error._tag).toBe("ExecutionNotRunnableError")
        expect(error.message).toContain(
          `pinned to version ${Workflow.version(workflow(gate, gate))} of workflow "controlled"`
        )
      }))
  })
}
