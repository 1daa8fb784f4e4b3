/**
 * The workflow supervisor: one fiber per execution, the only owner of its state. It receives the
 * outcomes of task attempts as messages, lets the state machine decide, takes permits for the
 * tasks that may start, commits what changed, publishes the events, and only then forks those
 * tasks. Task fibers never fork their successors; they report back and end. See
 * docs/ARCHITECTURE.md, "The hot path".
 */
import type { Schedule } from "effect"
import { Cause, Clock, Deferred, Effect, Exit, Fiber, Option, PubSub, Runtime } from "effect"
import * as ScheduleDecision from "effect/ScheduleDecision"
import * as ScheduleIntervals from "effect/ScheduleIntervals"
import type { StorageError } from "../../Errors.js"
import { ExecutionAbortedError, RunnerShutdownError } from "../../Errors.js"
import type { ExecutionEvent } from "../../ExecutionEvent.js"
import * as RetryPolicy from "../../RetryPolicy.js"
import type { Workflow } from "../../Workflow.js"
import type { WorkflowResult } from "../../WorkflowResult.js"
import type { SizeLimits } from "../dag/json.js"
import type { AttemptOutcome } from "../execution/model.js"
import { ExecutionState } from "../execution/state.js"
import { eventsOf, fold } from "../storage/journal.js"
import type { StorageService } from "../storage/service.js"
import { runAttempt } from "./attempt.js"
import type { Hub } from "./hub.js"
import type { Mailbox } from "./mailbox.js"
import type { Permits, Waiter } from "./permits.js"
import { resultOf } from "./projection.js"
import { retryTransient } from "./retry.js"

export type Message =
  | { readonly _tag: "AttemptEnded"; readonly task: number; readonly attempt: number; readonly outcome: AttemptOutcome }
  | { readonly _tag: "RetryDue"; readonly task: number }
  /** Permits were handed over to this execution. */
  | { readonly _tag: "Permits" }
  | { readonly _tag: "Cancel"; readonly reason: string; readonly ack?: Deferred.Deferred<void> | undefined }
  | { readonly _tag: "Pause" | "Resume"; readonly ack?: Deferred.Deferred<void> | undefined }

/** What every supervisor of a runner shares. */
export interface RuntimeEnv {
  /** This runner's name, recorded with every attempt it starts. */
  readonly runnerId: string
  readonly storage: StorageService
  readonly permits: Permits
  readonly hub: Hub
  /** The waits between tries of a commit that failed for a transient reason. */
  readonly storageRetry: Schedule.Schedule<unknown, StorageError>
  readonly limits: SizeLimits
}

/** Why an execution's result never came: see `ended`. */
export type EndError = StorageError | ExecutionAbortedError | RunnerShutdownError

/** One execution as the runner tracks it while it runs. */
export interface Active {
  readonly state: ExecutionState
  readonly mailbox: Mailbox<Message>
  readonly done: Deferred.Deferred<WorkflowResult, EndError>
  /** Replays the execution's events to late subscribers (submit handles). */
  readonly log: PubSub.PubSub<ExecutionEvent> | undefined
  /** Its place in the queue for permits. */
  readonly waiter: Waiter
}

/**
 * Commits what the state machine changed (trying again on transient errors: see retry.ts),
 * then publishes its events.
 */
export const flush = (
  env: RuntimeEnv,
  state: ExecutionState,
  log: PubSub.PubSub<ExecutionEvent> | undefined,
  mode: "execution" | "submit" | "once" = "execution"
): Effect.Effect<void, StorageError> => {
  const round = state.round.take()
  if (round === undefined) return Effect.void
  const commit = env.storage.commit(round.batch)
  return Effect.zipRight(
    mode === "once" ? commit : retryTransient(commit, env.storageRetry, `execution ${state.executionId}`, mode),
    Effect.suspend(() => {
      const listening = env.hub.listening()
      if (log === undefined && !listening) return Effect.void
      const events = eventsOf(state.executionId, round.entries)
      const toLog = log === undefined ? Effect.void : PubSub.publishAll(log, events)
      return listening ? Effect.zipRight(env.hub.publish(events), toLog) : toLog
    })
  )
}

/** Takes the permits for as many ready tasks as may start, and records their attempts. */
export const startReady = (env: RuntimeEnv, active: Active, now: number): Array<number> => {
  const { state } = active
  const held = env.permits.take(active.waiter, state.startable)
  const started = state.start(held, now)
  if (started.length < held) env.permits.give(held - started.length)
  return started
}

