/**
 * Tracing and metrics through Effect: with `@effect/opentelemetry`'s layer and an in-memory span
 * exporter, one execution of the tutorial's 15-task workflow gives 1 + 15 spans, the tasks' under
 * the execution's, with their attributes; a span made inside a task body nests under its
 * attempt's; failed attempts and retries are marked; the counters and the histogram move.
 */
import { NodeSdk } from "@effect/opentelemetry"
import { describe, expect, it } from "@effect/vitest"
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base"
import { Effect, Layer, Metric, MetricState } from "effect"
import { RetryPolicy, Runner, Storage, Task, Telemetry, Workflow } from "sluice"
import { makeCustomerAnalysis, seededRandom } from "../examples/workflows/customer-analysis.js"
import { storageCases } from "./support/storage.js"

const traced = (storage: Layer.Layer<Storage, unknown>) => {
  const exporter = new InMemorySpanExporter()
  const layer = Runner.layer({ workflows: [] }).pipe(
    Layer.provideMerge(storage),
    Layer.provide(NodeSdk.layer(() => ({
      resource: { serviceName: "sluice-test" },
      spanProcessor: new SimpleSpanProcessor(exporter)
    })))
  )
  return { exporter, layer }
}

const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId

for (const storage of storageCases.filter((s) => s.name !== "sqlite :memory:")) {
  describe(`telemetry: ${storage.name}`, () => {
    it.scopedLive("one execution of the 15-task workflow: 1 + 15 spans, linked, with their attributes", () =>
      Effect.gen(function*() {
        const { exporter, layer } = traced(storage.layer)
        const workflow = makeCustomerAnalysis({ log: () => {}, random: seededRandom(7) })
        // Read before the layer closes: the SDK's shutdown empties the exporter.
        const [result, spans] = yield* Effect.flatMap(Runner, (r) => r.execute(workflow)).pipe(
          Effect.map((result) => [result, [...exporter.getFinishedSpans()]] as const),
          Effect.provide(layer)
        )
        expect(result.status).toBe("Completed")
        const executions = spans.filter((s) => s.name.startsWith("sluice.execution"))
        const tasks = spans.filter((s) => s.name.startsWith("sluice.task"))
        expect(executions).toHaveLength(1)
        expect(tasks).toHaveLength(15)
        const [execution] = executions
        expect(execution.name).toBe(`sluice.execution ${workflow.name}`)
        expect(execution.attributes).toMatchObject({
          "sluice.workflow.name": workflow.name,
          "sluice.workflow.version": workflow.version,
          "sluice.execution.id": result.executionId,
          "sluice.status": "Completed"
        })
        expect(parentOf(execution)).toBeUndefined()
        for (const span of tasks) {
          expect(parentOf(span)).toBe(execution.spanContext().spanId)
          expect(span.spanContext().traceId).toBe(execution.spanContext().traceId)
          const taskId = span.attributes["sluice.task.id"]
          expect(span.name).toBe(`sluice.task ${String(taskId)}`)
          expect(span.attributes).toMatchObject({
            "sluice.execution.id": result.executionId,
            "sluice.task.attempt": 1,
            "sluice.status": "Completed",
            "sluice.runner.id": expect.any(String)
          })
        }
        expect(tasks.map((s) => s.attributes["sluice.task.id"]).sort()).toEqual(
          result.tasks.map((t) => t.taskId).sort()
        )
        // A task's span lies within the execution's.
        const time = (t: [number, number]) => t[0] * 1e9 + t[1]
        for (const span of tasks) {
          expect(time(span.startTime)).toBeGreaterThanOrEqual(time(execution.startTime))
          expect(time(span.endTime)).toBeLessThanOrEqual(time(execution.endTime))
        }
      }))

    it.scopedLive("a body's own span nests under its attempt; failed attempts are marked, retries counted", () =>
      Effect.gen(function*() {
        const { exporter, layer } = traced(storage.layer)
        let tries = 0
        const flaky = Task.make({
          id: "flaky",
          retry: RetryPolicy.exponential({ maxAttempts: 3, initialDelay: "1 millis" }),
          run: () =>
            Effect.gen(function*() {
              yield* Effect.sleep("1 millis")
              if (++tries < 3) return yield* Effect.fail(new Error(`try ${tries} broke`))
            }).pipe(Effect.withSpan("call the API"))
        })
        const wf = Workflow.make({ name: "traced-retries", tasks: [flaky] })
        const before = yield* Metric.value(Metric.tagged(Telemetry.metrics.tasksRetried, "workflow", wf.name))
        const [result, spans] = yield* Effect.flatMap(Runner, (r) => r.execute(wf)).pipe(
          Effect.map((result) => [result, [...exporter.getFinishedSpans()]] as const),
          Effect.provide(layer)
        )
        expect(result.status).toBe("Completed")
        const attempts = spans.filter((s) => s.name === "sluice.task flaky")
        expect(attempts.map((s) => [s.attributes["sluice.task.attempt"], s.attributes["sluice.status"]])).toEqual([
          [1, "Failed"],
          [2, "Failed"],
          [3, "Completed"]
        ])
        expect(attempts[0].attributes["sluice.error"]).toContain("try 1 broke")
        const calls = spans.filter((s) => s.name === "call the API")
        expect(calls).toHaveLength(3)
        expect(calls.map(parentOf).sort()).toEqual(attempts.map((s) => s.spanContext().spanId).sort())
        const after = yield* Metric.value(Metric.tagged(Telemetry.metrics.tasksRetried, "workflow", wf.name))
        expect(after.count - before.count).toBe(2)
      }))
  })
}

