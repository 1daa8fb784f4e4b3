/**
 * The typed errors of sluice. Each carries the facts a caller needs and a `message` that reads
 * on its own.
 *
 * @since 0.1.0
 */
import { Data } from "effect"

/**
 * Why a workflow (or one of its tasks) cannot be built.
 *
 * @since 0.1.0
 * @category errors
 */
export type DefinitionProblem =
  | "EmptyWorkflow"
  | "InvalidWorkflowName"
  | "InvalidTaskId"
  | "DuplicateTaskId"
  | "UnknownDependency"
  | "Cycle"
  | "InvalidTriggerRule"
  | "InvalidOption"

/**
 * A workflow definition that cannot run: thrown by `Workflow.make` and `Task.make`, failed with
 * by `Workflow.validate`. `reason` says which rule was broken, `message` says where.
 *
 * @since 0.1.0
 * @category errors
 */
export class WorkflowDefinitionError extends Data.TaggedError("WorkflowDefinitionError")<{
  readonly reason: DefinitionProblem
  readonly workflowName?: string | undefined
  readonly taskId?: string | undefined
  /** For `Cycle`: the task ids along the cycle, first id repeated at the end. */
  readonly cycle?: ReadonlyArray<string> | undefined
  readonly detail: string
}> {
  override get message(): string {
    const where = this.workflowName === undefined ? "" : `workflow "${this.workflowName}": `
    return `${where}${this.detail}`
  }
}

/**
 * A value that cannot be stored in a task context (or as workflow input) because it would not
 * survive a round trip through JSON.
 *
 * @since 0.1.0
 * @category errors
 */
export class ContextValueError extends Data.TaggedError("ContextValueError")<{
  readonly key: string
  /** Where inside the value, e.g. `customers[3].joined`; empty for the value itself. */
  readonly path: string
  readonly detail: string
}> {
  override get message(): string {
    const at = this.path === "" ? `"${this.key}"` : `"${this.key}" at ${this.path}`
    return `context value ${at} is not JSON: ${this.detail}`
  }
}

/**
 * A typed `ctx.get(key)` whose stored value does not decode with the key's schema.
 *
 * @since 0.1.0
 * @category errors
 */
export class ContextDecodeError extends Data.TaggedError("ContextDecodeError")<{
  readonly key: string
  readonly detail: string
}> {
  override get message(): string {
    return `context value "${this.key}" does not decode: ${this.detail}`
  }
}

/**
 * `execute`/`submit` named a workflow that the runner does not know.
 *
 * @since 0.1.0
 * @category errors
 */
export class WorkflowNotFoundError extends Data.TaggedError("WorkflowNotFoundError")<{
  readonly workflowName: string
  readonly known: ReadonlyArray<string>
  /** Set when the workflow was looked up for an unfinished execution, which this runner cannot run. */
  readonly executionId?: string | undefined
}> {
  override get message(): string {
    const known = this.known.length === 0 ? "none registered" : `registered: ${this.known.join(", ")}`
    const execution = this.executionId === undefined
      ? ""
      : `: execution "${this.executionId}" is unfinished, and this runner cannot run it`
    return `unknown workflow "${this.workflowName}" (${known})${execution}`
  }
}

/**
 * No execution with this id exists in the runner's storage.
 *
 * @since 0.1.0
 * @category errors
 */
export class ExecutionNotFoundError extends Data.TaggedError("ExecutionNotFoundError")<{
  readonly executionId: string
}> {
  override get message(): string {
    return `unknown execution "${this.executionId}"`
  }
}

/**
 * A storage URL that sluice cannot open.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidStorageUrlError extends Data.TaggedError("InvalidStorageUrlError")<{
  readonly url: string
  readonly detail: string
}> {
  override get message(): string {
    return `invalid storage URL "${this.url}": ${this.detail}`
  }
}

/**
 * Options given to the runner (or to `submit`) that are out of range.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidOptionError extends Data.TaggedError("InvalidOptionError")<{
  readonly option: string
  readonly detail: string
}> {
  override get message(): string {
    return `invalid option ${this.option}: ${this.detail}`
  }
}

/** One line for an error of any shape, never throwing (some causes cannot even be printed). */
const messageOf = (u: unknown): string => {
  try {
    if (u instanceof AggregateError && u.errors.length > 0) {
      return [...new Set(u.errors.map(messageOf))].join("; ")
    }
    if (u instanceof Error) return u.message === "" ? u.name : u.message
    if (typeof u === "string") return u
    return JSON.stringify(u) ?? String(u)
  } catch {
    return Object.prototype.toString.call(u)
  }
}

/**
 * The messages along an error's chain of causes, outermost first: "PgClient: Failed to connect:
 * database \"x\" does not exist" rather than the outermost alone.
 *
 * @since 0.2.0
 * @category utils
 */
export const describeCause = (cause: unknown): string => {
  const parts: Array<string> = []
  let current = cause
  for (let depth = 0; depth < 8 && current !== undefined && current !== null; depth++) {
    const message = messageOf(current)
    if (message !== "" && !parts.some((p) => p.includes(message))) parts.push(message)
    current = typeof current === "object" ? (current as { cause?: unknown }).cause : undefined
  }
  return parts.length === 0 ? "unknown cause" : parts.join(": ")
}