export interface SuperviseOptions {
  /** Tasks whose attempts the caller already recorded and committed: fork them first. */
  readonly committed?: ReadonlyArray<number> | undefined
  /** Retries that were waiting when the execution was restored. */
  readonly waiting?: ReadonlyArray<{ readonly task: number; readonly dueAt: number }> | undefined
}

export const supervise = <R>(
  env: RuntimeEnv,
  workflow: Workflow<R>,
  active: Active,
  options: SuperviseOptions
): Effect.Effect<WorkflowResult, StorageError, R> => {
  // Task attempts and retry waits, keyed by task (retry waits by -1 - task). They are forked
  // with this fiber's runtime (its services) but not as its children: a child fiber copies its
  // parent's fiber refs, which costs more than the rest of a no-op task. So they are
  // interrupted here on cancel, and when this fiber ends (shutdown).
  const fibers = new Map<number, Fiber.RuntimeFiber<unknown>>()
  return Effect.gen(function*() {
    const { mailbox, state } = active
    const runFork = Runtime.runFork(yield* Effect.runtime<R>())
    const clock = yield* Effect.clock
    const acks: Array<Deferred.Deferred<void>> = []
    // Retry schedules are stepped here, one state per task that failed.
    const scheduleStates = new Map<number, unknown>()
    const givePermit = Effect.sync(() => env.permits.give(1))
    const forked: Array<[number, Effect.Effect<unknown, never, R>]> = []

    const sleepThenRetry = (task: number, delayMs: number) =>
      forked.push([
        -1 - task,
        Effect.zipRight(Effect.sleep(delayMs), Effect.sync(() => mailbox.offer({ _tag: "RetryDue", task })))
      ])

    /**
     * Starts the attempts just committed. A sync body runs here, on this fiber (its outcome goes
     * through the mailbox like any other, so its successors wait for the next commit); the others
     * get a fiber each.
     */
    const launch = (started: ReadonlyArray<number>) => {
      for (const task of started) {
        const attempt = state.tasks.attempts[task]
        const begun = runAttempt({
          task: workflow.tasks[task],
          input: state.inputOf(task),
          executionId: state.executionId,
          workflowName: workflow.name,
          attempt,
          limits: env.limits
        }, clock)
        if (!Effect.isEffect(begun)) {
          env.permits.give(1)
          mailbox.offer({ _tag: "AttemptEnded", task, attempt, outcome: begun })
          continue
        }
        forked.push([
          task,
          begun.pipe(
            Effect.map((outcome) => mailbox.offer({ _tag: "AttemptEnded", task, attempt, outcome })),
            // Whatever the end (outcome, cancel, shutdown), the permit goes back.
            Effect.ensuring(givePermit)
          )
        ])
      }
    }

    /** Forks what the last steps asked for. */
    const forkAll = () => {
      for (let i = 0; i < forked.length; i++) {
        const [key, effect] = forked[i]
        fibers.set(key, runFork(effect))
      }
      forked.length = 0
    }

    /** The wait before the next attempt, or none when the retry schedule is done. */
    const nextDelay = (task: number, error: unknown, now: number): Effect.Effect<number | undefined> => {
      const { schedule } = workflow.tasks[task].retry
      return Effect.map(
        schedule.step(now, error, scheduleStates.get(task) ?? schedule.initial),
        ([next, , decision]) => {
          scheduleStates.set(task, next)
          if (ScheduleDecision.isDone(decision)) {
            return undefined
          }
          return Math.max(0, ScheduleIntervals.start(decision.intervals) - now)
        }
      )
    }

    /** Applies a message; returns an Effect only when applying it needs one. */
    const handle = (message: Message, now: number): Effect.Effect<void> | undefined => {
      switch (message._tag) {
        case "AttemptEnded": {
          const { attempt, outcome, task } = message
          fibers.delete(task)
          if (
            outcome._tag === "Succeeded" ||
            !RetryPolicy.allowsRetry(workflow.tasks[task].retry, attempt, outcome.error)
          ) {
            state.attemptEnded(task, attempt, outcome, undefined, now)
            return undefined
          }
          return Effect.map(nextDelay(task, outcome.error, now), (delay) => {
            if (state.attemptEnded(task, attempt, outcome, delay, now) && delay !== undefined) {
              sleepThenRetry(task, delay)
            }
          })
        }
        case "RetryDue":
          fibers.delete(-1 - message.task)
          state.retryDue(message.task)
          return undefined
        case "Permits":
          return undefined
        case "Cancel":
          if (message.ack) {
            acks.push(message.ack)
          }
          if (state.cancelled || state.isDone) {
            return undefined
          }
          return Effect.zipRight(
            Effect.suspend(() => Fiber.interruptAll(fibers.values())),
            Effect.sync(() => {
              fibers.clear()
              state.cancel(message.reason, now)
            })
          )
        case "Pause":
        case "Resume":
          if (message.ack) acks.push(message.ack)
          state.setPaused(message._tag === "Pause", now)
          return undefined
      }
    }

    for (const { dueAt, task } of options.waiting ?? []) {
      sleepThenRetry(task, Math.max(0, dueAt - clock.unsafeCurrentTimeMillis()))
    }
    // The execution's timeout is a stored deadline: it holds after a restart or a move.
    const { deadlineAt } = state.meta
    if (deadlineAt != null) {
      yield* Effect.fork(
        Effect.zipRight(
          Effect.sleep(Math.max(0, deadlineAt - clock.unsafeCurrentTimeMillis())),
          Effect.sync(() => mailbox.offer({ _tag: "Cancel", reason: "timed out" }))
        )
      )
    }

    // Each round: decide, take permits and record the attempts about to start, commit, and only
    // then fork them. The round that finishes the execution commits its end with its last
    // transitions.
    let now = clock.unsafeCurrentTimeMillis()
    let started: ReadonlyArray<number> = options.committed ?? []
    // An execution that ended at its start (every root skipped) still needs its first round: its end.
    let committed = options.committed !== undefined && !state.isDone
    for (;;) {
      if (!committed) {
        started = startReady(env, active, now)
        const row = state.isDone ? state.finish(now) : undefined
        yield* Effect.onError(flush(env, state, active.log), () => Effect.sync(() => env.permits.give(started.length)))
        if (acks.length > 0) { for (const ack of acks.splice(0)) yield* Deferred.succeed(ack, undefined) }
        if (row !== undefined) {
          const result = resultOf(row, state)
          yield* Deferred.succeed(active.done, result)
          return result
        }
      }
      committed = false
      launch(started)
      forkAll()
      const messages = yield* mailbox.takeAll
      now = clock.unsafeCurrentTimeMillis()
      for (const message of messages) {
        const effect = handle(message, now)
        if (effect !== undefined) yield* effect
      }
      forkAll()
    }
  }).pipe(
    Effect.ensuring(Effect.suspend(() => Fiber.interruptAll(fibers.values()))),
    Effect.ensuring(Effect.sync(() => env.permits.leave(active.waiter))),
    Effect.onExit((exit) => (Exit.isSuccess(exit) ? Effect.void : ended(env, active, exit.cause)))
  )
}

