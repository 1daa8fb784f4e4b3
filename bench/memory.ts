/**
 * Memory at scale, in a process of its own so that nothing else inflates it: a fan-out of `n`
 * no-op tasks whose root is blocked, so that n-1 tasks wait. Prints JSON:
 * - definitionBytesPerTask: the workflow value (tasks, compiled graph), per task;
 * - waitingBytesPerTask: what the running execution retains per waiting task, beyond that;
 * - peakRssMiB: the process's peak resident memory, the whole run included.
 *
 *   node --expose-gc --import tsx bench/memory.ts 100000
 */
import { Effect, Layer, ManagedRuntime } from "effect"
import { Runner, Storage, Task, Workflow } from "sluice"

const n = Number(process.argv[2] ?? 100_000)
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {})
const heap = () => {
  gc()
  return process.memoryUsage().heapUsed
}

const runtime = ManagedRuntime.make(Runner.layer({ maxConcurrentTasks: 64 }).pipe(Layer.provide(Storage.layerMemory)))
await runtime.runPromise(Effect.void)

const empty = heap()
let release!: () => void
let started!: () => void
const gate = new Promise<void>((resolve) => (release = resolve))
const rootStarted = new Promise<void>((resolve) => (started = resolve))
const root = Task.make({
  id: "root",
  run: () => {
    started()
    return gate
  }
})
const waiting = Array.from({ length: n - 2 }, (_, i) => Task.make({ id: `w${i}`, dependencies: [root], run: () => {} }))
const workflow = Workflow.make({
  name: "memory_fan",
  tasks: [root, ...waiting, Task.make({ id: "sink", dependencies: waiting, run: () => {} })]
})
const defined = heap()

const handle = await runtime.runPromise(Effect.flatMap(Runner, (r) => r.submit(workflow)))
await rootStarted
const during = heap()
release()
const result = await runtime.runPromise(handle.result)
await runtime.dispose()

console.log(JSON.stringify({
  n,
  status: result.status,
  definitionBytesPerTask: (defined - empty) / n,
  waitingBytesPerTask: (during - defined) / (n - 1),
  peakRssMiB: (process.resourceUsage().maxRSS * 1024) / 2 ** 20
}))
