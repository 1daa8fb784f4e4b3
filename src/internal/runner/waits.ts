/**
 * The durable waits of an execution, armed by its supervisor once the round that began them is
 * committed (or once it is restored): a sleep is a timer to its stored end; a signal wait reads
 * the signals stored for the execution (one sent before the task was reached is kept there) and
 * has a timer to its timeout; a deferral asks its check every `every`. None holds a permit: each
 * is a sleeping fiber that ends by putting a message in the supervisor's mailbox.
 */
import { Cause, Effect, Schedule } from "effect"
import { TaskContextImpl } from "../../TaskContext.js"
import type { ExecutionState } from "../execution/state.js"
import type { Message, RuntimeEnv } from "./active.js"
import { callUser, errorMessage } from "./attempt.js"
import type { ItemOffers } from "./map.js"
import { runMap } from "./map.js"
import { sleepUntil } from "./timers.js"

/** Reads the signals stored for an execution into its mailbox; a failed read is tried again. */
export const readSignals = (
  env: RuntimeEnv,
  executionId: string,
  offer: (message: Message) => void,
  armed: boolean
): Effect.Effect<void> =>
  env.storage.signals(executionId).pipe(
    Effect.tapError((e) =>
      Effect.logWarning(`execution ${executionId}: signals not read (${e.message}); trying again`)
    ),
    Effect.retry(Schedule.spaced("1 second")),
    Effect.map((signals) => {
      for (const s of signals) offer({ _tag: "Signal", name: s.name, payload: s.payload })
      // The read armed with the waits says it is done (the supervisor may park then).
      if (armed) offer({ _tag: "SignalsRead" })
    }),
    Effect.orDie
  )

/**
 * The fibers to fork for the waits begun since the last call, keyed as the supervisor keys a
 * task's waits (`-1 - task`).
 */
export const armWaits = <R>(
  env: RuntimeEnv,
  state: ExecutionState,
  offer: (message: Message) => void,
  /** Runners sharing PostgreSQL: a map's item attempts may go to the other workers. */
  items?: ItemOffers
): Array<[number, Effect.Effect<unknown, never, R>]> => {
  const out: Array<[number, Effect.Effect<unknown, never, R>]> = []
  const begun = state.waitsBegun.splice(0)
  let signals = false
  for (const task of begun) {
    const wait = state.waitOf(task)
    if (wait === undefined || state.tasks.status[task] !== "Waiting") continue
    const due = state.tasks.dueAt(task)
    const timer = due === undefined
      ? Effect.never
      : Effect.zipRight(sleepUntil(due), Effect.sync(() => offer({ _tag: "WaitDue", task })))
    if (wait._tag === "Sleep") {
      out.push([-1 - task, timer])
    } else if (wait._tag === "Signal") {
      signals = true
      if (due !== undefined) out.push([-1 - task, timer])
    } else if (wait._tag === "Defer") {
      out.push([-1 - task, poll(state, task, wait.check, wait.everyMs, offer)])
    } else if (wait._tag === "Map") {
      out.push([-1 - task, runMap<R>(env, state, task, wait, offer, items)])
    } else if (!state.paused) {
      // A paused parent starts no child: the supervisor arms it again when it is resumed.
      out.push([-1 - task, child(env, state, task, wait.workflow, wait.input, offer)])
    }
  }
  // One read for every signal wait begun in this round.
  if (signals) out.push([-1 - state.n, readSignals(env, state.executionId, offer, true)])
  return out
}

/**
 * Starts a `Task.workflow` task's child (once: keyed by the task's turn, so a restart finds it)
 * and waits for its end; a child that cannot be started (its workflow unknown, a bad input) fails
 * the task.
 */
const child = (
  env: RuntimeEnv,
  state: ExecutionState,
  task: number,
  workflow: string,
  input: (ctx: TaskContextImpl) => unknown,
  offer: (message: Message) => void
): Effect.Effect<unknown> =>
  Effect.suspend(() =>
    env.children.run(
      state.childKey(task),
      workflow,
      input(state.waitContext(task)),
      () => state.paused
    )
  ).pipe(
    Effect.matchCause({
      onSuccess: (result) => offer({ _tag: "ChildEnded", task, result }),
      onFailure: (cause) =>
        offer({ _tag: "WaitFailed", task, error: `child workflow "${workflow}": ${errorMessage(Cause.squash(cause))}` })
    })
  )

/** Asks a deferral's check until it holds; a check that fails fails the task. */
const poll = <R>(
  state: ExecutionState,
  task: number,
  check: (ctx: TaskContextImpl) => unknown,
  everyMs: number,
  offer: (message: Message) => void
): Effect.Effect<unknown, never, R> => {
  const ask = callUser<R>(() => check(state.waitContext(task)))
  const once: Effect.Effect<boolean, unknown, R> = Effect.map(ask, (held) => held === true)
  return Effect.repeat(once, { until: (held) => held, schedule: Schedule.spaced(everyMs) }).pipe(
    Effect.matchCause({
      onSuccess: () => offer({ _tag: "WaitDue", task }),
      onFailure: (cause) =>
        offer({ _tag: "WaitFailed", task, error: `deferUntil check failed: ${errorMessage(Cause.squash(cause))}` })
    })
  )
}
