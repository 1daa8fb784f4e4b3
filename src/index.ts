/**
 * sluice: durable DAG workflows for Effect.
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * as ContextKey from "./ContextKey.js"
/** @since 0.1.0 */
export * as DefaultRunner from "./DefaultRunner.js"
/** @since 0.1.0 */
export * as RetryPolicy from "./RetryPolicy.js"
/** @since 0.1.0 */
export * as Task from "./Task.js"
/** @since 0.1.0 */
export * as TriggerRule from "./TriggerRule.js"
/** @since 0.1.0 */
export * as Workflow from "./Workflow.js"

/** @since 0.1.0 */
export { Runner } from "./Runner.js"
/** @since 0.1.0 */
export type { Config as RunnerConfig, ExecutionHandle, RunnerService, SubmitError, SubmitOptions } from "./Runner.js"
/** @since 0.1.0 */
export { Storage } from "./Storage.js"
/** @since 0.1.0 */
export type {
  AttemptRow,
  Batch,
  EventRow,
  ExecutionRow,
  ListFilter,
  PostgresOptions,
  SqliteOptions,
  StorageService,
  TaskRow
} from "./Storage.js"

/** @since 0.1.0 */
export type { ContextDelta, Key, TaskContext } from "./TaskContext.js"
/** @since 0.1.0 */
export type { ExecutionEvent } from "./ExecutionEvent.js"
/** @since 0.1.0 */
export { isFinished as isExecutionFinished } from "./ExecutionEvent.js"
/** @since 0.1.0 */
export type {
  ExecutionInfo,
  ExecutionStatus,
  ExecutionSummary,
  FinalStatus,
  TaskResult,
  TaskStatus,
  WorkflowResult
} from "./WorkflowResult.js"
/** @since 0.1.0 */
export type { DefaultRunner as DefaultRunnerService, PromiseHandle } from "./DefaultRunner.js"

/** @since 0.1.0 */
export * from "./Errors.js"
