/**
 * Tracing and metrics, read off the rounds a runner commits (see `flush` in active.ts): what is
 * counted and traced is what is stored, with the times stored.
 *
 * - Spans, only when a tracer other than Effect's built-in one is installed (e.g. the layer of
 *   `@effect/opentelemetry`): one per execution run on this runner (from its `ExecutionStarted`
 *   to its end here), one per task attempt under it (from `TaskStarted` to its outcome). A task
 *   body runs with its attempt's span as parent, so the spans it makes nest under it.
 * - Metrics (Effect's `Metric`, always on: a few counter updates a task): tasks started,
 *   completed, failed, retried; executions finished by status; task attempt durations.
 */
import type { Context as Ctx } from "effect"
import type { Tracer } from "effect"
import { Context, Effect, Exit, Metric, MetricBoundaries, MetricLabel, Option } from "effect"
import type { Entry } from "../storage/journal.js"

const counter = { incremental: true } as const

/**
 * The metrics, tagged with `workflow` (and `status` for executions).
 *
 * @since 0.6.0
 */
export const metrics = {
  tasksStarted: Metric.counter("sluice_tasks_started", { ...counter, description: "task attempts started" }),
  tasksCompleted: Metric.counter("sluice_tasks_completed", { ...counter, description: "task attempts completed" }),
  tasksFailed: Metric.counter("sluice_tasks_failed", { ...counter, description: "task attempts failed" }),
  tasksRetried: Metric.counter("sluice_tasks_retried", {
    ...counter,
    description: "failed attempts followed by another"
  }),
  executionsFinished: Metric.counter("sluice_executions_finished", {
    ...counter,
    description: "executions ended, by status"
  }),
  taskDuration: Metric.histogram(
    "sluice_task_duration_ms",
    MetricBoundaries.exponential({ start: 1, factor: 2, count: 20 }),
    "task attempt durations in milliseconds"
  )
}

/** Effect's own tracer: with it, nobody reads spans, and none are made. */
const builtIn = Effect.runSync(Effect.tracer)

const ns = (ms: number) => BigInt(Math.round(ms * 1_000_000))

/** An execution run here: its span (when tracing) and its attempts running, with their start. */
interface Open {
  readonly span: Tracer.Span | undefined
  readonly attempts: Map<string, { readonly span: Tracer.Span | undefined; readonly at: number }>
}

export interface Telemetry {
  /** After a commit: the round's transitions of one execution. */
  readonly round: (
    executionId: string,
    workflow: { readonly name: string; readonly version: string },
    entries: ReadonlyArray<Entry>
  ) => void
  /** The span of a running attempt: its body's spans nest under it. */
  readonly spanOf: (executionId: string, taskId: string) => Tracer.Span | undefined
  /** This runner stopped running the execution (ended, or not: shutdown, lost, released). */
  readonly release: (executionId: string) => void
}

/**
 * A workflow's metric updates. The labels are one array per workflow (and status), passed to the
 * untagged metrics: Effect caches a metric's hook by that array, where a tagged metric builds a
 * new array on every update and looks the hook up again (a chain of 10,000 tasks paid ~0.8 µs a
 * task for it).
 */
const tagged = (workflow: string) => {
  const labels = [MetricLabel.make("workflow", workflow)]
  const byStatus = new Map<string, ReadonlyArray<MetricLabel.MetricLabel>>()
  return {
    started: () => metrics.tasksStarted.unsafeUpdate(1, labels),
    completed: () => metrics.tasksCompleted.unsafeUpdate(1, labels),
    failed: () => metrics.tasksFailed.unsafeUpdate(1, labels),
    retried: () => metrics.tasksRetried.unsafeUpdate(1, labels),
    duration: (ms: number) => metrics.taskDuration.unsafeUpdate(ms, labels),
    finished: (status: string) => {
      let withStatus = byStatus.get(status)
      if (withStatus === undefined) byStatus.set(status, withStatus = [...labels, MetricLabel.make("status", status)])
      metrics.executionsFinished.unsafeUpdate(1, withStatus)
    }
  }
}

