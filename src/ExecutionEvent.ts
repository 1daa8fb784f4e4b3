/**
 * What happens during an execution, as it happens: `Runner.events` streams these for every
 * execution, a submit handle's `events` for its own. They are also persisted.
 *
 * @since 0.1.0
 */
import type { FinalStatus } from "./internal/rules.js"

interface Base {
  readonly executionId: string
  readonly at: Date
}

/**
 * @since 0.1.0
 * @category models
 */
export type ExecutionEvent =
  | (Base & { readonly _tag: "ExecutionStarted"; readonly workflowName: string; readonly resumed: boolean })
  | (Base & { readonly _tag: "TaskStarted"; readonly taskId: string; readonly attempt: number })
  | (Base & { readonly _tag: "TaskCompleted"; readonly taskId: string; readonly attempt: number })
  | (Base & {
    readonly _tag: "TaskFailed"
    readonly taskId: string
    readonly attempt: number
    readonly error: string
    /** When another attempt follows: the time it is due. */
    readonly retryAt: Date | undefined
  })
  | (Base & { readonly _tag: "TaskSkipped"; readonly taskId: string; readonly reason: string })
  | (Base & { readonly _tag: "TaskCancelled"; readonly taskId: string })
  | (Base & { readonly _tag: "ExecutionPaused" })
  | (Base & { readonly _tag: "ExecutionResumed" })
  | (Base & {
    readonly _tag: "ExecutionFinished"
    readonly status: FinalStatus
    readonly errorMessage: string | undefined
  })

/**
 * @since 0.1.0
 * @category models
 */
export type Tag = ExecutionEvent["_tag"]

/**
 * The last event of every execution.
 *
 * @since 0.1.0
 * @category guards
 */
export const isFinished = (event: ExecutionEvent): event is Extract<ExecutionEvent, { _tag: "ExecutionFinished" }> =>
  event._tag === "ExecutionFinished"
