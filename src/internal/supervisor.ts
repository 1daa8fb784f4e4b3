/**
 * The workflow supervisor: one fiber per execution, the only owner of its state. It receives the
 * outcomes of task attempts as messages, lets the state machine decide, commits what changed,
 * publishes the events, and only then forks the tasks that became ready. Task fibers never fork
 * their successors; they report back and end.
 */
import { Deferred, type Duration, Effect, FiberMap, PubSub, Queue } from "effect"
import * as ScheduleDecision from "effect/ScheduleDecision"
import * as ScheduleIntervals from "effect/ScheduleIntervals"
import type { StorageError } from "../Errors.js"
import type { ExecutionEvent } from "../ExecutionEvent.js"
import type { StorageService } from "../Storage.js"
import type { WorkflowResult } from "../WorkflowResult.js"
import { runAttempt } from "./attempt.js"
import type { AttemptOutcome, ExecutionState } from "./execution.js"

export type Message =
  | { readonly _tag: "AttemptEnded"; readonly task: number; readonly attempt: number; readonly outcome: AttemptOutcome }
  | { readonly _tag: "RetryDue"; readonly task: number }
  | { readonly _tag: "Cancel"; readonly reason: string; readonly ack?: Deferred.Deferred<void> | undefined }
  | { readonly _tag: "Pause" | "Resume"; readonly ack?: Deferred.Deferred<void> | undefined }

/** What a supervisor needs from its runner. */
export interface SupervisorEnv {
  readonly storage: StorageService
  readonly semaphore: Effect.Semaphore
  readonly events: PubSub.PubSub<ExecutionEvent>
  /** How many `Runner.events` streams are running: with none, nothing is published. */
  readonly listeners: { count: number }
}

/** One execution as the runner tracks it while it runs. */
export interface Active {
  readonly state: ExecutionState
  readonly mailbox: Queue.Queue<Message>
  readonly done: Deferred.Deferred<WorkflowResult, StorageError>
  /** Replays the execution's events to late subscribers (submit handles). */
  readonly log: PubSub.PubSub<ExecutionEvent> | undefined
}

/** Commits what the state machine changed, then publishes its events. */
export const flush = (env: SupervisorEnv, active: Active): Effect.Effect<void, StorageError> => {
  const round = active.state.drain()
  if (round === undefined) return Effect.void
  return Effect.zipRight(
    env.storage.commit(round.batch),
    Effect.suspend(() => {
      const toLog = active.log === undefined ? Effect.void : PubSub.publishAll(active.log, round.events)
      return env.listeners.count === 0 ? toLog : Effect.zipRight(PubSub.publishAll(env.events, round.events), toLog)
    })
  )
}

/** The delay before the next attempt, or none when the retry schedule is done. */
const nextDelay = (active: Active, task: number, error: unknown, now: number): Effect.Effect<number | undefined> => {
  const { schedule } = active.state.workflow.tasks[task].retry
  const state = active.state.scheduleState[task] ?? schedule.initial
  return Effect.map(schedule.step(now, error, state), ([next, , decision]) => {
    active.state.scheduleState[task] = next
    if (ScheduleDecision.isDone(decision)) return undefined
    return Math.max(0, ScheduleIntervals.start(decision.intervals) - now)
  })
}

export interface SuperviseOptions {
  /** Tasks whose attempts the caller already recorded and committed: fork them first. */
  readonly committed?: ReadonlyArray<number> | undefined
  /** Retries that were waiting when the execution was restored. */
  readonly waiting?: ReadonlyArray<{ readonly task: number; readonly dueAt: number }> | undefined
  /** Ends the execution `Cancelled` with reason "timed out" after this long. */
  readonly executionTimeout?: Duration.Duration | undefined
}

export const supervise = (env: SupervisorEnv, active: Active, options: SuperviseOptions) =>
  Effect.gen(function*() {
    const { mailbox, state } = active
    const tasks = yield* FiberMap.make<number>()
    const fork = yield* FiberMap.runtime(tasks)<never>()
    const { workflow } = state
    const clock = yield* Effect.clock
    const acks: Array<Deferred.Deferred<void>> = []

    const sleepThenRetry = (task: number, delayMs: number) =>
      fork(-1 - task, Effect.zipRight(Effect.sleep(delayMs), Queue.offer(mailbox, { _tag: "RetryDue", task })))

    const launch = (ready: ReadonlyArray<number>) => {
      for (const task of ready) {
        const attempt = state.attemptOf(task)
        const run = runAttempt({
          task: workflow.tasks[task],
          input: state.inputOf(task),
          executionId: state.executionId,
          workflowName: workflow.name,
          attempt
        }, clock).pipe(
          env.semaphore.withPermits(1),
          Effect.map((outcome) => Queue.unsafeOffer(mailbox, { _tag: "AttemptEnded", task, attempt, outcome }))
        )
        // The services task bodies need are in this fiber's context: the runner provided them.
        fork(task, run as Effect.Effect<boolean>)
      }
    }

    /** Applies a message; returns an Effect only when applying it needs one. */
    const handle = (message: Message, now: number): Effect.Effect<void> | undefined => {
      switch (message._tag) {
        case "AttemptEnded": {
          const { attempt, outcome, task } = message
          if (outcome._tag === "Succeeded" || !state.mayRetry(task, outcome.error)) {
            state.attemptEnded(task, attempt, outcome, undefined, now)
            return undefined
          }
          return Effect.map(nextDelay(active, task, outcome.error, now), (delay) => {
            state.attemptEnded(task, attempt, outcome, delay, now)
            if (delay !== undefined) sleepThenRetry(task, delay)
          })
        }
        case "RetryDue":
          state.retryDue(message.task)
          return undefined
        case "Cancel":
          if (message.ack) acks.push(message.ack)
          if (state.cancelled || state.isDone) return undefined
          return Effect.zipRight(FiberMap.clear(tasks), Effect.sync(() => state.cancel(message.reason, now)))
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
    if (options.executionTimeout !== undefined) {
      yield* Effect.forkScoped(
        Effect.zipRight(
          Effect.sleep(options.executionTimeout),
          Queue.offer(mailbox, { _tag: "Cancel", reason: "timed out" })
        )
      )
    }

    // Each round: decide, record the attempts about to start, commit, and only then fork them.
    // The round that finishes the execution commits its end with its last transitions.
    let now = clock.unsafeCurrentTimeMillis()
    let ready = options.committed ?? []
    let skipCommit = options.committed !== undefined
    for (;;) {
      if (!skipCommit) {
        ready = state.takeReady(now)
        const result = state.isDone ? state.finish(now) : undefined
        yield* flush(env, active)
        if (acks.length > 0) { for (const ack of acks.splice(0)) yield* Deferred.succeed(ack, undefined) }
        if (result !== undefined) {
          yield* Deferred.succeed(active.done, result)
          return result
        }
      }
      skipCommit = false
      launch(ready)
      const messages = yield* Queue.takeBetween(mailbox, 1, Number.MAX_SAFE_INTEGER)
      now = clock.unsafeCurrentTimeMillis()
      for (const message of messages) {
        const effect = handle(message, now)
        if (effect !== undefined) yield* effect
      }
    }
  }).pipe(
    Effect.scoped,
    Effect.tapError((error) => Deferred.fail(active.done, error)),
    // Shutdown: the task fibers were interrupted with the scope; their attempts do not count.
    Effect.onInterrupt(() =>
      Effect.suspend(() => {
        active.state.suspend()
        return flush(env, active)
      }).pipe(Effect.ignoreLogged, Effect.zipRight(Deferred.interrupt(active.done)))
    )
  )
