/**
 * Child workflows (`Task.workflow`): a task runs another workflow as a child execution, started
 * once, listed with its parent, cancelled and paused with it; its final context is the task's
 * output, its failure the task's failure.
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect } from "effect"
import type { RunnerService } from "sluice"
import { Task, Workflow } from "sluice"
import { withRunner, withRunnerOn } from "./support/runner.js"
import { persistentCases, storageCases } from "./support/storage.js"

/** ship: pack → label, the child; order: prepare → ship (the child) → confirm. */
const shop = (options: { readonly gate?: Deferred.Deferred<void>; readonly broken?: { value: boolean } } = {}) => {
  const runs = { pack: 0, label: 0 }
  const started = Deferred.unsafeMake<void>(undefined as never)
  const pack = Task.make({
    id: "pack",
    run: (ctx) =>
      Effect.gen(function*() {
        runs.pack++
        yield* Deferred.succeed(started, undefined)
        if (options.gate !== undefined) yield* Deferred.await(options.gate)
        if (options.broken?.value === true) return yield* Effect.fail(new Error("no boxes left"))
        ctx.set("boxes", Number(ctx.get("items")) * 2)
      })
  })
  const label = Task.make({
    id: "label",
    dependencies: [pack],
    run: (ctx) => {
      runs.label++
      ctx.set("label", `${ctx.get("boxes")} boxes`)
    }
  })
  const ship = Workflow.make({ name: "ship", tasks: [pack, label] })
  const prepare = Task.make({ id: "prepare", run: (ctx) => ctx.set("items", 3) })
  const shipping = Task.workflow({
    id: "shipping",
    dependencies: [prepare],
    workflow: ship,
    input: (ctx) => ({ items: ctx.get("items") })
  })
  const confirm = Task.make({
    id: "confirm",
    dependencies: [shipping],
    run: (ctx) => ctx.set("confirmed", (ctx.get("shipping") as { label: string }).label)
  })
  const order = Workflow.make({ name: "order", tasks: [prepare, shipping, confirm] })
  return { runs, started, ship, order }
}

const childrenOf = (r: RunnerService, parent: string) =>
  Effect.map(r.list(), (l) => l.filter((e) => e.parentExecutionId === parent))

for (const storage of storageCases) {
  describe(`child workflows: ${storage.name}`, () => {
    it.scopedLive("the child's final context is the task's output; the child is listed with its parent", () =>
      Effect.gen(function*() {
        const { order, runs, ship } = shop()
        yield* withRunner(storage, { workflows: [ship, order] }, (r) =>
          Effect.gen(function*() {
            const result = yield* r.execute("order")
            expect(result.status).toBe("Completed")
            expect(result.finalContext).toMatchObject({ confirmed: "6 boxes" })
            const [child, ...more] = yield* childrenOf(r, result.executionId)
            expect(more).toEqual([])
            expect(child).toMatchObject({ workflowName: "ship", status: "Completed" })
            const childResult = yield* r.result(child.executionId)
            expect(childResult.finalContext).toEqual({ items: 3, boxes: 6, label: "6 boxes" })
            const confirmInput = (yield* r.get(result.executionId)).tasks.find((t) => t.taskId === "shipping")
            expect(confirmInput?.status).toBe("Completed")
            expect(runs).toEqual({ pack: 1, label: 1 })
          }))
      }))

    it.scopedLive("a failed child fails the task; a rerun of the parent starts a new child", () =>
      Effect.gen(function*() {
        const broken = { value: true }
        const { order, ship } = shop({ broken })
        yield* withRunner(storage, { workflows: [ship, order] }, (r) =>
          Effect.gen(function*() {
            const failed = yield* r.execute("order")
            expect(failed.status).toBe("Failed")
            const task = failed.tasks.find((t) => t.taskId === "shipping")!
            expect(task.status).toBe("Failed")
            expect(task.error).toMatch(/child execution \S+ ended Failed/)
            broken.value = false
            const again = yield* r.rerun(failed.executionId)
            expect(again).toMatchObject({ status: "Completed", rerunTasks: ["shipping", "confirm"] })
            const children = yield* childrenOf(r, failed.executionId)
            expect(children.map((c) => c.status).sort()).toEqual(["Completed", "Failed"])
          }))
      }))

    it.scopedLive("cancel and pause of the parent pass down to its running child; a rerun makes a new one", () =>
      Effect.gen(function*() {
        const gate = yield* Deferred.make<void>()
        const { order, ship, started } = shop({ gate })
        yield* withRunner(storage, { workflows: [ship, order] }, (r) =>
          Effect.gen(function*() {
            const paused = yield* r.submit("order")
            yield* Deferred.await(started)
            const [child] = yield* childrenOf(r, paused.executionId)
            yield* r.pause(paused.executionId)
            expect(yield* r.status(child.executionId)).toBe("Paused")
            yield* r.resume(paused.executionId)
            expect(yield* r.status(child.executionId)).toBe("Running")
            yield* r.cancel(paused.executionId)
            expect((yield* paused.result).status).toBe("Cancelled")
            expect((yield* r.result(child.executionId)).status).toBe("Cancelled")
            // Run again: a new child (the cancelled one is not found again), which completes.
            yield* Deferred.succeed(gate, undefined)
            expect((yield* r.rerun(paused.executionId)).status).toBe("Completed")
            const children = yield* childrenOf(r, paused.executionId)
            expect(children.map((c) => c.status).sort()).toEqual(["Cancelled", "Completed"])
          }))
      }))

    it.scopedLive("a paused parent starts no child until it is resumed", () =>
      Effect.gen(function*() {
        const gate = yield* Deferred.make<void>()
        const reached = yield* Deferred.make<void>()
        const { ship } = shop()
        const slow = Task.make({
          id: "slow",
          run: (ctx) =>
            Effect.zipRight(
              Deferred.succeed(reached, undefined),
              Effect.as(Deferred.await(gate), ctx.set("items", 1))
            )
        })
        const parentWf = Workflow.make({
          name: "later",
          tasks: [slow, Task.workflow({ id: "shipping", dependencies: [slow], workflow: "ship" })]
        })
        yield* withRunner(storage, { workflows: [ship, parentWf] }, (r) =>
          Effect.gen(function*() {
            const handle = yield* r.submit("later")
            yield* Deferred.await(reached)
            yield* r.pause(handle.executionId)
            yield* Deferred.succeed(gate, undefined)
            // `slow` ends under the pause and the child task is reached: it waits, no child yet.
            const waiting = () =>
              Effect.map(r.get(handle.executionId), (i) => i.tasks.find((t) => t.taskId === "shipping")?.status)
            for (let i = 0; i < 500 && (yield* waiting()) !== "Waiting"; i++) yield* Effect.sleep("10 millis")
            expect(yield* waiting()).toBe("Waiting")
            yield* Effect.sleep("50 millis")
            expect(yield* childrenOf(r, handle.executionId)).toEqual([])
            yield* r.resume(handle.executionId)
            expect((yield* handle.result).status).toBe("Completed")
            expect((yield* childrenOf(r, handle.executionId)).map((c) => c.status)).toEqual(["Completed"])
          }))
      }))

    it.scopedLive("a child workflow no runner has fails the task with a clear error", () =>
      Effect.gen(function*() {
        const orphan = Workflow.make({
          name: "orphan",
          tasks: [Task.workflow({ id: "nowhere", workflow: "not-registered" })]
        })
        const result = yield* withRunner(storage, { workflows: [orphan] }, (r) => r.execute("orphan"))
        expect(result.status).toBe("Failed")
        expect(result.tasks[0].error).toContain(`child workflow "not-registered"`)
      }))
  })
}

