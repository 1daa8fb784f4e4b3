/**
 * A soak: 20,000 executions of a 5-task workflow (some set a 1 KiB value) on a SQLite file and,
 * when reachable, PostgreSQL, with `retention` on (pruned 200 ms after they end, every 200 ms),
 * 50 in flight. Every 2,000 executions: the heap after a full GC, the executions stored, and
 * the bytes the storage takes. Flat means the last sample is no larger than the one halfway
 * (SQLite reuses the pages pruning frees; on PostgreSQL retention vacuums every 1,000 pruned).
 */
import { Effect, Layer, ManagedRuntime } from "effect"
import { Runner, Storage, Task, Workflow } from "sluice"
import type { StorageName } from "./measure.js"
import { postgres, storageLayer } from "./measure.js"
import type { Row } from "./sections.js"

const payload = "x".repeat(1024)
const wf = Workflow.make({
  name: "soak",
  tasks: [
    Task.make({ id: "a", run: (ctx) => ctx.set("a", payload) }),
    Task.make({ id: "b", dependencies: ["a"], run: (ctx) => ctx.set("b", 1) }),
    Task.make({ id: "c", dependencies: ["a"], run: (ctx) => ctx.set("c", payload) }),
    Task.make({ id: "d", dependencies: ["b", "c"], run: () => {} }),
    Task.make({ id: "e", dependencies: ["d"], run: () => {} })
  ]
})

interface Sample {
  readonly done: number
  readonly heapMiB: number
  readonly stored: number
  readonly bytesMiB: number
}

const gc = () => (globalThis as { gc?: () => void }).gc?.()

const soak = async (storage: StorageName, total: number, every: number): Promise<Array<Sample>> => {
  const runtime = ManagedRuntime.make(
    Runner.layer({ workflows: [wf], retention: { olderThan: "200 millis", every: "200 millis" } }).pipe(
      Layer.provideMerge(storageLayer(storage))
    )
  )
  const samples: Array<Sample> = []
  for (let done = 0; done < total; done += every) {
    await runtime.runPromise(
      Effect.flatMap(
        Runner,
        (r) => Effect.forEach(Array.from({ length: every }), () => r.execute(wf), { concurrency: 50, discard: true })
      )
    )
    // Let retention catch up with what just ended, as it would between bursts.
    await new Promise((resolve) => setTimeout(resolve, 500))
    gc()
    const footprint = await runtime.runPromise(Effect.flatMap(Storage, (s) => s.footprint!))
    samples.push({
      done: done + every,
      heapMiB: process.memoryUsage().heapUsed / 2 ** 20,
      stored: Object.values(footprint.executions).reduce((a, b) => a + (b ?? 0), 0),
      bytesMiB: (footprint.bytes ?? 0) / 2 ** 20
    })
  }
  await runtime.dispose()
  return samples
}

export const soakSection = async (quick: boolean): Promise<Array<Row>> => {
  const total = quick ? 2_000 : 20_000
  const every = quick ? 500 : 2_000
  const rows: Array<Row> = []
  const storages: Array<StorageName> = ["sqlite file", ...(postgres ? ["postgres" as const] : [])]
  for (const storage of storages) {
    const samples = await soak(storage, total, every)
    for (const s of samples) {
      console.log(
        `  ${storage} after ${s.done}: heap ${s.heapMiB.toFixed(1)} MiB, ${s.stored} stored, ${
          s.bytesMiB.toFixed(2)
        } MiB on disk`
      )
    }
    // Halfway: storage has reached its working size (PostgreSQL vacuums every 1,000 pruned).
    const first = samples[Math.max(0, Math.floor(samples.length / 2) - 1)]
    const last = samples[samples.length - 1]
    const impl = `sluice ${storage}`
    const soaked = `soak of ${total.toLocaleString("en-US")} executions with retention`
    rows.push(
      {
        section: "soak",
        case: `${soaked}: heap after ${first.done} → after ${last.done}`,
        impl,
        value: last.heapMiB,
        unit: `MiB (was ${first.heapMiB.toFixed(1)})`
      },
      {
        section: "soak",
        case: `${soaked}: storage after ${first.done} → after ${last.done}`,
        impl,
        value: last.bytesMiB,
        unit: `MiB (was ${first.bytesMiB.toFixed(2)})`
      },
      { section: "soak", case: `${soaked}: executions stored at the end`, impl, value: last.stored, unit: "" }
    )
  }
  return rows
}
