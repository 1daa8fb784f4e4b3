/**
 * A peer in the same ecosystem: `@effect/workflow` on its in-memory engine, running a
 * fan-out/fan-in of no-op activities (root, n-2 in parallel, sink).
 */
import { Activity, Workflow, WorkflowEngine } from "@effect/workflow"
import { Effect, Layer, Schema } from "effect"

const FanOut = Workflow.make({
  name: "FanOut",
  payload: { width: Schema.Number, run: Schema.Number },
  idempotencyKey: ({ run, width }) => `${width}-${run}`
})

const FanOutLive = FanOut.toLayer(({ width }) =>
  Effect.gen(function*() {
    yield* Activity.make({ name: "root", execute: Effect.void })
    yield* Effect.all(
      Array.from({ length: width }, (_, i) => Activity.make({ name: `a${i}`, execute: Effect.void })),
      { concurrency: "unbounded", discard: true }
    )
    yield* Activity.make({ name: "sink", execute: Effect.void })
  })
)

let runs = 0

/** Milliseconds for one execution of a fan-out of `n` activities in all. */
export const effectWorkflowFan = (n: number): Promise<number> =>
  Effect.gen(function*() {
    const start = performance.now()
    yield* FanOut.execute({ width: n - 2, run: runs++ })
    return performance.now() - start
  }).pipe(Effect.provide(FanOutLive.pipe(Layer.provideMerge(WorkflowEngine.layerMemory))), Effect.runPromise)
