/**
 * The workflow supervisor: one fiber per execution, the only owner of its state. It receives the
 * outcomes of task attempts as messages, lets the state machine decide, takes permits for the
 * tasks that may start, commits what changed, publishes the events, and only then forks those
 * tasks. Task fibers never fork their successors; they report back and end. See
 * docs/ARCHITECTURE.md, "The hot path".
 */
import { Deferred, Effect, Exit, Fiber, Runtime } from "effect"
import * as ScheduleDecision from "effect/ScheduleDecision"
import * as ScheduleIntervals from "effect/ScheduleIntervals"
import type { StorageError } from "../../Errors.js"
import * as RetryPolicy from "../../RetryPolicy.js"
import type { Workflow } from "../../Workflow.js"
import type { WorkflowResult } from "../../WorkflowResult.js"
import type { Active, Message, RuntimeEnv } from "./active.js"
import { flush, startReady } from "./active.js"
import { runAttempt } from "./attempt.js"
import { ended } from "./ended.js"
import type { Restored } from "./offers.js"
import { Offers } from "./offers.js"
import { resultOf } from "./projection.js"
import { sleepFor, sleepUntil } from "./timers.js"
import { armWaits, readSignals } from "./waits.js"

export type { Active, EndError, FleetEnv, Message, RuntimeEnv } from "./active.js"
export { fenced, flush, startReady } from "./active.js"
export type { Restored } from "./offers.js"

export interface SuperviseOptions {
  /** Tasks whose attempts the caller already recorded and committed: fork them first. */
  readonly committed?: ReadonlyArray<number> | undefined
  /** Retries that were waiting when the execution was restored. */
  readonly waiting?: ReadonlyArray<{ readonly task: number; readonly dueAt: number }> | undefined
  /** Restored, runners sharing a database: the previous run's offered attempts, kept or dropped. */
  readonly offered?: Restored | undefined
  /** A parked execution woken: its waits and waiting retries are armed again from its state. */
  readonly rearm?: boolean | undefined
}