describe("metrics", () => {
  it.scopedLive("counters by workflow and status, and the duration histogram, move with what is committed", () =>
    Effect.gen(function*() {
      const name = "metered"
      const wf = Workflow.make({
        name,
        tasks: [
          Task.make({ id: "a", run: () => Effect.sleep("2 millis") }),
          Task.make({
            id: "b",
            dependencies: ["a"],
            run: () => {
              throw new Error("no")
            }
          }),
          Task.make({ id: "c", dependencies: ["a"], run: () => {} })
        ]
      })
      const value = <A extends Metric.Metric<any, any, any>>(m: A, ...tags: Array<[string, string]>) =>
        Metric.value(tags.reduce((acc, [k, v]) => Metric.tagged(acc, k, v) as A, m))
      const read = Effect.all({
        started: value(Telemetry.metrics.tasksStarted, ["workflow", name]),
        completed: value(Telemetry.metrics.tasksCompleted, ["workflow", name]),
        failed: value(Telemetry.metrics.tasksFailed, ["workflow", name]),
        finished: value(Telemetry.metrics.executionsFinished, ["workflow", name], ["status", "Failed"]),
        durations: value(Telemetry.metrics.taskDuration, ["workflow", name])
      })
      const before = yield* read
      const result = yield* Effect.flatMap(Runner, (r) => Effect.zipRight(r.execute(wf), r.execute(wf))).pipe(
        Effect.provide(Runner.layer({ workflows: [] }).pipe(Layer.provide(Storage.layerMemory)))
      )
      expect(result.status).toBe("Failed")
      const after = yield* read
      const count = (s: unknown) => (s as MetricState.MetricState.Counter<number>).count
      expect(count(after.started) - count(before.started)).toBe(6)
      expect(count(after.completed) - count(before.completed)).toBe(4)
      expect(count(after.failed) - count(before.failed)).toBe(2)
      expect(count(after.finished) - count(before.finished)).toBe(2)
      const histogram = (s: unknown) => s as MetricState.MetricState.Histogram
      expect(histogram(after.durations).count - histogram(before.durations).count).toBe(6)
      expect(histogram(after.durations).max).toBeGreaterThanOrEqual(2)
    }))
})
