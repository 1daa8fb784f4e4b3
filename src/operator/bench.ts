/**
 * `sluice bench`: a user's own workflow run again and again on a runner, measured as the
 * engine's benchmark measures its own: latency of each execution (submit to result), workflows
 * per second, and the engine's overhead — an execution's wall time minus the critical path of
 * its task bodies (the longest chain of attempt durations through the DAG), i.e. what the
 * engine adds to what the bodies take.
 */
import { Clock, Effect } from "effect"
import type { ExecutionNotFoundError } from "../Errors.js"
import type { ExecuteError, RunnerService } from "../Runner.js"
import { Runner } from "../Runner.js"
import type { Workflow } from "../Workflow.js"
import type { AttemptInfo } from "../WorkflowResult.js"

export interface BenchOptions {
  /** Executions measured (default 100). */
  readonly runs?: number | undefined
  /** Executions in flight at once (default 1: latency without queueing). */
  readonly concurrency?: number | undefined
  /** Executions run first and not measured (default min(10, runs)). */
  readonly warmup?: number | undefined
  /** The input of every execution. */
  readonly input?: Record<string, unknown> | undefined
}

export interface BenchReport {
  readonly workflow: string
  readonly tasks: number
  readonly runs: number
  readonly concurrency: number
  readonly failed: number
  /** Milliseconds, submit to result. */
  readonly latency: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number }
  readonly workflowsPerSecond: number
  /** Milliseconds per execution: the median of wall time minus the bodies' critical path. */
  readonly overheadMs: number
  /** The same, per task. */
  readonly overheadPerTaskUs: number
  /** The median critical path of the bodies, ms. */
  readonly criticalPathMs: number
}

/** The q-quantile of sorted values (nearest rank). */
export const quantile = (sorted: ReadonlyArray<number>, q: number): number =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]

/**
 * The longest chain of body durations through the DAG: each task weighs the time between the
 * start of its first attempt and the end of its last (its retries' waits included: a body's
 * time, not the engine's).
 */
export const criticalPath = (
  workflow: Workflow<unknown>,
  attempts: ReadonlyArray<AttemptInfo>
): number => {
  const span = new Map<string, { start: number; end: number }>()
  for (const a of attempts) {
    if (a.completedAt === undefined) continue
    const s = span.get(a.taskId)
    const start = a.startedAt.getTime()
    const end = a.completedAt.getTime()
    span.set(
      a.taskId,
      s === undefined ? { start, end } : { start: Math.min(s.start, start), end: Math.max(s.end, end) }
    )
  }
  const longest = new Map<string, number>()
  for (const task of workflow.graph.topo.map((i) => workflow.tasks[i])) {
    const own = span.get(task.id)
    const before = Math.max(0, ...task.dependencies.map((d) => longest.get(d) ?? 0))
    longest.set(task.id, before + (own === undefined ? 0 : own.end - own.start))
  }
  return Math.max(0, ...longest.values())
}

const median = (values: ReadonlyArray<number>) => quantile([...values].sort((a, b) => a - b), 0.5)

/** Runs the workflow `runs` times (`concurrency` at once) on the runner in context, and measures. */
export const bench = (
  workflow: Workflow<unknown>,
  options: BenchOptions = {}
): Effect.Effect<BenchReport, ExecuteError | ExecutionNotFoundError, Runner> =>
  Effect.gen(function*() {
    const runner = yield* Runner
    const runs = Math.max(1, options.runs ?? 100)
    const concurrency = Math.max(1, options.concurrency ?? 1)
    const one = timed(runner, workflow, options.input ?? {})
    yield* Effect.forEach(Array.from({ length: options.warmup ?? Math.min(10, runs) }), () => one, {
      concurrency,
      discard: true
    })
    const start = yield* Clock.currentTimeMillis
    const measured = yield* Effect.forEach(Array.from({ length: runs }), () => one, { concurrency })
    const wall = (yield* Clock.currentTimeMillis) - start
    const latencies = measured.map((m) => m.latency).sort((a, b) => a - b)
    const overheads: Array<number> = []
    const paths: Array<number> = []
    for (const m of measured) {
      const path = criticalPath(workflow, m.attempts)
      paths.push(path)
      overheads.push(Math.max(0, m.latency - path))
    }
    const overheadMs = median(overheads)
    return {
      workflow: workflow.name,
      tasks: workflow.tasks.length,
      runs,
      concurrency,
      failed: measured.filter((m) => m.status !== "Completed").length,
      latency: {
        p50: quantile(latencies, 0.5),
        p90: quantile(latencies, 0.9),
        p99: quantile(latencies, 0.99),
        max: latencies.at(-1) ?? 0
      },
      workflowsPerSecond: wall === 0 ? runs * 1000 : (runs * 1000) / wall,
      overheadMs,
      overheadPerTaskUs: (overheadMs * 1000) / workflow.tasks.length,
      criticalPathMs: median(paths)
    }
  })

/** One execution: its latency (high-resolution), its duration as stored, its attempts. */
const timed = (runner: RunnerService, workflow: Workflow<unknown>, input: Record<string, unknown>) =>
  Effect.gen(function*() {
    const t0 = performance.now()
    const result = yield* runner.execute(workflow as Workflow<never>, input)
    const latency = performance.now() - t0
    const attempts = yield* runner.attempts(result.executionId)
    return { latency, status: result.status, attempts }
  })
