/**
 * What an execution produced: its status, the final context, and each task's outcome.
 *
 * @since 0.1.0
 */
import type { AttemptStatus, ExecutionStatus, FinalStatus, TaskStatus } from "./Status.js"
import { isFinal } from "./Status.js"

export type { ExecutionStatus, FinalStatus, TaskStatus }
export { isFinal }

/**
 * One task of an execution. `attempts` counts the attempts started; `error` is the last
 * attempt's error (failed tasks) and `reason` why a task was skipped or cancelled.
 *
 * @since 0.1.0
 * @category models
 */
export interface TaskResult {
  /** The task's id. */
  readonly id: string
  /** The same id, under the name events use. */
  readonly taskId: string
  readonly status: TaskStatus
  readonly attempts: number
  readonly startedAt: Date | undefined
  readonly completedAt: Date | undefined
  readonly durationMs: number | undefined
  readonly error: string | undefined
  readonly reason: string | undefined
  /** The runner that ran its last attempt (absent when none started). */
  readonly runnerId: string | undefined
}

/**
 * A finished execution (`execute`, `handle.result`). `errorMessage` is absent when it completed,
 * otherwise e.g. `"1 task(s) failed, 13 completed, 1 skipped"`.
 *
 * @since 0.1.0
 * @category models
 */
export interface WorkflowResult<out O = unknown> {
  readonly executionId: string
  readonly workflowName: string
  readonly workflowVersion: string
  readonly status: FinalStatus
  readonly finalContext: Record<string, unknown>
  /** In the workflow's topological order. */
  readonly tasks: ReadonlyArray<TaskResult>
  readonly startedAt: Date
  readonly completedAt: Date
  readonly durationMs: number
  readonly errorMessage: string | undefined
  /**
   * The typed final output (`Workflow.make({ output })`): the final context decoded, when the
   * execution completed and its workflow (this version) has an output schema here.
   */
  readonly output: O | undefined
}

/**
 * The result of `runner.rerun`: the execution's result after it ran again, and the tasks this
 * rerun ran again (in topological order; each was decided again, so one whose trigger rule does
 * not hold is skipped again). Empty when there was nothing to run again (nothing was written).
 *
 * @since 0.5.0
 * @category models
 */
export interface RerunResult extends WorkflowResult {
  readonly rerunTasks: ReadonlyArray<string>
}

/**
 * An execution as storage knows it, finished or not (`get`, `list`). For a finished execution it
 * holds the same values as its `WorkflowResult`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ExecutionInfo {
  readonly executionId: string
  readonly workflowName: string
  readonly workflowVersion: string
  readonly status: ExecutionStatus
  readonly input: Record<string, unknown>
  readonly finalContext: Record<string, unknown> | undefined
  readonly tasks: ReadonlyArray<TaskResult>
  readonly startedAt: Date
  readonly completedAt: Date | undefined
  readonly durationMs: number | undefined
  readonly errorMessage: string | undefined
  readonly idempotencyKey: string | undefined
  /** A child execution (`Task.workflow`): the execution whose task started it. */
  readonly parentExecutionId: string | undefined
  /**
   * Set on an unfinished execution that no runner can run, saying why: the workflow version it is
   * pinned to is registered on no live runner (it is left as it is until one registers it).
   */
  readonly stranded: string | undefined
}

/**
 * An execution in a listing (no per-task detail).
 *
 * @since 0.1.0
 * @category models
 */
export type ExecutionSummary = Omit<ExecutionInfo, "tasks" | "input" | "finalContext">

/**
 * One attempt of a task, as recorded: when it started and ended, and how.
 *
 * @since 0.2.0
 * @category models
 */
export interface AttemptInfo {
  readonly taskId: string
  readonly attempt: number
  readonly status: AttemptStatus
  readonly error: string | undefined
  readonly startedAt: Date
  readonly completedAt: Date | undefined
  /** The runner that ran it. */
  readonly runnerId: string | undefined
}
