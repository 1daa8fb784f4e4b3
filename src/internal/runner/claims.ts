/**
 * A worker runs attempts other runners offered (see offers.ts): it claims as many as it has free
 * permits (its own executions' tasks come first), runs each body (a task's, or one item of a
 * map's) with the services of its workflow, and leaves the outcome for the execution's owner,
 * which records it.
 */
import type { Scope } from "effect"
import { Effect, Exit, Fiber, Queue } from "effect"
import { deepFreeze } from "../dag/json.js"
import type { JsonObject } from "../dag/json.js"
import type { AttemptOutcome } from "../execution/model.js"
import type { FleetStorage, QueuedTask, TaskOutcome } from "../storage/service.js"
import type { ItemOutcome } from "./map.js"
import { parseItemId } from "./map.js"
import type { Runtime } from "./runtime.js"
import { liveSleep } from "./timers.js"

/** Attempts claimed at once, at most. */
const BATCH = 16

export const makeClaimer = (storage: FleetStorage, runnerId: string, leaseHolds: () => boolean) =>
  Effect.map(Queue.sliding<void>(1), (pokes) => {
    const poke = () => void Queue.unsafeOffer(pokes, undefined)
    const running = new Set<Fiber.RuntimeFiber<void>>()
    // Nothing was offered at the last look: only an offer ('t') or the periodic look tries again,
    // not every permit given back.
    let starved = false

    const runClaimed = (runtime: Runtime, task: QueuedTask) =>
      Effect.gen(function*() {
        const runnable = runtime.registry.runnableOf(task.workflowName, task.workflowVersion)
        const graph = runnable?.workflow.graph
        const index = graph?.index.get(task.taskId)
        // Not a task of the DAG: an item of one of its maps (`map[3]`)?
        const item = index === undefined ? parseItemId(task.taskId) : undefined
        const mapIndex = item === undefined ? undefined : graph?.index.get(item[0])
        const missing = (): ItemOutcome => ({
          error: `runner ${runnerId} does not have task "${task.taskId}" of workflow "${task.workflowName}"`
        })
        const reported: Omit<TaskOutcome, "taskId" | "attempt" | "runnerId" | "completedAt"> = runnable === undefined
          ? missing()
          : index !== undefined
          ? yield* Effect.map(
            runnable.runTask({
              input: deepFreeze(task.input as JsonObject),
              executionId: task.executionId,
              workflowName: task.workflowName,
              attempt: task.attempt,
              limits: runtime.env.limits
            }, index),
            (outcome: AttemptOutcome) =>
              outcome._tag === "Succeeded" ? { delta: outcome.delta } : { error: outcome.message }
          )
          : mapIndex === undefined
          ? missing()
          : yield* runnable.runItem(task, mapIndex, item![1])
        // A runner whose lease lapsed meanwhile records nothing from before: another may run it now.
        if (!leaseHolds()) return yield* Effect.logWarning(`task ${task.taskId} of ${task.executionId}: lease lost`)
        yield* storage.report(task.executionId, task.claim ?? 0, {
          taskId: task.taskId,
          attempt: task.attempt,
          runnerId,
          completedAt: Date.now(),
          ...reported
        }).pipe(Effect.retry({ schedule: runtime.env.storageRetry, times: 20 }))
      }).pipe(
        Effect.catchAllCause((cause) =>
          Effect.logWarning(`task ${task.taskId} of ${task.executionId}: outcome not reported`, cause)
        )
      )

    const run = (runtime: Runtime): Effect.Effect<never, never, Scope.Scope> =>
      Effect.gen(function*() {
        const { permits } = runtime.env
        permits.onFree = () => {
          if (!starved) poke()
        }
        const scope = yield* Effect.scope
        for (;;) {
          yield* Effect.raceFirst(Queue.take(pokes), liveSleep(1_000))
          const names = runtime.registry.keys()
          if (!leaseHolds() || names.length === 0) continue
          const held = permits.takeFree(BATCH)
          if (held === 0) continue
          const exit = yield* Effect.exit(storage.claim(runnerId, names, held))
          const claimed = Exit.isSuccess(exit) ? exit.value : []
          starved = claimed.length === 0
          if (held > claimed.length) permits.give(held - claimed.length)
          for (const task of claimed) {
            const fiber = yield* Effect.forkIn(
              runClaimed(runtime, task).pipe(Effect.ensuring(Effect.sync(() => permits.give(1)))),
              scope
            )
            running.add(fiber)
            fiber.addObserver(() => running.delete(fiber))
          }
          if (claimed.length === held) poke()
        }
      })

    /** Attempts were offered: look now. */
    const offered = () => {
      starved = false
      poke()
    }
    /** The lease was lost: the attempts claimed here stop (another runner may claim them now). */
    const dropAll = Effect.suspend(() => Fiber.interruptAll([...running]))
    return { offered, run, dropAll }
  })