/** The runner's telemetry, with the tracer in use when the runner is built. */
export const makeTelemetry = (runnerId: string): Effect.Effect<Telemetry> =>
  Effect.map(Effect.all([Effect.tracer, Effect.clock]), ([tracer, clock]) => {
    const tracing = tracer !== builtIn
    const open = new Map<string, Open>()
    const byWorkflow = new Map<string, ReturnType<typeof tagged>>()
    const metricsOf = (workflow: string) => {
      let m = byWorkflow.get(workflow)
      if (m === undefined) byWorkflow.set(workflow, m = tagged(workflow))
      return m
    }
    const none: Ctx.Context<never> = Context.empty()
    const span = (name: string, parent: Tracer.Span | undefined, at: number, attributes: Record<string, unknown>) => {
      const made = tracer.span(name, Option.fromNullable(parent), none, [], ns(at), "internal")
      for (const key in attributes) if (attributes[key] !== undefined) made.attribute(key, attributes[key])
      return made
    }
    /** Ends an attempt; returns how long it took. */
    const endAttempt = (o: Open, taskId: string, at: number, status: string, error?: string) => {
      const attempt = o.attempts.get(taskId)
      if (attempt === undefined) return undefined
      o.attempts.delete(taskId)
      if (attempt.span !== undefined) {
        attempt.span.attribute("sluice.status", status)
        if (error !== undefined) attempt.span.attribute("sluice.error", error)
        attempt.span.end(ns(at), status === "Completed" ? Exit.void : Exit.fail(error ?? status))
      }
      return at - attempt.at
    }
    const close = (executionId: string, at: number, status: string) => {
      const o = open.get(executionId)
      if (o === undefined) return
      open.delete(executionId)
      for (const taskId of [...o.attempts.keys()]) endAttempt(o, taskId, at, "Interrupted")
      if (o.span !== undefined) {
        o.span.attribute("sluice.status", status)
        o.span.end(ns(at), status === "Completed" ? Exit.void : Exit.fail(status))
      }
    }

    return {
      round: (executionId, workflow, entries) => {
        const m = metricsOf(workflow.name)
        const attributes = {
          "sluice.workflow.name": workflow.name,
          "sluice.workflow.version": workflow.version,
          "sluice.execution.id": executionId
        }
        for (const entry of entries) {
          switch (entry._tag) {
            case "ExecutionStarted": {
              close(executionId, entry.at, "Released")
              open.set(executionId, {
                span: tracing
                  ? span(`sluice.execution ${workflow.name}`, undefined, entry.at, {
                    ...attributes,
                    "sluice.runner.id": entry.runnerId ?? runnerId,
                    "sluice.resumed": entry.resumed
                  })
                  : undefined,
                attempts: new Map()
              })
              break
            }
            case "TaskStarted": {
              m.started()
              let o = open.get(executionId)
              if (o === undefined) open.set(executionId, o = { span: undefined, attempts: new Map() })
              o.attempts.set(entry.taskId, {
                span: o.span === undefined ? undefined : span(`sluice.task ${entry.taskId}`, o.span, entry.at, {
                  ...attributes,
                  "sluice.task.id": entry.taskId,
                  "sluice.task.attempt": entry.attempt,
                  "sluice.runner.id": entry.runnerId ?? runnerId
                }),
                at: entry.at
              })
              break
            }
            case "TaskCompleted":
            case "TaskFailed": {
              const completed = entry._tag === "TaskCompleted"
              ;(completed ? m.completed : m.failed)()
              if (!completed && entry.retryAt !== undefined) m.retried()
              const o = open.get(executionId)
              const took = o === undefined
                ? undefined
                : endAttempt(
                  o,
                  entry.taskId,
                  entry.at,
                  completed ? "Completed" : "Failed",
                  completed ? undefined : entry.error
                )
              if (took !== undefined) m.duration(took)
              break
            }
            case "TaskCancelled":
            case "TaskSuspended": {
              const o = open.get(executionId)
              if (o !== undefined) endAttempt(o, entry.taskId, entry.at, "Interrupted")
              break
            }
            case "ExecutionFinished": {
              m.finished(entry.status)
              close(executionId, entry.at, entry.status)
              break
            }
          }
        }
      },
      spanOf: (executionId, taskId) => open.get(executionId)?.attempts.get(taskId)?.span,
      release: (executionId) => {
        if (open.has(executionId)) close(executionId, clock.unsafeCurrentTimeMillis(), "Released")
      }
    }
  })