export const supervise = <R>(
  env: RuntimeEnv,
  workflow: Workflow<R>,
  active: Active,
  options: SuperviseOptions
): Effect.Effect<WorkflowResult | undefined, StorageError, R> => {
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
    // Retry schedules are stepped here, one state per task that failed (kept on the execution:
    // a parked execution's next supervisor goes on with them).
    const scheduleStates = active.retrySchedules
    // Depth-first: an ended attempt's permit is its own execution's first (its next round takes
    // it for the tasks that became ready, or gives it back); otherwise it goes back at once.
    const returnPermit = env.permits.depthFirst
      ? () => void active.waiter.granted++
      : () => env.permits.give(1)
    const givePermit = Effect.sync(returnPermit)
    // Attempt fibers running: while there are any, the execution cannot park (see parking.ts);
    // nor while the stored signals are being read (the fiber keyed `signalRead`).
    let attempts = 0
    const signalRead = -1 - state.n
    const forked: Array<[number, Effect.Effect<unknown, never, R>]> = []
    // Sharing a database with other workers: tasks this runner has no permit for go to them.
    let collected = false
    const offers = env.fleet === undefined || active.token === undefined
      ? undefined
      : new Offers(env.fleet, state, active, env.permits.total, options.offered)

    // Concurrency keys (see keys.ts): slots held and waited for, given back at the end.
    const { keys } = active

    const sleepThenRetry = (task: number, delayMs: number) =>
      forked.push([
        -1 - task,
        Effect.zipRight(sleepFor(delayMs), Effect.sync(() => mailbox.offer({ _tag: "RetryDue", task })))
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
          limits: env.limits,
          graph: workflow.graph,
          index: task
        }, clock)
        if (!Effect.isEffect(begun)) {
          returnPermit()
          mailbox.offer({ _tag: "AttemptEnded", task, attempt, outcome: begun })
          continue
        }
        attempts++
        // Traced: the body's own spans nest under its attempt's.
        const span = env.telemetry.spanOf(state.executionId, workflow.tasks[task].id)
        forked.push([
          task,
          (span === undefined ? begun : Effect.withParentSpan(begun, span)).pipe(
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

    const childKeys = () => state.waitingChildren()
    const passDown = (keys: ReadonlyArray<string>, tag: "Cancel" | "Pause" | "Resume") =>
      keys.length === 0 ? undefined : Effect.forEach(keys, (key) => env.children.control(key, tag), { discard: true })

    /** Applies a message; returns an Effect only when applying it needs one. */
    const handle = (message: Message, now: number): Effect.Effect<void> | undefined => {
      switch (message._tag) {
        case "AttemptEnded": {
          const { attempt, outcome, task } = message
          if (fibers.delete(task)) attempts--
          keys?.release(task)
          if (
            outcome._tag === "Succeeded" ||
            !RetryPolicy.allowsRetry(workflow.tasks[task].retry, state.policyAttempt(task, attempt), outcome.error)
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
        case "KeyGranted":
          // The execution's own slot: its held-back tasks may start (if it still runs).
          if (message.task < 0) {
            if (state.cancelled || state.paused || state.isDone) keys?.releaseExecution()
            else for (const task of [...state.heldBack]) state.readmit(task)
            return undefined
          }
          // Not wanted any more (cancelled, or paused: asked again at Resume): given back.
          if (state.tasks.status[message.task] !== "Pending" || state.cancelled || state.paused) {
            keys?.release(message.task)
          } else state.readmit(message.task)
          return undefined
        case "WaitDue":
          fibers.delete(-1 - message.task)
          state.waitDue(message.task, now)
          return undefined
        case "WaitFailed":
          fibers.delete(-1 - message.task)
          state.waitFailed(message.task, message.error, now)
          return undefined
        case "ItemsDone":
          state.itemsDone(message.task, message.take(), now)
          return undefined
        case "MapEnded":
          fibers.delete(-1 - message.task)
          state.mapEnded(message.task, message.ended, now)
          return undefined
        case "ChildEnded":
          fibers.delete(-1 - message.task)
          state.childEnded(message.task, message.result, now)
          return undefined
        case "Signal":
          state.signalled(message.name, message.payload, now)
          return undefined
        case "Signals":
          return readSignals(env, state.executionId, (m) => handle(m, now), false)
        case "SignalsRead":
          fibers.delete(signalRead)
          return undefined
        case "Outcomes":
          // Many wake-ups in one round: one look.
          if (offers === undefined || collected) return undefined
          collected = true
          return Effect.flatMap(
            // Not readable now (the database away): the outcomes stay in the queue, and the
            // fleet's next tick asks for another look.
            Effect.catchAll(
              offers.collect,
              (e) => Effect.as(Effect.logWarning(`execution ${state.executionId}: outcomes not read: ${e.message}`), [])
            ),
            (ended) => Effect.forEach(ended, (m) => handle(m, now) ?? Effect.void, { discard: true })
          )
        case "Cancel":
          if (message.ack) {
            acks.push(message.ack)
          }
          if (state.cancelled || state.isDone) {
            return undefined
          }
          return Effect.zipRight(
            Effect.suspend(() => Fiber.interruptAll(fibers.values())),
            Effect.suspend(() => {
              // Its children are cancelled with it (read before the cancel ends their tasks).
              const children = childKeys()
              fibers.clear()
              attempts = 0
              keys?.releaseAll()
              state.cancel(message.reason, now)
              return passDown(children, "Cancel") ?? Effect.void
            })
          )
        case "Pause":
        case "Resume":
          if (message.ack) acks.push(message.ack)
          if (!state.setPaused(message._tag === "Pause", now)) return undefined
          if (message._tag === "Resume") {
            // Tasks held back by their key try again.
            for (const task of [...state.heldBack]) state.readmit(task)
            // Child waits reached while paused were not armed: they are now.
            for (let i = 0; i < state.n; i++) {
              if (state.tasks.status[i] === "Waiting" && state.waitOf(i)?._tag === "Child" && !fibers.has(-1 - i)) {
                state.waitsBegun.push(i)
              }
            }
          }
          return passDown(childKeys(), message._tag)
      }
    }

    const retries = options.rearm === true ? state.rearm() : options.waiting ?? []
    for (const { dueAt, task } of retries) {
      sleepThenRetry(task, Math.max(0, dueAt - clock.unsafeCurrentTimeMillis()))
    }
    // The execution's timeout is a stored deadline: it holds after a restart or a move.
    const { deadlineAt } = state.meta
    if (deadlineAt != null) {
      yield* Effect.fork(
        Effect.zipRight(
          sleepUntil(deadlineAt),
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
        offers?.offerReady(now)
        const row = state.isDone ? state.finish(now) : undefined
        if (row !== undefined || state.cancelled) offers?.clear()
        yield* Effect.onError(
          flush(env, state, active.log, "execution", active.token, offers?.take()),
          () => Effect.sync(() => env.permits.give(started.length))
        )
        if (acks.length > 0) { for (const ack of acks.splice(0)) yield* Deferred.succeed(ack, undefined) }
        if (row !== undefined) {
          const result = resultOf(row, state)
          yield* Deferred.succeed(active.done, result)
          return result
        }
      }
      committed = false
      // Nothing runs or is about to, and every unfinished task waits on a time or a signal: the
      // supervisor ends here, and the execution is parked until a message or its time.
      if (
        started.length === 0 && attempts === 0 && !fibers.has(signalRead) && mailbox.isEmpty && active.offered === 0
      ) {
        const signalWaitBegun = state.waitsBegun.some((t) => state.waitOf(t)?._tag === "Signal")
        const wakeAt = signalWaitBegun ? undefined : state.wakeAt()
        // Due already: its timers are armed instead, and it goes on now.
        if (wakeAt !== undefined && wakeAt > now) {
          state.waitsBegun.length = 0
          forked.length = 0
          active.parkedUntil = wakeAt
          return undefined
        }
      }
      // The waits begun in the round just committed (or restored) get their timers and checks.
      if (state.waitsBegun.length > 0) {
        forked.push(...armWaits<R>(env, state, (m) => mailbox.offer(m), offers))
      }
      launch(started)
      forkAll()
      const messages = yield* mailbox.takeAll
      now = clock.unsafeCurrentTimeMillis()
      collected = false
      for (const message of messages) {
        const effect = handle(message, now)
        if (effect !== undefined) yield* effect
      }
      forkAll()
    }
  }).pipe(
    Effect.ensuring(Effect.suspend(() => Fiber.interruptAll(fibers.values()))),
    // Its slots, and its places in the keys' queues, go back.
    Effect.ensuring(Effect.sync(() => active.keys?.releaseAll())),
    Effect.ensuring(Effect.sync(() => env.permits.leave(active.waiter))),
    Effect.onExit((exit) => (Exit.isSuccess(exit) ? Effect.void : ended(env, active, exit.cause)))
  )
}
