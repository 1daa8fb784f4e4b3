/**
 * How a supervisor that ends without a result settles its execution (see `ended`).
 */
import type { Cause as C } from "effect"
import { Cause, Clock, Deferred, Effect, Option, PubSub } from "effect"
import type { StorageError } from "../../Errors.js"
import { ExecutionAbortedError, RunnerShutdownError } from "../../Errors.js"
import { ExecutionState } from "../execution/state.js"
import { fold } from "../storage/journal.js"
import { isFenced } from "../storage/service.js"
import type { Active, RuntimeEnv } from "./active.js"
import { fenced, flush } from "./active.js"

/**
 * A supervisor that ends without a result settles its execution all the same, so that no caller
 * waits forever, and ends its event stream. Interrupted (shutdown): the attempts in flight are
 * given back, and callers get `RunnerShutdownError`. A fault: logged, and callers get the storage
 * error, or `ExecutionAbortedError` for a defect. A storage that stayed full (or busy) past its
 * retries leaves the execution as last committed, for `result`/`resume` to take up once it
 * recovers; a permanent error (a constraint, a value too large) or a defect records it `Failed`
 * with the reason, if storage still takes that.
 */
export const ended = (env: RuntimeEnv, active: Active, cause: C.Cause<StorageError>): Effect.Effect<void> => {
  const { state } = active
  const close = active.log === undefined ? Effect.void : PubSub.shutdown(active.log)
  // One plain commit: no retry, so that a shutdown or an abort never waits on storage.
  const commit = Effect.suspend(() => {
    const round = state.round.take()
    return round === undefined
      ? Effect.void
      : env.storage.commit(fenced(env, state.executionId, round.batch, active.token))
  })
  const failure = Cause.failureOption(cause)
  // Another runner runs it now (this one's lease lapsed, or its commit was fenced): nothing more
  // is written here, and whoever waits here gets the result from there.
  const moved = active.lost || (Option.isSome(failure) && failure.value._tag === "StorageError" &&
    isFenced(failure.value))
  if (moved && env.fleet !== undefined) {
    const why = active.lost
      ? "stopped without writing: this runner's lease lapsed"
      : "commit refused (a stale token): another runner took it over"
    return Effect.logWarning(`execution ${state.executionId}: ${why}`).pipe(
      Effect.zipRight(env.fleet.handOver(active)),
      Effect.zipRight(close)
    )
  }
  if (Cause.isInterruptedOnly(cause)) {
    return Effect.flatMap(Clock.currentTimeMillis, (now) => {
      state.suspend(now)
      return commit
    }).pipe(
      Effect.ignoreLogged,
      Effect.zipRight(Deferred.fail(active.done, new RunnerShutdownError())),
      Effect.zipRight(close)
    )
  }
  const error = Option.isSome(failure)
    ? failure.value
    : new ExecutionAbortedError({ executionId: state.executionId, cause: Cause.squash(cause) })
  const resumable = error._tag === "StorageError" && error.transient !== undefined
  // Recorded failed from what storage holds (the round that failed is not in it), with its
  // events published: the execution's stream ends with its ExecutionFinished.
  const recordFailed = Effect.gen(function*() {
    const journal = yield* env.storage.journal(state.executionId)
    const stored = new ExecutionState(state.dag, state.meta, journal.rounds)
    const now = yield* Clock.currentTimeMillis
    stored.restore(fold(journal.entries).tasks, { paused: false, resumed: false }, now)
    stored.abort(error.message, now)
    yield* flush(env, stored, active.log, "once", active.token)
  })
  return Effect.logError(`execution ${state.executionId} abandoned: ${error.message}`).pipe(
    Effect.zipRight(resumable ? Effect.void : recordFailed),
    Effect.catchAllCause((c) => Effect.logWarning(`execution ${state.executionId}: not recorded as failed`, c)),
    Effect.zipRight(Deferred.fail(active.done, error)),
    Effect.zipRight(close)
  )
}