/**
 * A supervisor that ends without a result settles its execution all the same, so that no caller
 * waits forever, and ends its event stream. Interrupted (shutdown): the attempts in flight are
 * given back, and callers get `RunnerShutdownError`. A fault: logged, and callers get the storage
 * error, or `ExecutionAbortedError` for a defect. A storage that stayed full (or busy) past its
 * retries leaves the execution as last committed, for `result`/`resume` to take up once it
 * recovers; a permanent error (a constraint, a value too large) or a defect records it `Failed`
 * with the reason, if storage still takes that.
 */
const ended = (env: RuntimeEnv, active: Active, cause: Cause.Cause<StorageError>): Effect.Effect<void> => {
  const { state } = active
  const close = active.log === undefined ? Effect.void : PubSub.shutdown(active.log)
  // One plain commit: no retry, so that a shutdown or an abort never waits on storage.
  const commit = Effect.suspend(() => {
    const round = state.round.take()
    return round === undefined ? Effect.void : env.storage.commit(round.batch)
  })
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
  const failure = Cause.failureOption(cause)
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
    yield* flush(env, stored, active.log, "once")
  })
  return Effect.logError(`execution ${state.executionId} abandoned: ${error.message}`).pipe(
    Effect.zipRight(resumable ? Effect.void : recordFailed),
    Effect.catchAllCause((c) => Effect.logWarning(`execution ${state.executionId}: not recorded as failed`, c)),
    Effect.zipRight(Deferred.fail(active.done, error)),
    Effect.zipRight(close)
  )
}