for (const storage of persistentCases) {
  describe(`child workflows across a restart: ${storage.name}`, () => {
    it.scopedLive("a parent restarted while its child runs finishes without starting a second child", () =>
      Effect.gen(function*() {
        const layer = yield* storage.persistent!
        const first = shop({ gate: yield* Deferred.make<void>() })
        const parent = yield* withRunnerOn(layer, [first.ship, first.order], (r) =>
          Effect.gen(function*() {
            const handle = yield* r.submit("order")
            yield* Deferred.await(first.started)
            return handle.executionId
          }))
        const gate = yield* Deferred.make<void>()
        yield* Deferred.succeed(gate, undefined)
        const second = shop({ gate })
        yield* withRunnerOn(layer, [second.ship, second.order], (r) =>
          Effect.gen(function*() {
            const result = yield* r.result(parent)
            expect(result.status).toBe("Completed")
            expect(result.finalContext).toMatchObject({ confirmed: "6 boxes" })
            const children = yield* childrenOf(r, parent)
            expect(children.map((c) => c.status)).toEqual(["Completed"])
            // The child's interrupted task ran again in the same child; no new child was made.
            expect(second.runs).toEqual({ pack: 1, label: 1 })
          }))
      }))

    it.scopedLive("a control of a parent no runner runs passes down to its child", () =>
      Effect.gen(function*() {
        const layer = yield* storage.persistent!
        const first = shop({ gate: yield* Deferred.make<void>() })
        const parent = yield* withRunnerOn(layer, [first.ship, first.order], (r) =>
          Effect.gen(function*() {
            const handle = yield* r.submit("order")
            yield* Deferred.await(first.started)
            return handle.executionId
          }))
        const { order, ship } = shop({ gate: yield* Deferred.make<void>() })
        yield* withRunnerOn(layer, { workflows: [ship, order], recover: false }, (r) =>
          Effect.gen(function*() {
            const [child] = yield* childrenOf(r, parent)
            yield* r.pause(parent)
            expect(yield* r.status(child.executionId)).toBe("Paused")
            yield* r.cancel(parent)
            expect(yield* r.status(parent)).toBe("Cancelled")
            expect(yield* r.status(child.executionId)).toBe("Cancelled")
          }))
      }))
  })
}
