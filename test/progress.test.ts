/**
 * Events carry what a progress bar needs: `ExecutionStarted.taskCount`, and on each task-ending
 * event (completed, failed for good, skipped, cancelled) the tasks finished so far out of all:
 * live, and read back with `history`.
 */
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Fiber, Stream } from "effect"
import type { ExecutionEvent } from "sluice"
import { RetryPolicy, Task, Workflow } from "sluice"
import { withRunner } from "./support/runner.js"
import { storageCases } from "./support/storage.js"

let tries = 0
const a = Task.make({ id: "a", run: () => {} })
const flaky = Task.make({
  id: "flaky",
  dependencies: [a],
  retry: RetryPolicy.fixed({ maxAttempts: 2, delay: "1 millis" }),
  run: () => {
    if (++tries % 2 === 1) throw new Error("first try")
  }
})
const broken = Task.make({
  id: "broken",
  dependencies: [a],
  run: () => {
    throw new Error("no")
  }
})
const after = Task.make({ id: "after", dependencies: [broken], run: () => {} })
const last = Task.make({ id: "last", dependencies: [flaky], run: () => {} })
const wf = Workflow.make({ name: "progressing", tasks: [a, flaky, broken, after, last] })

const progressOf = (events: ReadonlyArray<ExecutionEvent>) =>
  events.flatMap((e) =>
    "progress" in e && e.progress !== undefined ? [[e._tag, e.progress.finished, e.progress.total]] : []
  )

for (const storage of storageCases) {
  describe(`progress on events: ${storage.name}`, () => {
    it.scopedLive("task-ending events count up to the task count, live and in history", () =>
      withRunner(storage, {}, (runner) =>
        Effect.gen(function*() {
          const handle = yield* runner.submit(wf)
          const live = yield* Fiber.join(yield* Effect.fork(Stream.runCollect(handle.events)))
          const events = Chunk.toReadonlyArray(live)
          const started = events.find((e) => e._tag === "ExecutionStarted")
          expect(started).toMatchObject({ taskCount: 5 })
          const counted = progressOf(events)
          expect(counted.map(([, finished]) => finished)).toEqual([1, 2, 3, 4, 5])
          expect(counted.every(([, , total]) => total === 5)).toBe(true)
          // The retried failure ends nothing; the final one does.
          const failed = events.filter((e) => e._tag === "TaskFailed")
          expect(failed.map((e) => [e.taskId, "progress" in e && e.progress !== undefined])).toEqual(
            expect.arrayContaining([["flaky", false], ["broken", true]])
          )
          expect(progressOf(yield* runner.history(handle.executionId))).toEqual(counted)
        })))
  })
}
