/**
 * A peer in the same ecosystem: Effect's own `@effect/workflow`, on its in-memory engine
 * (`WorkflowEngine.layerMemory`) and on its durable one (`ClusterWorkflowEngine` over
 * `@effect/cluster`'s `SingleRunner`, persisting to a SQLite file through
 * `@effect/sql-sqlite-node`, WAL, as sluice's file storage). The same shapes as sluice's rows:
 * the 5-task workflow (setup, 3 in parallel, merge; many started at once) and a fan-out/fan-in
 * of no-op activities.
 *
 * Each measurement builds the engine, runs one warm-up execution (the durable engine takes its
 * shard locks in the background after it is built), then times the shape alone.
 */
import { ClusterWorkflowEngine, SingleRunner } from "@effect/cluster"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { Activity, Workflow, WorkflowEngine } from "@effect/workflow"
import { Effect, Layer, Schema } from "effect"

// Execution ids derive from idempotency keys; the nonce keeps them unique if a file is reused.
const nonce = `${process.pid}-${Date.now().toString(36)}`
let runs = 0

const FiveTask = Workflow.make({
  name: "FiveTask",
  payload: { run: Schema.Number, index: Schema.Number },
  idempotencyKey: ({ index, run }) => `${nonce}-${run}-${index}`
})

const FiveTaskLive = FiveTask.toLayer(() =>
  Effect.gen(function*() {
    yield* Activity.make({ name: "setup", execute: Effect.void })
    yield* Effect.all(
      Array.from({ length: 3 }, (_, i) => Activity.make({ name: `p${i}`, execute: Effect.void })),
      { concurrency: "unbounded", discard: true }
    )
    yield* Activity.make({ name: "merge", execute: Effect.void })
  })
)

const FanOut = Workflow.make({
  name: "FanOut",
  payload: { width: Schema.Number, run: Schema.Number },
  idempotencyKey: ({ run, width }) => `${nonce}-${width}-${run}`
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

const Warmup = Workflow.make({
  name: "Warmup",
  payload: { run: Schema.Number },
  idempotencyKey: ({ run }) => `${nonce}-${run}`
})
const WarmupLive = Warmup.toLayer(() => Activity.make({ name: "warmup", execute: Effect.void }))

const WorkflowsLive = Layer.mergeAll(FiveTaskLive, FanOutLive, WarmupLive)

export type PeerEngine = { readonly _tag: "memory" } | { readonly _tag: "durable"; readonly filename: string }

const layerOf = (engine: PeerEngine): Layer.Layer<WorkflowEngine.WorkflowEngine> =>
  engine._tag === "memory" ? WorkflowEngine.layerMemory : ClusterWorkflowEngine.layer.pipe(
    Layer.provide(SingleRunner.layer({ runnerStorage: "sql" })),
    Layer.provide(SqliteClient.layer({ filename: engine.filename })),
    Layer.orDie
  )

/** Milliseconds for `body` alone, after the engine is built and warmed up. */
const timed = <E>(engine: PeerEngine, body: Effect.Effect<void, E, WorkflowEngine.WorkflowEngine>): Promise<number> =>
  Effect.gen(function*() {
    yield* Warmup.execute({ run: runs++ })
    const start = performance.now()
    yield* body
    return performance.now() - start
  }).pipe(Effect.provide(WorkflowsLive.pipe(Layer.provideMerge(layerOf(engine)))), Effect.runPromise)

/** Milliseconds until `count` 5-task executions, started at once, have all completed. */
export const effectWorkflowFiveTask = (engine: PeerEngine, count: number): Promise<number> =>
  timed(
    engine,
    Effect.suspend(() => {
      const run = runs++
      return Effect.forEach(
        Array.from({ length: count }, (_, index) => index),
        (index) => FiveTask.execute({ run, index }),
        { concurrency: "unbounded", discard: true }
      )
    })
  )

/** Milliseconds for one execution of a fan-out/fan-in of `n` activities in all. */
export const effectWorkflowFan = (engine: PeerEngine, n: number): Promise<number> =>
  timed(engine, Effect.suspend(() => FanOut.execute({ width: n - 2, run: runs++ })))
