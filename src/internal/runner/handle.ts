/** A submitted execution's handle: its id, its result, its events, its controls. */
import type { Effect } from "effect"
import { Stream } from "effect"
import type {
  ExecutionAbortedError,
  ExecutionNotRunnableError,
  RunnerShutdownError,
  StorageError,
  WorkflowNotFoundError
} from "../../Errors.js"
import type { ExecutionEvent } from "../../ExecutionEvent.js"
import { isFinished } from "../../ExecutionEvent.js"
import type { WorkflowResult } from "../../WorkflowResult.js"
import type { Active } from "./supervisor.js"

/**
 * A submitted execution.
 *
 * @since 0.1.0
 * @category models
 */
export interface ExecutionHandle<out O = unknown> {
  readonly executionId: string
  /** Waits for the end of the execution (on a Deferred: nothing polls). */
  readonly result: Effect.Effect<
    WorkflowResult<O>,
    StorageError | WorkflowNotFoundError | ExecutionNotRunnableError | ExecutionAbortedError | RunnerShutdownError
  >
  /** Every event of this execution from its start, ending with `ExecutionFinished`. */
  readonly events: Stream.Stream<ExecutionEvent, StorageError>
  readonly cancel: Effect.Effect<void, StorageError>
  readonly pause: Effect.Effect<void, StorageError>
  readonly resume: Effect.Effect<void, StorageError>
}

export interface HandleOps {
  readonly result: ExecutionHandle["result"]
  readonly history: Effect.Effect<ReadonlyArray<ExecutionEvent>, StorageError>
  readonly control: (tag: "Cancel" | "Pause" | "Resume") => Effect.Effect<void, StorageError>
  /** Runners share the database: the execution's events as whichever runner commits them. */
  readonly follow?: Stream.Stream<ExecutionEvent, StorageError> | undefined
}

export const makeHandle = (executionId: string, active: Active | undefined, ops: HandleOps): ExecutionHandle => ({
  executionId,
  result: ops.result,
  // A handle of an execution started here replays its log; otherwise its events are in storage.
  events: active?.log !== undefined
    ? Stream.fromPubSub(active.log).pipe(Stream.takeUntil(isFinished))
    : ops.follow ?? Stream.fromIterableEffect(ops.history),
  cancel: ops.control("Cancel"),
  pause: ops.control("Pause"),
  resume: ops.control("Resume")
})
