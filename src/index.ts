/**
 * sluice: durable DAG workflows for Effect.
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * as ContextKey from "./ContextKey.js"
export * as CronSchedule from "./CronSchedule.js"
/** @since 0.1.0 */
export * as DefaultRunner from "./DefaultRunner.js"
export * as PollTrigger from "./PollTrigger.js"
/** @since 0.1.0 */
export * as RetryPolicy from "./RetryPolicy.js"
/** @since 0.6.0 */
export * as RunnerTest from "./RunnerTest.js"
/** @since 0.2.0 */
export * as SqlStorage from "./SqlStorage.js"
/** @since 0.6.0 */
export * as StorageCodec from "./StorageCodec.js"
/** @since 0.2.0 */
export * as Status from "./Status.js"
/** @since 0.1.0 */
export * as Task from "./Task.js"
/** @since 0.6.0 */
export * as Telemetry from "./Telemetry.js"
/** @since 0.1.0 */
export * as TriggerRule from "./TriggerRule.js"
/** @since 0.1.0 */
export * as Workflow from "./Workflow.js"

/** @since 0.1.0 */
export { Runner } from "./Runner.js"
/** @since 0.1.0 */
export type {
  ConcurrencyInfo,
  Config as RunnerConfig,
  ExecuteError,
  ExecutionHandle,
  PruneOptions,
  ResultError,
  RetentionOptions,
  RunnerService,
  ScheduleFire,
  ScheduleInfo,
  SubmitError,
  SubmitOptions
} from "./Runner.js"
/** @since 0.1.0 */
export { emptyBatch, Fenced, isFenced, Storage } from "./Storage.js"
/** @since 0.1.0 */
export type {
  Adopted,
  AttemptRow,
  Batch,
  ExecutionRow,
  ExecutionUpdate,
  Fence,
  Fire,
  FireRow,
  FireWithStatus,
  FleetStorage,
  JournalEntry,
  ListFilter,
  Ownership,
  PostgresOptions,
  Round,
  ScheduleRow,
  ScheduleStorage,
  SignalRow,
  SqliteOptions,
  StorageService,
  TaskRow,
  WorkflowDefinition
} from "./Storage.js"

/** @since 0.1.0 */
export type { ContextDelta, Key, TaskContext } from "./TaskContext.js"
/** @since 0.1.0 */
export { EventsDropped, ExecutionEvent, isFinished as isExecutionFinished, Progress } from "./ExecutionEvent.js"
/** @since 0.1.0 */
export type {
  AttemptInfo,
  ExecutionInfo,
  ExecutionStatus,
  ExecutionSummary,
  FinalStatus,
  RerunResult,
  TaskResult,
  TaskStatus,
  WorkflowResult
} from "./WorkflowResult.js"
/** @since 0.1.0 */
export type { DefaultRunner as DefaultRunnerService, PromiseHandle } from "./DefaultRunner.js"

/** @since 0.1.0 */
export * from "./Errors.js"
/** @since 0.6.0 */
export { CodecError } from "./StorageCodec.js"
