/**
 * The floors sluice is measured against, doing the same no-op work on the same shapes:
 * a plain Promise DAG executor, and a raw Effect executor that forks each task from one
 * supervisor fiber when it becomes ready (under the same concurrency limit as sluice).
 */
import { Effect, Queue } from "effect"
import type { Shape } from "./shapes.js"
import { successorsOf } from "./shapes.js"

/** Plain Promises: a task runs when its last dependency settles. */
export const promiseDag = (shape: Shape): Promise<void> =>
  new Promise((resolve) => {
    const succs = successorsOf(shape)
    const remaining = shape.deps.map((d) => d.length)
    let done = 0
    const run = (i: number): void => {
      void Promise.resolve().then(() => {
        // the no-op task
        if (++done === shape.n) resolve()
        for (const s of succs[i]) if (--remaining[s] === 0) run(s)
      })
    }
    for (let i = 0; i < shape.n; i++) if (remaining[i] === 0) run(i)
  })

/** Raw Effect: one supervisor forks a fiber per ready task and hears back through a queue. */
export const effectDag = (shape: Shape, concurrency: number): Effect.Effect<void> =>
  Effect.gen(function*() {
    const succs = successorsOf(shape)
    const remaining = shape.deps.map((d) => d.length)
    const completions = yield* Queue.unbounded<number>()
    const semaphore = yield* Effect.makeSemaphore(concurrency)
    const ready: Array<number> = []
    for (let i = 0; i < shape.n; i++) if (remaining[i] === 0) ready.push(i)
    let inFlight = 0
    let done = 0
    while (done < shape.n) {
      while (ready.length > 0 && inFlight < concurrency) {
        const i = ready.pop()!
        inFlight++
        yield* Effect.fork(semaphore.withPermits(1)(Effect.void).pipe(Effect.zipRight(Queue.offer(completions, i))))
      }
      const finished = yield* Queue.takeBetween(completions, 1, Number.MAX_SAFE_INTEGER)
      for (const i of finished) {
        inFlight--
        done++
        for (const s of succs[i]) if (--remaining[s] === 0) ready.push(s)
      }
    }
  })
