/**
 * sluice's benchmarks, with their baselines measured in the same run: per-task overhead on DAG
 * shapes against a plain Promise executor and a raw Effect executor, Cloacina's workflows/s
 * shapes, the tutorial's 15-task workflow, memory per waiting task, and @effect/workflow.
 *
 *   npm run bench               full run (a few minutes)
 *   npm run bench -- --quick    smoke run (under a minute)
 *
 * Writes bench/results/<time>.json and .md, and bench/results/latest.md. Figures are medians of
 * several runs after a warm-up; compare ratios, not absolute times (machines are noisy).
 */
import { Effect, Layer, ManagedRuntime } from "effect"
import { execFileSync } from "node:child_process"
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { cpus, tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { Runner, Storage, Task, Workflow } from "sluice"
import type { RunnerService, Workflow as WorkflowType } from "sluice"
import { makeCustomerAnalysis, seededRandom } from "../examples/workflows/customer-analysis.js"
import { effectDag, promiseDag } from "./floors.js"
import { effectWorkflowFan } from "./peer.js"
import type { Shape } from "./shapes.js"
import { chain, fan, layered, random } from "./shapes.js"

const quick = process.argv.includes("--quick")
const CONCURRENCY = 64
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {})

// ---------------------------------------------------------------------------------------------
// Measuring

interface Stats {
  readonly median: number
  readonly min: number
  readonly max: number
  readonly runs: number
}

const stats = (samples: ReadonlyArray<number>): Stats => {
  const sorted = [...samples].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  const median = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
  return { median, min: sorted[0], max: sorted[sorted.length - 1], runs: sorted.length }
}

/** Runs `once` after `warmup` unmeasured runs, `reps` times; milliseconds. */
const measure = async (once: () => Promise<unknown>, reps: number, warmup = 1): Promise<Stats> => {
  for (let i = 0; i < warmup; i++) await once()
  const samples: Array<number> = []
  // No forced GC between samples: measured here, a gc() before each run doubles the time of the
  // run after it (V8 starts again from a cold, shrunk young generation).
  for (let i = 0; i < reps; i++) {
    const start = performance.now()
    await once()
    samples.push(performance.now() - start)
  }
  return stats(samples)
}

// ---------------------------------------------------------------------------------------------
// sluice under test

const noop = () => {}

const toWorkflow = (shape: Shape): WorkflowType.Workflow<never> =>
  Workflow.make({
    name: `bench_${shape.name.replace(/[^A-Za-z0-9]+/g, "_")}_${shape.n}`,
    tasks: shape.deps.map((deps, i) => Task.make({ id: `t${i}`, dependencies: deps.map((d) => `t${d}`), run: noop }))
  })

interface Engine {
  readonly name: string
  readonly run: <A, E>(f: (runner: RunnerService) => Effect.Effect<A, E>) => Promise<A>
  readonly dispose: () => Promise<void>
}

const scratch = mkdtempSync(join(tmpdir(), "sluice-bench-"))
let files = 0

const engine = (name: string, storage: Layer.Layer<Storage, unknown>, maxConcurrentTasks = CONCURRENCY): Engine => {
  const runtime = ManagedRuntime.make(
    Runner.layer({ maxConcurrentTasks }).pipe(Layer.provide(storage))
  )
  return {
    name,
    run: (f) => runtime.runPromise(Effect.flatMap(Runner, f)),
    dispose: () => runtime.dispose()
  }
}

const engines = (maxConcurrentTasks = CONCURRENCY): Array<Engine> => [
  engine("sluice memory", Storage.layerMemory, maxConcurrentTasks),
  engine("sluice sqlite :memory:", Storage.layerSqlite({ filename: ":memory:" }), maxConcurrentTasks),
  engine(
    "sluice sqlite file (WAL)",
    Storage.layerSqlite({ filename: join(scratch, `bench-${files++}.db`) }),
    maxConcurrentTasks
  )
]

// ---------------------------------------------------------------------------------------------
// Results

interface Row {
  readonly section: string
  readonly case: string
  readonly impl: string
  readonly n?: number
  readonly stats?: Stats
  readonly perTaskUs?: number
  readonly ratio?: number
  readonly value?: number
  readonly unit?: string
}

const rows: Array<Row> = []
const log = (line: string) => console.log(line)
const fmt = (x: number, digits = 2) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(digits))

// ---------------------------------------------------------------------------------------------
// 1. Shapes: per-task overhead against the floors

