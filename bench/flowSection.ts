/**
 * Flow control's cost: 1,000 no-op root tasks in one execution, 32 permits, without a
 * concurrency key, with one that never binds (limit 1,000) and with one that does (limit 8), on
 * memory, a SQLite file and (when reachable) PostgreSQL (the limit shared through the database),
 * and with a rate limit that never binds;
 * µs/task and the ratio to no key in the same run. A task priority on a ready queue longer than
 * the permits is measured too. Fairness: how long a lone tenant's execution waits for its task
 * to start while 2,000 executions of another tenant queue for 4 permits (tasks of 1 ms), with
 * workflow concurrency keys (served round robin) and without (first come, first served).
 */
import { NodeSdk } from "@effect/opentelemetry"
import type { SpanExporter } from "@opentelemetry/sdk-trace-base"
import { BatchSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { Effect, Layer, ManagedRuntime } from "effect"
import { randomBytes } from "node:crypto"
import { Runner, StorageCodec, Task, Workflow } from "sluice"
import type { Stats, StorageName } from "./measure.js"
import { engine, measure, postgres, storageLayer } from "./measure.js"
import type { Row } from "./sections.js"

const N = 1_000
const workflowOf = (label: string, options: Partial<Parameters<typeof Task.make>[0]>) =>
  Workflow.make({
    name: `flow_${label}`,
    tasks: Array.from({ length: N }, (_, i) => Task.make({ ...options, id: `t${i}`, run: () => {} }))
  })

/**
 * The rows of one group of cases on one storage: µs a task, and the ratio to the group's first
 * row (its baseline: no key, no codec, not traced).
 */
const group = (storage: StorageName, what: string) => {
  let base: number | undefined
  return (label: string, stats: Stats): Row => {
    const us = (stats.median * 1000) / N
    base ??= us
    console.log(`  ${storage} ${what}, ${label}: ${us.toFixed(2)} µs/task (×${(us / base).toFixed(2)} the first)`)
    return {
      section: "flow",
      case: `${N.toLocaleString("en-US")} ${what}, ${label}`,
      impl: `sluice ${storage}`,
      n: N,
      stats,
      perTaskUs: us,
      ratio: us / base
    }
  }
}

const cases = [
  ["no key", workflowOf("plain", {})],
  ["key, limit 1,000 (never binds)", workflowOf("loose", { concurrency: { name: "flow", key: "k", limit: 1_000 } })],
  ["key, limit 8", workflowOf("tight", { concurrency: { name: "flow", key: "k", limit: 8 } })],
  [
    "rate limit (never binds)",
    workflowOf("rated", { rateLimit: { name: "flow", key: "k", limit: 1_000_000, per: "1 second" } })
  ],
  [
    "priority (varied)",
    Workflow.make({
      name: "flow_priority",
      tasks: Array.from({ length: N }, (_, i) => Task.make({ id: `t${i}`, priority: i % 7, run: () => {} }))
    })
  ]
] as const

/** Milliseconds from the lone tenant's submit to its task's start. */
const loneWait = async (storage: StorageName, keyed: boolean, flood: number): Promise<number> => {
  const e = engine(storage, 4)
  let started = 0
  const wf = Workflow.make({
    name: keyed ? "fair_keyed" : "fair_plain",
    ...(keyed ? { concurrency: { key: (input) => input.tenant as string, limit: 1_000_000 } } : {}),
    tasks: [
      Task.make({
        id: "work",
        run: (ctx) => ctx.get("tenant") === "lone" ? void (started = performance.now()) : Effect.sleep("1 millis")
      })
    ]
  })
  let wait = 0
  await e.run((r) =>
    Effect.gen(function*() {
      const flooding = yield* Effect.forEach(Array.from({ length: flood }), (_, n) =>
        r.submit(wf, { tenant: "flood", n }))
      const t = performance.now()
      yield* Effect.flatMap(r.submit(wf, { tenant: "lone" }), (h) =>
        h.result)
      wait = started - t
      yield* Effect.forEach(flooding, (h) => h.result, { discard: true })
    })
  )
  await e.dispose()
  return wait
}

export const flowSection = async (quick: boolean): Promise<Array<Row>> => {
  const rows: Array<Row> = []
  const flood = quick ? 200 : 2_000
  for (const storage of ["memory", "sqlite file"] as const) {
    for (const keyed of [false, true]) {
      const ms = await loneWait(storage, keyed, flood)
      const impl = `sluice ${storage}, ${keyed ? "workflow keys (round robin)" : "no keys (first come)"}`
      console.log(`  lone tenant behind ${flood} flooding executions, ${impl}: waited ${ms.toFixed(1)} ms`)
      rows.push({
        section: "flow",
        case: `lone tenant's wait behind ${flood} flooding executions`,
        impl,
        value: ms,
        unit: "ms"
      })
    }
  }
  const storages: Array<StorageName> = ["memory", "sqlite file"]
  if (postgres) storages.push("postgres")
  for (const storage of storages) {
    const e = engine(storage, 32)
    const row = group(storage, "roots")
    for (const [label, wf] of cases) {
      rows.push(row(label, await measure(() => e.run((r) => r.execute(wf)), quick ? 3 : 9, 2)))
    }
    await e.dispose()
  }
  rows.push(...(await codecRows(quick, storages)))
  rows.push(...(await tracingRows(quick)))
  return rows
}

/** Spans go nowhere: what making them costs, not what exporting does. */
const discard: SpanExporter = { export: (_spans, done) => done({ code: 0 }), shutdown: () => Promise.resolve() }

/**
 * What tracing costs: the same 1,000 no-op roots with Effect's built-in tracer (nobody listens:
 * no span is made) and with `@effect/opentelemetry`'s (a span per execution and per attempt,
 * batched to an exporter that drops them).
 */
const tracingRows = async (quick: boolean): Promise<Array<Row>> => {
  const rows: Array<Row> = []
  const wf = cases[0][1]
  for (const storage of ["memory", "sqlite file"] as const) {
    const row = group(storage, "roots")
    for (const traced of [false, true]) {
      const layer = Runner.layer({ maxConcurrentTasks: 32 }).pipe(Layer.provide(storageLayer(storage)))
      const runtime = ManagedRuntime.make(
        traced
          ? layer.pipe(Layer.provide(NodeSdk.layer(() => ({
            resource: { serviceName: "sluice-bench" },
            spanProcessor: new BatchSpanProcessor(discard)
          }))))
          : layer
      )
      const s = await measure(() => runtime.runPromise(Effect.flatMap(Runner, (r) => r.execute(wf))), quick ? 3 : 9, 2)
      await runtime.dispose()
      rows.push(row(traced ? "traced (OpenTelemetry)" : "not traced (nobody listens)", s))
    }
  }
  return rows
}

/**
 * What a codec costs: 1,000 roots that each write a 1 KiB string, with no codec, with
 * AES-256-GCM, and with gzip then AES-256-GCM; µs/task and the ratio to no codec in the same run.
 */
const codecRows = async (quick: boolean, storages: ReadonlyArray<StorageName>): Promise<Array<Row>> => {
  const rows: Array<Row> = []
  const payload = "x".repeat(1024)
  const wf = Workflow.make({
    name: "flow_codec",
    tasks: Array.from({ length: N }, (_, i) => Task.make({ id: `t${i}`, run: (ctx) => ctx.set(`v${i}`, payload) }))
  })
  const key = randomBytes(32)
  const codecs = [
    ["no codec", undefined],
    ["encrypt", StorageCodec.encrypt({ key, keyId: "bench" })],
    ["gzip + encrypt", StorageCodec.compose(StorageCodec.gzip, StorageCodec.encrypt({ key, keyId: "bench" }))]
  ] as const
  for (const storage of storages.filter((s) => s !== "memory")) {
    const row = group(storage, "roots writing 1 KiB")
    for (const [label, codec] of codecs) {
      const e = engine(storage, 32, codec)
      const s = await measure(() => e.run((r) => r.execute(wf)), quick ? 3 : 9, 2)
      await e.dispose()
      rows.push(row(label, s))
    }
  }
  return rows
}
