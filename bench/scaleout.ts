/**
 * Scale-out on PostgreSQL: 1, 2 and 3 worker processes (8 permits each) on one database, fed by
 * a runner in the bench's process that runs nothing (`worker: false`); I/O-bound tasks (20 ms
 * sleeps), so that what more runners bring shows. Also how long the work of a runner killed with
 * SIGKILL stays stuck before another takes it over.
 */
import { Effect, Exit, Layer, ManagedRuntime, Scope } from "effect"
import { fileURLToPath } from "node:url"
import type { RunnerService } from "sluice"
import { Runner, Storage } from "sluice"
import { freshDatabaseUrl } from "../test/support/postgres.js"
import type { Child } from "../test/support/processes.js"
import { spawnScript } from "../test/support/processes.js"
import { io5, ioFan, ioWorkflows, slow } from "./fleet-workflows.js"
import { fmt, postgres, stats } from "./measure.js"
import type { Row } from "./sections.js"

const worker = fileURLToPath(new URL("./fleet-worker.ts", import.meta.url))
const log = (line: string) => console.log(line)
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

interface Fleet {
  readonly workers: ReadonlyArray<Child>
  readonly run: <A, E>(f: (runner: RunnerService) => Effect.Effect<A, E>) => Promise<A>
}

/** n workers on a fresh database, and a runner here that runs nothing; all gone afterwards. */
const withFleet = async <A>(n: number, leaseMs: number, f: (fleet: Fleet) => Promise<A>): Promise<A> => {
  const scope = Effect.runSync(Scope.make())
  const { url } = await Effect.runPromise(Scope.extend(freshDatabaseUrl, scope))
  const workers = Array.from({ length: n }, (_, i) => spawnScript(worker, [url, `w${i + 1}`, String(leaseMs)]))
  const runtime = ManagedRuntime.make(
    Runner.layer({ workflows: ioWorkflows, worker: false, runnerId: "bench" }).pipe(
      Layer.provide(Storage.layerPostgres({ url }))
    )
  )
  try {
    while (!workers.every((w) => w.stdout().includes("READY"))) {
      if (workers.some((w) => w.process.exitCode !== null)) throw new Error(workers.map((w) => w.stderr()).join("\n"))
      await sleep(20)
    }
    return await f({ workers, run: (g) => runtime.runPromise(Effect.flatMap(Runner, g)) })
  } finally {
    await runtime.dispose()
    for (const w of workers) {
      if (w.process.exitCode === null && w.process.signalCode === null) w.process.kill("SIGKILL")
      await w.exited
    }
    await Effect.runPromise(Scope.close(scope, Exit.void))
  }
}

/** Submits `count` executions from the runner that runs nothing and waits for every result. */
const throughput = (fleet: Fleet, workflow: typeof io5, count: number) =>
  fleet.run((r) =>
    Effect.gen(function*() {
      const started = performance.now()
      const handles = yield* Effect.forEach(Array.from({ length: count }), () => r.submit(workflow))
      yield* Effect.forEach(handles, (h) => h.result, { concurrency: "unbounded", discard: true })
      return performance.now() - started
    })
  )

/** Kills the runner that runs an execution; returns when another took it over, after the kill. */
const takeover = (fleet: Fleet) =>
  fleet.run((r) =>
    Effect.gen(function*() {
      const handles = yield* Effect.forEach(Array.from({ length: 6 }), () => r.submit(slow))
      const ownerOf = (id: string) =>
        Effect.map(r.history(id), (events) => {
          const last = events.filter((e) => e._tag === "ExecutionStarted").at(-1)
          return last?._tag === "ExecutionStarted" ? last.runnerId : undefined
        })
      let victim: string | undefined
      while (victim === undefined) {
        for (const h of handles) if ((yield* ownerOf(h.executionId)) === "w1") victim = h.executionId
        yield* Effect.sleep(10)
      }
      const killedAt = Date.now()
      fleet.workers[0].process.kill("SIGKILL")
      for (;;) {
        const moved = (yield* r.history(victim)).find((e) =>
          e._tag === "ExecutionStarted" && e.reason === "lease expired (w1)"
        )
        if (moved !== undefined) return moved.at.getTime() - killedAt
        yield* Effect.sleep(10)
      }
    })
  )

export const scaleOutSection = async (quick: boolean): Promise<Array<Row>> => {
  if (!postgres) return []
  const rows: Array<Row> = []
  const reps = quick ? 1 : 3
  const fives = quick ? 60 : 300
  const baseline = new Map<string, number>()
  for (const n of quick ? [1, 2] : [1, 2, 3]) {
    await withFleet(n, 5_000, async (fleet) => {
      await throughput(fleet, io5, 20) // warm-up
      for (
        const [name, workflow, count] of [[`${fives} × 5-task parallel`, io5, fives], [
          "1 × 1,000-task fan-out",
          ioFan,
          1
        ]] as const
      ) {
        const times: Array<number> = []
        for (let i = 0; i < reps; i++) times.push(await throughput(fleet, workflow, count))
        const s = stats(times)
        const tasks = count * workflow.tasks.length
        const perSecond = tasks / (s.median / 1000)
        if (n === 1) baseline.set(name, perSecond)
        const ratio = perSecond / baseline.get(name)!
        rows.push({
          section: "scaleout",
          case: name,
          impl: `${n} runner${n > 1 ? "s" : ""}`,
          stats: s,
          value: perSecond,
          unit: "tasks/s",
          ratio,
          n
        })
        log(`  ${name.padEnd(28)} ${n} runner(s) ${fmt(perSecond).padStart(8)} tasks/s  ×${fmt(ratio)}`)
      }
    })
  }
  const delays: Array<number> = []
  for (let i = 0; i < (quick ? 1 : 5); i++) delays.push(await withFleet(2, 1_000, takeover))
  const s = stats(delays)
  rows.push({
    section: "scaleout",
    case: "takeover after SIGKILL (lease 1 s)",
    impl: "2 runners",
    stats: s,
    value: s.median,
    unit: "ms"
  })
  log(`  takeover after SIGKILL, lease 1 s: median ${fmt(s.median)} ms, max ${fmt(s.max)} ms (${delays.join(", ")})`)
  return rows
}