const shapesSection = async () => {
  const sizes = quick ? [1_000] : [1_000, 10_000, 100_000]
  const makers = [chain, fan, layered, random]
  for (const size of sizes) {
    const reps = quick ? 2 : size >= 100_000 ? 2 : 5
    for (const make of makers) {
      // Fresh storages for each shape: a memory storage keeps every execution it ran.
      const runners = engines()
      const shape = make(size)
      const workflow = toWorkflow(shape)
      const impls: Array<[string, () => Promise<unknown>]> = [
        ["plain Promise DAG", () => promiseDag(shape)],
        ["raw Effect fork-on-ready", () => Effect.runPromise(effectDag(shape, CONCURRENCY))],
        ...runners
          .filter((e) => !(quick && e.name.includes("file") && size > 1_000))
          .map((e): [string, () => Promise<unknown>] => [e.name, () => e.run((r) => r.execute(workflow))])
      ]
      const measured: Array<[string, Stats]> = []
      for (const [impl, once] of impls) {
        // At 100k, SQLite runs take tens of seconds each: one run, no warm-up (the table says so).
        const heavy = size >= 100_000 && impl.includes("sqlite")
        measured.push([impl, await measure(once, heavy ? 1 : reps, heavy ? 0 : 1)])
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
      await Promise.all(runners.map((e) => e.dispose()))
    }
  }
}

// ---------------------------------------------------------------------------------------------
// 2. Cloacina's performance shapes: 150 workflows at once, 32 concurrent tasks

const cloacinaSection = async () => {
  const shapes: Array<[string, Array<Task.Task<never>>]> = [
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
  const count = 150
  const runners = [
    engine("sluice sqlite file (WAL)", Storage.layerSqlite({ filename: join(scratch, `cloacina-${files++}.db`) }), 32),
    engine("sluice memory", Storage.layerMemory, 32)
  ]
  for (const [name, tasks] of shapes) {
    const workflow = Workflow.make({ name: `cloacina_${name.split(" ")[0]}_${tasks.length}`, tasks })
    for (const e of runners) {
      const s = await measure(
        () =>
          e.run((r) =>
            Effect.forEach(Array.from({ length: count }), () => r.execute(workflow), { concurrency: "unbounded" })
          ),
        quick ? 2 : 7
      )
      const perSecond = count / (s.median / 1000)
      rows.push({ section: "cloacina", case: name, impl: e.name, stats: s, value: perSecond, unit: "workflows/s" })
      log(
        `  ${name.padEnd(38)} ${e.name.padEnd(26)} ${fmt(perSecond).padStart(8)} workflows/s (150 in ${
          fmt(s.median)
        } ms)`
      )
    }
  }
  await Promise.all(runners.map((e) => e.dispose()))
}

// ---------------------------------------------------------------------------------------------
// 3. The tutorial's 15-task workflow, end to end

const complexSection = async () => {
  const workflow = makeCustomerAnalysis({ log: () => {}, random: seededRandom(3) })
  const runners = [
    engine("sluice sqlite :memory:", Storage.layerSqlite({ filename: ":memory:" }), 4),
    engine("sluice memory", Storage.layerMemory, 4)
  ]
  for (const e of runners) {
    const s = await measure(() => e.run((r) => r.execute(workflow, { tutorial: "03" })), quick ? 10 : 60, 5)
    rows.push({
      section: "complex",
      case: "15-task complex workflow (execute)",
      impl: e.name,
      stats: s,
      value: s.median,
      unit: "ms"
    })
    log(`  15-task workflow on ${e.name.padEnd(26)} median ${fmt(s.median)} ms (min ${fmt(s.min)}, max ${fmt(s.max)})`)
  }
  await Promise.all(runners.map((e) => e.dispose()))
}

// ---------------------------------------------------------------------------------------------
// 4. Memory: bytes retained per waiting task, peak RSS

const memorySection = async () => {
  const n = quick ? 10_000 : 100_000
  // A process of its own: its peak RSS is then that of one execution of n tasks.
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
  rows.push({
    section: "memory",
    case: `fan-out ${size}: retained per waiting task`,
    impl: "sluice memory",
    value: m.waitingBytesPerTask,
    unit: "bytes"
  })
  rows.push({
    section: "memory",
    case: `fan-out ${size}: the workflow definition, per task`,
    impl: "sluice",
    value: m.definitionBytesPerTask,
    unit: "bytes"
  })
  rows.push({
    section: "memory",
    case: `fan-out ${size}: peak RSS of a process running it`,
    impl: "sluice memory",
    value: m.peakRssMiB,
    unit: "MiB"
  })
  log(
    `  fan-out ${n} (${m.status}): ${fmt(m.waitingBytesPerTask)} B per waiting task, ${
      fmt(m.definitionBytesPerTask)
    } B definition per task, peak RSS ${fmt(m.peakRssMiB)} MiB`
  )
}

// ---------------------------------------------------------------------------------------------
// 5. @effect/workflow, same fan-out/fan-in of no-op activities

const peerSection = async () => {
  const n = 1_000
  const reps = quick ? 1 : 3
  const peer = await measure(() => effectWorkflowFan(n), reps)
  const runners = [
    engine("sluice memory", Storage.layerMemory),
    engine("sluice sqlite :memory:", Storage.layerSqlite({ filename: ":memory:" }))
  ]
  const workflow = toWorkflow(fan(n))
  rows.push({
    section: "peer",
    case: `fan-out/in ${n} no-op`,
    impl: "@effect/workflow (memory engine)",
    stats: peer,
    perTaskUs: (peer.median * 1000) / n,
    ratio: 1
  })
  log(`  @effect/workflow fan ${n}: ${fmt(peer.median)} ms`)
  for (const e of runners) {
    const s = await measure(() => e.run((r) => r.execute(workflow)), quick ? 2 : 5)
    rows.push({
      section: "peer",
      case: `fan-out/in ${n} no-op`,
      impl: e.name,
      stats: s,
      perTaskUs: (s.median * 1000) / n,
      ratio: s.median / peer.median
    })
    log(`  ${e.name} fan ${n}: ${fmt(s.median)} ms (${fmt(peer.median / s.median)}× faster than @effect/workflow)`)
  }
  await Promise.all(runners.map((e) => e.dispose()))
}

// ---------------------------------------------------------------------------------------------
// Report

const targets = (): Array<string> => {
  const out: Array<string> = []
  const shapeRow = (impl: string, n: number, name: string) =>
    rows.find((r) => r.section === "shapes" && r.impl === impl && r.n === n && r.case.startsWith(name))
  const size = quick ? 1_000 : 10_000
  for (const name of ["chain", "fan-out/in", "diamond/layered"]) {
    const mem = shapeRow("sluice memory", size, name)
    if (mem) {
      out.push(
        `${mem.ratio! <= 1.5 ? "met" : "NOT met"}: in-memory ${name} ${size}: ×${
          fmt(mem.ratio!)
        } the raw Effect floor (target ≤ 1.5)`
      )
    }
    const file = shapeRow("sluice sqlite file (WAL)", size, name)
    if (file) {
      out.push(
        `${file.ratio! <= 3 ? "met" : "NOT met"}: SQLite file ${name} ${size}: ×${
          fmt(file.ratio!)
        } the raw Effect floor (target ≤ 3)`
      )
    }
  }
  const five = rows.find((r) => r.section === "cloacina" && r.case.startsWith("5 tasks") && r.impl.includes("file"))
  if (five) {
    out.push(
      `${five.value! >= 2000 ? "met" : "NOT met"}: 5-task shape on a SQLite file: ${
        fmt(five.value!)
      } workflows/s (target ≥ 2,000; Cloacina publishes 44.6)`
    )
  }
  const complex = rows.find((r) => r.section === "complex" && r.impl.includes("sqlite"))
  if (complex) {
    out.push(
      `${complex.value! <= 5 ? "met" : "NOT met"}: 15-task workflow on SQLite :memory:: ${
        fmt(complex.value!)
      } ms median (target ≤ 5; cloaca's tutorial: 2,340)`
    )
  }
  const memory = rows.find((r) => r.section === "memory" && r.case.includes("waiting"))
  if (memory) {
    out.push(
      `${memory.value! <= 2048 ? "met" : "NOT met"}: ${
        fmt(memory.value!)
      } bytes retained per waiting task (target ≤ 2,048)`
    )
  }
  if (!quick) {
    for (const name of ["chain", "fan-out/in", "diamond/layered", "random"]) {
      const a = shapeRow("sluice memory", 10_000, name)
      const b = shapeRow("sluice memory", 100_000, name)
      if (a && b) {
        const growth = b.perTaskUs! / a.perTaskUs!
        out.push(
          `${growth <= 1.5 ? "met" : "NOT met"}: ${name} per-task time 10k → 100k: ×${fmt(growth)} (linear = ×1)`
        )
      }
    }
  }
  return out
}

const markdown = (when: string): string => {
  const lines: Array<string> = []
  lines.push(`# sluice bench — ${when}${quick ? " (quick)" : ""}`)
  lines.push("")
  lines.push(
    `Node ${process.version}, ${cpus().length} × ${
      cpus()[0]?.model ?? "cpu"
    }; medians of several runs after a warm-up; concurrency ${CONCURRENCY} for the shapes.`
  )
  lines.push("")
  lines.push("## Per-task overhead on DAG shapes (no-op tasks)")
  lines.push("")
  lines.push("| shape | implementation | median ms | min–max ms | runs | µs/task | × raw Effect |")
  lines.push("|---|---|---:|---:|---:|---:|---:|")
  for (const r of rows.filter((x) => x.section === "shapes")) {
    lines.push(
      `| ${r.case} | ${r.impl} | ${fmt(r.stats!.median)} | ${fmt(r.stats!.min)}–${fmt(r.stats!.max)} | ${
        r.stats!.runs
      } | ${fmt(r.perTaskUs!)} | ${fmt(r.ratio!)} |`
    )
  }
  lines.push("")
  lines.push("## Cloacina's shapes: 150 workflows submitted at once, 32 concurrent tasks")
  lines.push("")
  lines.push("| shape | storage | workflows/s | median ms for 150 |")
  lines.push("|---|---|---:|---:|")
  for (const r of rows.filter((x) => x.section === "cloacina")) {
    lines.push(`| ${r.case} | ${r.impl} | ${fmt(r.value!)} | ${fmt(r.stats!.median)} |`)
  }
  lines.push("")
  lines.push("Cloacina publishes 44.6 workflows/s for the 5-task shape on SQLite (Apple M3).")
  lines.push("")
  lines.push("## The tutorial's 15-task workflow, `execute` end to end")
  lines.push("")
  lines.push("| storage | median ms | min–max ms | runs |")
  lines.push("|---|---:|---:|---:|")
  for (const r of rows.filter((x) => x.section === "complex")) {
    lines.push(`| ${r.impl} | ${fmt(r.stats!.median)} | ${fmt(r.stats!.min)}–${fmt(r.stats!.max)} | ${r.stats!.runs} |`)
  }
  lines.push("")
  lines.push("cloaca's tutorial prints 2.34 s for the same workflow.")
  lines.push("")
  lines.push("## Memory")
  lines.push("")
  for (const r of rows.filter((x) => x.section === "memory")) lines.push(`- ${r.case}: ${fmt(r.value!)} ${r.unit}`)
  lines.push("")
  lines.push("## Peer: @effect/workflow (in-memory engine), same fan-out/fan-in")
  lines.push("")
  lines.push("| implementation | median ms | µs/activity | × @effect/workflow time |")
  lines.push("|---|---:|---:|---:|")
  for (const r of rows.filter((x) => x.section === "peer")) {
    lines.push(`| ${r.impl} | ${fmt(r.stats!.median)} | ${fmt(r.perTaskUs!)} | ${fmt(r.ratio!)} |`)
  }
  lines.push("")
  lines.push("## Targets")
  lines.push("")
  for (const t of targets()) lines.push(`- ${t}`)
  lines.push("")
  return lines.join("\n")
}

const main = async () => {
  const started = new Date()
  log(`sluice bench${quick ? " (quick)" : ""}: ${process.version}${gc === undefined ? "" : ", gc exposed"}`)
  // Small workflows first: the 100k shapes leave a large, fragmented heap behind them.
  log("15-task workflow:")
  await complexSection()
  log("cloacina shapes:")
  await cloacinaSection()
  log("peer:")
  await peerSection()
  log("shapes:")
  await shapesSection()
  log("memory:")
  await memorySection()
  const stamp = started.toISOString().replace(/[:.]/g, "-")
  const dir = fileURLToPath(new URL("./results/", import.meta.url))
  mkdirSync(dir, { recursive: true })
  const md = markdown(started.toISOString())
  writeFileSync(
    join(dir, `${stamp}.json`),
    JSON.stringify({ started: started.toISOString(), quick, node: process.version, rows }, null, 2)
  )
  writeFileSync(join(dir, `${stamp}.md`), md)
  if (!quick) writeFileSync(join(dir, "latest.md"), md)
  console.log(`\n${md}`)
  rmSync(scratch, { recursive: true, force: true })
}

await main()
