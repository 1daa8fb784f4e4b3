/**
 * A worker process for the scale-out bench: runs the bench's I/O-bound workflows (every task
 * sleeps 20 ms) with 8 permits on a PostgreSQL database shared with the other processes.
 *
 *   node --import tsx bench/fleet-worker.ts <url> <runnerId> [leaseMs]
 *
 * Prints "READY" once it is up; runs until stopped.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Effect } from "effect"
import { Runner, Storage } from "sluice"
import { ioWorkflows } from "./fleet-workflows.js"

const [url, runnerId, leaseMs = "5000"] = process.argv.slice(2)

Effect.sync(() => console.log("READY")).pipe(
  Effect.zipRight(Effect.never),
  Effect.provide(Runner.layer({
    workflows: ioWorkflows,
    runnerId,
    maxConcurrentTasks: 8,
    lease: Number(leaseMs)
  })),
  Effect.provide(Storage.layerPostgres({ url })),
  NodeRuntime.runMain
)
