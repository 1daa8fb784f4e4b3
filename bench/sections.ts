/**
 * The bench's sections. Each runs its implementations side by side in this process, on fresh
 * storages, and returns rows; ratios are taken against a baseline measured in the same section.
 */
import { Effect } from "effect"
import { execFileSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import type { Workflow as WorkflowType } from "sluice"
import { Task, Workflow } from "sluice"
import { makeCustomerAnalysis, seededRandom } from "../examples/workflows/customer-analysis.js"
import { effectDag, promiseDag } from "./floors.js"
import type { Engine, Stats, StorageName } from "./measure.js"
import { engine, fmt, freshFile, measure, storageNames } from "./measure.js"
import { effectWorkflowFan, effectWorkflowFiveTask } from "./peer.js"
import type { Shape } from "./shapes.js"
import { chain, fan, layered, random } from "./shapes.js"

export interface Row {
  readonly section: "shapes" | "cloacina" | "complex" | "memory" | "peer" | "scaleout" | "map" | "flow" | "soak"
  readonly case: string
  readonly impl: string
  readonly n?: number
  readonly stats?: Stats
  readonly perTaskUs?: number
  readonly ratio?: number
  readonly value?: number
  readonly unit?: string
}

const log = (line: string) => console.log(line)
const noop = () => {}
export const CONCURRENCY = 64

/** The shape as a workflow of no-op tasks: sync bodies, or Effect bodies (each then runs in a fiber). */
const toWorkflow = (shape: Shape, bodies: "sync" | "effect" = "sync"): WorkflowType.Workflow<never> =>
  Workflow.make({
    name: `bench_${shape.name.replace(/[^A-Za-z0-9]+/g, "_")}_${shape.n}_${bodies}`,
    tasks: shape.deps.map((deps, i) =>
      Task.make({
        id: `t${i}`,
        dependencies: deps.map((d) => `t${d}`),
        run: bodies === "sync" ? noop : () => Effect.void
      })
    )
  })

const ALL: ReadonlyArray<StorageName> = ["memory", "sqlite :memory:", "sqlite file", "postgres"]

// ---------------------------------------------------------------------------------------------
// Per-task overhead on DAG shapes, against a plain Promise DAG and a raw Effect one

export const shapesSection = async (quick: boolean): Promise<Array<Row>> => {
  const rows: Array<Row> = []
  const sizes = quick ? [1_000] : [1_000, 10_000, 100_000]
  for (const size of sizes) {
    for (const make of [chain, fan, layered, random]) {
      const shape = make(size)
      const workflow = toWorkflow(shape)
      const storages = storageNames(quick && size > 1_000 ? ["memory"] : ALL)
      type Run = [string, number, number, () => Promise<unknown>, (() => Promise<void>)?, (() => Promise<unknown>)?]
      const runs: Array<Run> = [
        ["plain Promise DAG", quick ? 2 : size >= 100_000 ? 2 : 5, 1, () => promiseDag(shape)],
        [
          "raw Effect fork-on-ready",
          quick ? 2 : size >= 100_000 ? 2 : 5,
          1,
          () => Effect.runPromise(effectDag(shape, CONCURRENCY))
        ]
      ]
      // A sync body runs on its supervisor's fiber; an Effect body gets a fiber of its own, as
      // each task of the raw Effect floor does: at 10k, both, to show what a fiber adds.
      const variants: Array<[StorageName, "sync" | "effect"]> = storages.map((s) => [s, "sync"])
      if (size === 10_000) variants.push(["memory", "effect"], ["sqlite file", "effect"])
      for (const [storage, bodies] of variants) {
        // Fresh storage per shape: a memory storage keeps every execution it ran.
        const e = engine(storage, CONCURRENCY)
        const wf = bodies === "sync" ? workflow : toWorkflow(shape, "effect")
        // Registered (its definition stored) before any timing: runs measure executions only.
        await e.run((r) => r.register(wf))
        // At 100k, durable runs take tens of seconds: one run, no warm-up (the table says so);
        // PostgreSQL at 10k: three.
        const heavy = size >= 100_000 && storage !== "memory"
        const reps = quick ? 2 : heavy ? 1 : storage === "postgres" && size >= 10_000 ? 3 : size >= 100_000 ? 2 : 5
        const name = bodies === "sync" ? e.name : `${e.name} (Effect bodies)`
        // Each run starts from a storage that holds no execution, as the floors hold nothing:
        // the runs before it are pruned, untimed (a memory storage keeps whatever it ran, and at
        // 100k the heap it leaves slows the collector for the next run).
        const prune = () => e.run((r) => r.prune({ olderThan: 0 }))
        runs.push([name, reps, heavy ? 0 : 1, () => e.run((r) => r.execute(wf)), e.dispose, prune])
      }
      const measured: Array<[string, Stats]> = []
      for (const [impl, reps, warmup, once, dispose, between] of runs) {
        measured.push([impl, await measure(once, reps, warmup, between)])
        await dispose?.()
      }
      const floor = measured.find(([impl]) => impl.startsWith("raw Effect"))![1].median
      for (const [impl, s] of measured) {
        const row: Row = {
          section: "shapes",
          case: `${shape.name} ${size.toLocaleString("en-US")}`,
          impl,
          n: size,
          stats: s,
          perTaskUs: (s.median * 1000) / size,
          ratio: s.median / floor
        }
        rows.push(row)
        log(
          `  ${row.case.padEnd(32)} ${impl.padEnd(26)} ${fmt(s.median).padStart(8)} ms  ${
            fmt(row.perTaskUs!).padStart(7)
          } µs/task  ×${fmt(row.ratio!)} effect  (${s.runs} runs)`
        )
      }
    }
  }
  return rows
}

// ---------------------------------------------------------------------------------------------
// Cloacina's performance shapes: 150 workflows submitted at once, 32 concurrent tasks

export const cloacinaShapes: Array<[string, Array<Task.Task<never>>]> = [
  ["1 task", [Task.make({ id: "only", run: noop })]],
  ["3-task pipeline", [
    Task.make({ id: "a", run: noop }),
    Task.make({ id: "b", dependencies: ["a"], run: noop }),
    Task.make({ id: "c", dependencies: ["b"], run: noop })
  ]],
  ["5 tasks: setup → 3 parallel → merge", [
    Task.make({ id: "setup", run: noop }),
    ...[1, 2, 3].map((i) => Task.make({ id: `p${i}`, dependencies: ["setup"], run: noop })),
    Task.make({ id: "merge", dependencies: ["p1", "p2", "p3"], run: noop })
  ]]
]

export const cloacinaSection = async (quick: boolean): Promise<Array<Row>> => {
  const rows: Array<Row> = []
  const count = 150
  for (const storage of storageNames(["sqlite file", "postgres", "sqlite :memory:", "memory"])) {
    const e = engine(storage, 32)
    for (const [name, tasks] of cloacinaShapes) {
      const workflow = Workflow.make({ name: `cloacina_${name.split(" ")[0]}_${tasks.length}`, tasks })
      await e.run((r) => r.register(workflow))
      const s = await measure(
        () =>
          e.run((r) =>
            Effect.forEach(Array.from({ length: count }), () => r.execute(workflow), { concurrency: "unbounded" })
          ),
        quick ? 2 : 15,
        quick ? 2 : 5
      )
      const perSecond = count / (s.median / 1000)
      rows.push({ section: "cloacina", case: name, impl: e.name, stats: s, value: perSecond, unit: "workflows/s" })
      log(
        `  ${name.padEnd(38)} ${e.name.padEnd(26)} ${fmt(perSecond).padStart(8)} workflows/s (150 in ${
          fmt(s.median)
        } ms)`
      )
    }
    await e.dispose()
  }
  return rows
}

// ---------------------------------------------------------------------------------------------
// The tutorial's 15-task workflow, end to end

export const complexSection = async (quick: boolean): Promise<Array<Row>> => {
  const rows: Array<Row> = []
  const workflow = makeCustomerAnalysis({ log: () => {}, random: seededRandom(3) })
  for (const storage of storageNames(["sqlite :memory:", "sqlite file", "postgres", "memory"])) {
    const e = engine(storage, 4)
    const s = await measure(
      () => e.run((r) => r.execute(workflow, { tutorial: "03" })),
      quick ? 10 : 100,
      quick ? 5 : 300
    )
    rows.push({
      section: "complex",
      case: "15-task complex workflow (execute)",
      impl: e.name,
      stats: s,
      value: s.median,
      unit: "ms"
    })
    log(`  15-task workflow on ${e.name.padEnd(26)} median ${fmt(s.median)} ms (min ${fmt(s.min)}, max ${fmt(s.max)})`)
    await e.dispose()
  }
  return rows
}

// ---------------------------------------------------------------------------------------------
// Memory: bytes retained per waiting task, peak RSS (in a process of its own)

export const memorySection = (quick: boolean): Array<Row> => {
  const n = quick ? 10_000 : 100_000
  const script = fileURLToPath(new URL("./memory.ts", import.meta.url))
  const output = execFileSync(process.execPath, ["--expose-gc", "--import", "tsx", script, String(n)], {
    encoding: "utf8"
  })
  const m = JSON.parse(output.trim().split("\n").at(-1)!) as {
    status: string
    definitionBytesPerTask: number
    waitingBytesPerTask: number
    peakRssMiB: number
  }
  const size = n.toLocaleString("en-US")
  log(
    `  fan-out ${n} (${m.status}): ${fmt(m.waitingBytesPerTask)} B per waiting task, ${
      fmt(m.definitionBytesPerTask)
    } B definition per task, peak RSS ${fmt(m.peakRssMiB)} MiB`
  )
  return [
    {
      section: "memory",
      case: `fan-out ${size}: retained per waiting task`,
      impl: "sluice memory",
      value: m.waitingBytesPerTask,
      unit: "bytes"
    },
    {
      section: "memory",
      case: `fan-out ${size}: the workflow definition, per task`,
      impl: "sluice",
      value: m.definitionBytesPerTask,
      unit: "bytes"
    },
    {
      section: "memory",
      case: `fan-out ${size}: peak RSS of a process running it`,
      impl: "sluice memory",
      value: m.peakRssMiB,
      unit: "MiB"
    },
    ...waitingRows()
  ]
}

/**
 * Executions waiting on a signal (durable: parked, no permit, no fiber) against executions whose
 * body waits on a promise (a permit and a fiber each), 1,000 of each, in a process of their own.
 */
const waitingRows = (): Array<Row> => {
  const script = fileURLToPath(new URL("./waiting.ts", import.meta.url))
  const rows: Array<Row> = []
  for (const storage of ["memory", "sqlite"] as const) {
    const output = execFileSync(process.execPath, ["--expose-gc", "--import", "tsx", script, "1000", storage], {
      encoding: "utf8"
    })
    const m = JSON.parse(output.trim().split("\n").at(-1)!) as {
      durable: { bytesPerExecution: number; otherRan: string }
      baseline: { bytesPerExecution: number }
    }
    const impl = storage === "memory" ? "sluice memory" : "sluice sqlite :memory:"
    log(
      `  1,000 executions waiting on ${storage}: ${fmt(m.durable.bytesPerExecution)} B each on a signal (another ` +
        `workflow ran: ${m.durable.otherRan}), ${
          fmt(m.baseline.bytesPerExecution)
        } B each in a body holding a permit ` +
        `(×${fmt(m.durable.bytesPerExecution / m.baseline.bytesPerExecution)})`
    )
    rows.push(
      {
        section: "memory",
        case: "1,000 executions waiting on a signal: retained per execution",
        impl,
        value: m.durable.bytesPerExecution,
        unit: "bytes"
      },
      {
        section: "memory",
        case: "1,000 executions whose body awaits a promise (a permit each): retained per execution",
        impl,
        value: m.baseline.bytesPerExecution,
        unit: "bytes"
      }
    )
  }
  return rows
}

// ---------------------------------------------------------------------------------------------
// @effect/workflow, in memory and durable, on the same shapes

export const peerSection = async (quick: boolean): Promise<Array<Row>> => {
  const rows: Array<Row> = []
  const reps = quick ? 1 : 3
  const n = 1_000
  const five = Workflow.make({ name: "peer_five", tasks: cloacinaShapes[2][1] })
  const fanWorkflow = toWorkflow(fan(n))
  const cases: Array<{
    readonly case: string
    readonly peer: (durable: boolean) => Promise<number>
    readonly sluice: (e: Engine) => Promise<unknown>
    readonly per: (ms: number) => number
    readonly unit: string
  }> = [
    {
      case: "5-task workflow, 150 at once",
      peer: (durable) =>
        effectWorkflowFiveTask(durable ? { _tag: "durable", filename: freshFile("peer") } : { _tag: "memory" }, 150),
      sluice: (e) =>
        e.run((r) => Effect.forEach(Array.from({ length: 150 }), () => r.execute(five), { concurrency: "unbounded" })),
      per: (ms) => 150 / (ms / 1000),
      unit: "workflows/s"
    },
    {
      case: `fan-out/in ${n.toLocaleString("en-US")} no-op`,
      peer: (durable) =>
        effectWorkflowFan(durable ? { _tag: "durable", filename: freshFile("peer") } : { _tag: "memory" }, n),
      sluice: (e) => e.run((r) => r.execute(fanWorkflow)),
      per: (ms) => ms,
      unit: "ms"
    }
  ]
  for (const c of cases) {
    for (const [durable, storage] of [[false, "memory"], [true, "sqlite file"]] as const) {
      // The peer reports its own time (engine built and warmed up first).
      const samples: Array<number> = []
      for (let i = 0; i < reps; i++) samples.push(await c.peer(durable))
      const peer = samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)]
      const e = engine(storage, 32)
      const s = await measure(() => c.sluice(e), quick ? 2 : 5, 2)
      await e.dispose()
      const peerName = `@effect/workflow ${durable ? "durable (cluster, SQLite file)" : "memory engine"}`
      rows.push({ section: "peer", case: c.case, impl: peerName, value: c.per(peer), unit: c.unit, ratio: 1 })
      rows.push({
        section: "peer",
        case: c.case,
        impl: e.name,
        stats: s,
        value: c.per(s.median),
        unit: c.unit,
        ratio: s.median / peer
      })
      log(
        `  ${c.case}: ${peerName} ${fmt(c.per(peer))} ${c.unit}; ${e.name} ${fmt(c.per(s.median))} ${c.unit} (×${
          fmt(s.median / peer)
        } its time)`
      )
    }
  }
  return rows
}
