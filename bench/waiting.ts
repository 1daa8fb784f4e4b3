/**
 * Memory of executions that wait, in a process of its own: `n` executions each waiting on a
 * signal (`Task.waitForSignal`: a durable wait, no permit, no task fiber), against `n` executions
 * whose task body waits on a promise (the baseline: a permit and a fiber each, and nothing
 * stored; given n + 1 permits). Prints JSON: bytes retained per waiting execution in each case, whether a task of
 * another workflow still ran while the signal waits held (permits: `n`/100), and the statuses
 * once every execution was released.
 *
 *   node --expose-gc --import tsx bench/waiting.ts 1000 [memory|sqlite]
 */
import { Effect, Layer, ManagedRuntime } from "effect"
import { Runner, Storage, Task, Workflow } from "sluice"

const n = Number(process.argv[2] ?? 1000)
const storage = process.argv[3] === "sqlite" ? Storage.layerSqlite({ filename: ":memory:" }) : Storage.layerMemory
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {})
const heap = () => {
  gc()
  gc()
  return process.memoryUsage().heapUsed
}

const measure = async (
  permits: number,
  workflow: Workflow.Workflow<never>,
  waiting: () => Promise<void>,
  release: (r: Runner["Type"], ids: ReadonlyArray<string>) => Promise<void>
) => {
  const runtime = ManagedRuntime.make(
    Runner.layer({ workflows: [workflow], maxConcurrentTasks: permits }).pipe(Layer.provide(storage))
  )
  const runner = await runtime.runPromise(Runner)
  // Warm up: one execution through, so that lazily built parts do not count.
  const warm = await runtime.runPromise(runner.submit(workflow))
  await release(runner, [warm.executionId])
  await runtime.runPromise(warm.result)
  const before = heap()
  // Only the ids are kept, as a service that stores them would: a handle's own closures are the caller's.
  const ids = await runtime.runPromise(
    Effect.forEach(Array.from({ length: n }), () => Effect.map(runner.submit(workflow), (h) => h.executionId))
  )
  await waiting()
  const during = heap()
  const other = Workflow.make({ name: `other_${permits}`, tasks: [Task.make({ id: "o", run: () => 1 })] })
  const beside = await runtime.runPromise(runner.execute(other))
  await release(runner, ids)
  const results = await runtime.runPromise(Effect.forEach(ids, (id) => runner.result(id)))
  await runtime.dispose()
  return {
    bytesPerExecution: (during - before) / n,
    otherRan: beside.status,
    statuses: [...new Set(results.map((r) => r.status))]
  }
}

// Durable: every execution waits for its signal, with few permits.
const approval = Task.waitForSignal({ id: "approval", signal: "go" })
const signalled = Workflow.make({
  name: "signalled",
  tasks: [approval, Task.make({ id: "after", dependencies: [approval], run: () => {} })]
})
const durable = await measure(
  Math.max(1, Math.floor(n / 100)),
  signalled,
  async () => {
    await new Promise((r) => setTimeout(r, 200))
  },
  async (runner, ids) => {
    await Effect.runPromise(
      Effect.forEach(ids, (id) => Effect.ignore(runner.signal(id, "go", true)), { discard: true })
    )
  }
)

// Baseline: the body waits on a promise, holding its permit and a fiber.
let open: Array<() => void> = []
let started = 0
const held = Workflow.make({
  name: "held",
  tasks: [Task.make({
    id: "approval",
    run: () =>
      new Promise<void>((resolve) => {
        started++
        open.push(resolve)
      })
  })]
})
const baseline = await measure(
  n + 1,
  held,
  async () => {
    while (started < n + 1) await new Promise((r) => setTimeout(r, 5))
  },
  async (_, ids) => {
    while (open.length < ids.length) await new Promise((r) => setTimeout(r, 1))
    const release = open
    open = []
    for (const r of release) r()
  }
)

console.log(JSON.stringify({ n, storage: process.argv[3] ?? "memory", durable, baseline }))
