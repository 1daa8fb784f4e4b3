/**
 * The statuses of executions, tasks and attempts, as Schemas: what `WorkflowResult`, the events
 * and storage rows hold, and what a stored row is decoded against.
 *
 * @since 0.2.0
 */
import { Schema } from "effect"

/**
 * An execution: `Running` (or `Paused`) until it ends `Completed`, `Failed` or `Cancelled`.
 * `Pending` is kept for rows written by other tools; sluice starts executions `Running`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const ExecutionStatus = Schema.Literal("Pending", "Running", "Paused", "Completed", "Failed", "Cancelled")
/** @since 0.2.0 @category models */
export type ExecutionStatus = typeof ExecutionStatus.Type

/**
 * How an execution ended.
 *
 * @since 0.2.0
 * @category schemas
 */
export const FinalStatus = Schema.Literal("Completed", "Failed", "Cancelled")
/** @since 0.2.0 @category models */
export type FinalStatus = typeof FinalStatus.Type

/**
 * A task of an execution. `Pending` until it is decided and started; `Waiting` while a durable
 * wait holds it (a sleep, a signal, a deferral: no permit held); `Running` from the moment its
 * attempt is recorded; `Retrying` while a retry waits; then one of the terminal statuses.
 *
 * @since 0.2.0
 * @category schemas
 */
export const TaskStatus = Schema.Literal(
  "Pending",
  "Waiting",
  "Running",
  "Retrying",
  "Completed",
  "Failed",
  "Skipped",
  "Cancelled"
)
/** @since 0.2.0 @category models */
export type TaskStatus = typeof TaskStatus.Type

/** @since 0.2.0 @category models */
export type TerminalTaskStatus = "Completed" | "Failed" | "Skipped" | "Cancelled"

/**
 * One attempt of a task. `Interrupted`: cancelled while it ran, or lost with the process that
 * ran it.
 *
 * @since 0.2.0
 * @category schemas
 */
export const AttemptStatus = Schema.Literal("Running", "Completed", "Failed", "Interrupted")
/** @since 0.2.0 @category models */
export type AttemptStatus = typeof AttemptStatus.Type

/**
 * @since 0.2.0
 * @category guards
 */
export const isFinal = (status: ExecutionStatus): status is FinalStatus =>
  status === "Completed" || status === "Failed" || status === "Cancelled"

/**
 * @since 0.2.0
 * @category guards
 */
export const isTerminal = (status: TaskStatus): status is TerminalTaskStatus =>
  status === "Completed" || status === "Failed" || status === "Skipped" || status === "Cancelled"
