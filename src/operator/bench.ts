/**
 * `sluice bench`: a user's own workflow run again and again on a runner, measured as the
 * engine's benchmark measures its own: latency of each execution (submit to result), workflows
 * per second, and the engine's overhead — an execution's wall time minus the critical path of
 * its task bodies (the longest chain of body times through the DAG, each body timed alone), i.e.
 * what the engine adds to what the bodies take. A retry's backoff is not a body: it counts as
 * overhead.
 */
import { Clock, Effect } from "effect"
import type { ExecutionNotFoundError } from "../Errors.js"
import { isPromiseLike } from "../internal/runner/attempt.js"
import type { ExecuteError, RunnerService } from "../Runner.js"
import { Runner } from "../Runner.js"
import type { TaskContext } from "../TaskContext.js"
import type { Workflow } from "../Workflow.js"

export interface BenchOptions {
  /** Executions measured (default 100). */
  readonly runs?: number | undefined
  /** Executions in flight at once (default 1: latency without queueing). */
  readonly concurrency?: number | undefined
  /** Executions run first and not measured (default min(100, runs)): the JIT warms up. */
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

/** The longest chain of body times (ms, by task id) through the DAG. */
export const criticalPath = (workflow: Workflow<unknown>, bodyMs: ReadonlyMap<string, number>): number => {
  const longest = new Map<string, number>()
  for (const task of workflow.graph.topo.map((i) => workflow.tasks[i])) {
    const before = Math.max(0, ...task.dependencies.map((d) => longest.get(d) ?? 0))
    longest.set(task.id, before + (bodyMs.get(task.id) ?? 0))
  }
  return Math.max(0, ...longest.values())
}

/** Times of task bodies, by execution then task (every attempt's body summed). */
type BodyTimes = Map<string, Map<string, number>>

/**
 * The workflow with each task's body timed (to the microsecond, around the body alone: what the
 * engine does before and after is not in it). Same name, version and graph: it runs as the
 * workflow itself.
 */
export const timed = (workflow: Workflow<unknown>, times: BodyTimes): Workflow<unknown> => {
  const record = (ctx: TaskContext, taskId: string, t0: number) => {
    let byTask = times.get(ctx.executionId)
    if (byTask === undefined) times.set(ctx.executionId, byTask = new Map())
    byTask.set(taskId, (byTask.get(taskId) ?? 0) + performance.now() - t0)
  }
  const tasks = workflow.tasks.map((task) => ({
    ...task,
    run: (ctx: TaskContext) => {
      const t0 = performance.now()
      let body: unknown
      try {
        body = task.run(ctx)
      } catch (error) {
        record(ctx, task.id, t0)
        throw error
      }
      if (Effect.isEffect(body)) return Effect.ensuring(body, Effect.sync(() => record(ctx, task.id, t0)))
      if (isPromiseLike(body)) {
        return Promise.resolve(body).finally(() => record(ctx, task.id, t0))
      }
      record(ctx, task.id, t0)
      return body
    }
  })) as Workflow<unknown>["tasks"]
  return { ...workflow, tasks }
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
    const times: BodyTimes = new Map()
    const one = once(runner, timed(workflow, times), options.input ?? {})
    yield* Effect.forEach(Array.from({ length: options.warmup ?? Math.min(100, runs) }), () => one, {
      concurrency,
      discard: true
    })
    times.clear() // the warm-up's bodies are not measured
    const start = yield* Clock.currentTimeMillis
    const measured = yield* Effect.forEach(Array.from({ length: runs }), () => one, { concurrency })
    const wall = (yield* Clock.currentTimeMillis) - start
    const latencies = measured.map((m) => m.latency).sort((a, b) => a - b)
    const overheads: Array<number> = []
    const paths: Array<number> = []
    for (const m of measured) {
      const path = criticalPath(workflow, times.get(m.executionId) ?? new Map())
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

/** One execution, and its latency (submit to result). */
const once = (runner: RunnerService, workflow: Workflow<unknown>, input: Record<string, unknown>) =>
  Effect.gen(function*() {
    const t0 = performance.now()
    const result = yield* runner.execute(workflow as Workflow<never>, input)
    return { latency: performance.now() - t0, status: result.status, executionId: result.executionId }
  })
