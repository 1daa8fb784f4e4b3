/**
 * The vocabulary of one execution's state machine: the DAG it runs, the execution's identity,
 * and what an attempt of a task came to (reported by the attempt runner, read by the state).
 */
import type { Wait } from "../../Task.js"
import type { ContextDelta } from "../../TaskContext.js"
import type { WorkflowOutput } from "../../Workflow.js"
import type { Graph } from "../dag/graph.js"
import type { JsonObject } from "../dag/json.js"
import type { TaskConcurrency, TaskRateLimit, WorkflowConcurrency } from "../dag/task.js"

/** What the state machine needs of a workflow: its identity and its compiled DAG. */
export interface Dag {
  readonly name: string
  readonly version: string
  readonly graph: Graph
  /** The tasks' durable waits and priorities, indexed like the graph (a workflow's tasks). */
  readonly tasks?: ReadonlyArray<
    {
      readonly wait: Wait | undefined
      readonly priority?: number | undefined
      readonly concurrency?: TaskConcurrency | undefined
      readonly rateLimit?: TaskRateLimit | undefined
    }
  >
  /** At most `limit` executions per key running at once (see runner/keys.ts). */
  readonly concurrency?: WorkflowConcurrency | undefined
  /** The workflow's typed final output, if it has one. */
  readonly output?: WorkflowOutput<unknown> | undefined
}

/** What one attempt of a task came to, as its fiber reports it. */
export type AttemptOutcome =
  | {
    readonly _tag: "Succeeded"
    readonly delta: ContextDelta
    readonly completedAt: number
    /** Another runner ran it (an offered attempt). */
    readonly runnerId?: string
  }
  | {
    readonly _tag: "Failed"
    readonly error: unknown
    readonly message: string
    readonly completedAt: number
    readonly runnerId?: string
  }

export interface ExecutionMeta {
  readonly executionId: string
  readonly input: JsonObject
  readonly createdAt: number
  readonly idempotencyKey: string | null
  /** The runner that runs it here: named in every attempt it starts. */
  readonly runnerId: string
  /** When the execution times out (epoch ms), if it has a timeout. */
  readonly deadlineAt?: number | null | undefined
}

/** How an execution is restored from storage (see `ExecutionState.restore`). */
export interface RestoreOptions {
  readonly paused: boolean
  /** This runner takes it up to run it (an `ExecutionStarted` event says so, with `reason`). */
  readonly resumed: boolean
  readonly reason?: string | undefined
  /** Attempts offered to other runners and still theirs to finish: task id → attempt. */
  readonly offered?: ReadonlyMap<string, number> | undefined
}

/** Whether any task has a priority (only then are ready tasks ordered by it). */
export const hasPriorities = (dag: Dag): boolean => dag.tasks?.some((t) => (t.priority ?? 0) !== 0) ?? false

/**
 * Orders the ready tasks not yet started (from `head`), higher priority first, ties in the order
 * they became ready; compacts the queue and returns its new head (0).
 */
export const byPriority = (ready: Array<number>, head: number, tasks: NonNullable<Dag["tasks"]>): number => {
  const rest = ready.slice(head).sort((a, b) => (tasks[b].priority ?? 0) - (tasks[a].priority ?? 0))
  ready.length = 0
  ready.push(...rest)
  return 0
}