/**
 * The storage failed to read or write.
 *
 * @since 0.1.0
 * @category errors
 */
export class StorageError extends Data.TaggedError("StorageError")<{
  readonly operation: string
  readonly cause: unknown
  /**
   * Set when trying again may succeed: `"unavailable"` (the database is unreachable or
   * restarting: retried until it returns), `"busy"` (a lock or a conflict: retried), `"full"`
   * (no space left: retried a few times, then it stands).
   */
  readonly transient?: "unavailable" | "busy" | "full" | undefined
}> {
  override get message(): string {
    return `storage ${this.operation} failed: ${describeCause(this.cause)}`
  }
}

/**
 * An execution this runner stopped running because of a fault, not because it ended: a storage
 * error that retries did not cure, or a defect. It is left in storage as it was last committed;
 * `result(id)` or `resume(id)` takes it up again.
 *
 * @since 0.2.0
 * @category errors
 */
export class ExecutionAbortedError extends Data.TaggedError("ExecutionAbortedError")<{
  readonly executionId: string
  readonly cause: unknown
}> {
  override get message(): string {
    return `execution "${this.executionId}" was abandoned by this runner: ${describeCause(this.cause)}`
  }
}

/**
 * A call to a runner that was shut down (or is shutting down).
 *
 * @since 0.2.0
 * @category errors
 */
export class RunnerShutdownError extends Data.TaggedError("RunnerShutdownError")<{}> {
  override get message(): string {
    return "the runner was shut down"
  }
}

/**
 * An unfinished execution that this runner cannot run: its workflow is registered, but not with
 * the tasks the execution recorded (its definition changed since).
 *
 * @since 0.2.0
 * @category errors
 */
export class ExecutionNotRunnableError extends Data.TaggedError("ExecutionNotRunnableError")<{
  readonly executionId: string
  readonly workflowName: string
  readonly detail: string
}> {
  override get message(): string {
    return `execution "${this.executionId}" of workflow "${this.workflowName}" cannot run here: ${this.detail}`
  }
}

/**
 * Why a task attempt failed when it did not fail with an error of its own.
 *
 * @since 0.1.0
 * @category errors
 */
export class TaskTimeoutError extends Data.TaggedError("TaskTimeoutError")<{
  readonly taskId: string
  readonly timeoutMs: number
}> {
  override get message(): string {
    return `task "${this.taskId}" timed out after ${this.timeoutMs} ms`
  }
}

/**
 * A signal that no task of the execution waits for: `NotAwaited` (its workflow has no task
 * waiting for this signal, or they have all ended), `Finished` (the execution ended),
 * `AlreadySent` (a signal with this name is stored for it already), `InvalidPayload` (the
 * waiting task's schema refused it). Nothing is stored.
 *
 * @since 0.4.0
 * @category errors
 */
export class SignalError extends Data.TaggedError("SignalError")<{
  readonly executionId: string
  readonly signal: string
  readonly reason: "NotAwaited" | "Finished" | "AlreadySent" | "InvalidPayload"
  readonly detail: string
}> {
  override get message(): string {
    return `signal "${this.signal}" to execution ${this.executionId}: ${this.detail}`
  }
}

/**
 * A cron schedule or poll trigger that cannot be made or used: a malformed cron expression
 * (`field` names the field), an unknown time zone, a bad option, an unknown workflow, an unknown
 * schedule id.
 *
 * @since 0.4.0
 * @category errors
 */
export class ScheduleError extends Data.TaggedError("ScheduleError")<{
  readonly scheduleId: string
  readonly reason: "InvalidCron" | "InvalidTimeZone" | "InvalidOption" | "UnknownWorkflow" | "NotFound"
  readonly field?: string | undefined
  readonly detail: string
}> {
  override get message(): string {
    return `schedule "${this.scheduleId}": ${this.detail}`
  }
}

/**
 * A rerun that cannot be made: `NotFinished` (the execution has not ended, or runs again
 * already), `UnknownTask` (`from` names no task of its workflow version). Nothing is written.
 *
 * @since 0.5.0
 * @category errors
 */
export class RerunError extends Data.TaggedError("RerunError")<{
  readonly executionId: string
  readonly reason: "NotFinished" | "UnknownTask"
  readonly detail: string
}> {
  override get message(): string {
    return `rerun of execution ${this.executionId}: ${this.detail}`
  }
}

/**
 * `ctx.output(task)` that cannot be answered: `NotUpstream` (the task is not upstream of the one
 * reading: where TypeScript sees the dependencies this is a type error already), `Missing` (it
 * did not complete, e.g. skipped under an `allDone` rule, or its output was deleted), `NoSchema`
 * (it was made without `output`). Thrown in the body: the attempt fails with it.
 *
 * @since 0.5.0
 * @category errors
 */
export class TaskOutputError extends Data.TaggedError("TaskOutputError")<{
  /** The task reading. */
  readonly taskId: string
  /** The task whose output it read. */
  readonly output: string
  readonly reason: "NotUpstream" | "Missing" | "NoSchema"
  readonly detail: string
}> {
  override get message(): string {
    return `task "${this.taskId}" reading the output of "${this.output}": ${this.detail}`
  }
}
