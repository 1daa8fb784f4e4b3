/**
 * Cron schedules and poll triggers: one fiber per runner sleeps (on Effect's clock) until the
 * earliest time a schedule is due, or until a schedule changes, then fires what is due. A fire is
 * one storage transaction (`ScheduleStorage.fire`): the schedule advanced only if it is still
 * where this runner read it, the fire rows keyed by (schedule, scheduled time), and the
 * executions they start. So a crash before it fires on the next start, and of runners firing at
 * once, one writes and the others find the schedule advanced: every time fires once.
 */
import type { Context, Scope } from "effect"
import { Cause, Clock, Effect, Queue } from "effect"
import { createHash } from "node:crypto"
import type * as CronSchedule from "../../CronSchedule.js"
import { plan } from "../../CronSchedule.js"
import type { StorageError } from "../../Errors.js"
import type * as PollTrigger from "../../PollTrigger.js"
import { isFinal } from "../../Status.js"
import type { Json, JsonObject } from "../dag/json.js"
import { toFrozenJsonObject } from "../dag/json.js"
import { ExecutionState } from "../execution/state.js"
import { executionId as newExecutionId } from "../ids.js"
import type { Batch, FireRow, ScheduleRow } from "../storage/service.js"
import { callUser, errorMessage } from "./attempt.js"
import type { Runnable } from "./registry.js"
import type { Runtime } from "./runtime.js"
import { prepare, start } from "./runtime.js"
import type { Triggers } from "./schedules.js"
import { specOf } from "./schedules.js"
import { clampSleep } from "./timers.js"

/** The fired executions, built and begun: their first round goes into the fire's transaction. */
const begin = (rt: Runtime, runnable: Runnable, input: JsonObject, now: number): ExecutionState => {
  const state = new ExecutionState(runnable.workflow, {
    executionId: newExecutionId(),
    input,
    createdAt: now,
    idempotencyKey: null,
    runnerId: rt.env.runnerId,
    deadlineAt: null
  })
  state.begin(now)
  return state
}

const merge = (batches: ReadonlyArray<Batch>): Batch => ({
  executions: batches.flatMap((b) => b.executions),
  executionUpdates: [],
  rounds: batches.flatMap((b) => b.rounds)
})

/** Runs fired executions here; runners sharing PostgreSQL leave them to the workers (`w`). */
const run = (rt: Runtime, runnable: Runnable, states: ReadonlyArray<ExecutionState>) =>
  rt.fleet !== undefined
    ? Effect.void
    : Effect.forEach(states, (state) =>
      Effect.flatMap(prepare(rt.env, state, false), (a) => start(rt, runnable, a, {})), {
      discard: true
    })

/** Whether the schedule's last started execution is unfinished. */
const lastUnfinished = (rt: Runtime, scheduleId: string) =>
  Effect.map(rt.env.storage.schedules.fires(scheduleId, 50), (fires) => {
    const last = fires.find((f) => f.executionId !== null)
    return last !== undefined && last.status !== null && !isFinal(last.status)
  })

/** Fires what is due of a cron schedule. */
const fireCron = (rt: Runtime, row: ScheduleRow, schedule: CronSchedule.CronSchedule, now: number) =>
  Effect.gen(function*() {
    const runnable = rt.registry.named(schedule.workflow)
    if (runnable === undefined) return false
    const { fire, nextAt } = plan(schedule, row.nextAt, now)
    let blocked = schedule.overlap === "skip" && fire.length > 0 && (yield* lastUnfinished(rt, row.id))
    const states: Array<ExecutionState> = []
    const fires: Array<FireRow> = []
    for (const scheduledAt of fire) {
      const base = { scheduleId: row.id, scheduledAt, firedAt: now, inputKey: null }
      if (blocked) {
        fires.push({ ...base, executionId: null, skipped: "overlap: the last execution is unfinished" })
        continue
      }
      const input = { ...schedule.input, scheduledTime: new Date(scheduledAt).toISOString(), scheduleId: row.id }
      const state = begin(rt, runnable, Object.freeze(input), now)
      states.push(state)
      fires.push({ ...base, executionId: state.executionId, skipped: null })
      blocked = schedule.overlap === "skip"
    }
    const batch = merge(states.map((s) => s.round.take()!.batch))
    const fired = yield* rt.env.storage.schedules.fire({
      scheduleId: row.id,
      expectedNextAt: row.nextAt,
      nextAt,
      fires,
      batch
    })
    if (fired) yield* run(rt, runnable, states)
    return fired
  })

/** Polls a trigger (this runner claimed this turn) and starts what its check gives. */
const poll = (
  rt: Runtime,
  trigger: PollTrigger.PollTrigger<unknown>,
  services: Context.Context<unknown>,
  turn: number,
  now: number
) =>
  Effect.gen(function*() {
    const runnable = rt.registry.named(trigger.workflow)
    if (runnable === undefined) return
    // A check that never answers must not hold the trigger for good: given up after three turns
    // (at least a minute), it is asked again at the next turn. (Only the check: a fire that
    // commits late is not cut off before its execution runs.)
    const limit = Math.max(3 * trigger.everyMs, 60_000)
    const answer = yield* Effect.provide(callUser(trigger.check), services).pipe(
      Effect.timeoutFail({ duration: limit, onTimeout: () => new Error(`no answer within ${limit} ms; given up`) })
    )
    if (answer === undefined || answer === null) return
    const input = toFrozenJsonObject(answer, rt.env.limits)
    const inputKey = createHash("sha256").update(canonical(input)).digest("hex")
    const fires = yield* rt.env.storage.schedules.fires(trigger.id, 1000)
    if (fires.some((f) => f.inputKey === inputKey && f.status !== null && !isFinal(f.status))) return
    const state = begin(rt, runnable, input, now)
    const fired = yield* rt.env.storage.schedules.fire({
      scheduleId: trigger.id,
      // Still this runner's turn: the schedule stays where its claim put it.
      expectedNextAt: turn,
      nextAt: turn,
      fires: [{
        scheduleId: trigger.id,
        scheduledAt: now,
        executionId: state.executionId,
        skipped: null,
        firedAt: now,
        inputKey
      }],
      batch: state.round.take()!.batch
    })
    if (fired) yield* run(rt, runnable, [state])
  }).pipe(
    Effect.catchAllCause((cause) =>
      Effect.logWarning(`poll trigger "${trigger.id}": ${errorMessage(Cause.squash(cause))}`)
    )
  )

/** JSON with its keys sorted: equal inputs give equal text. */
const canonical = (value: Json): string =>
  Array.isArray(value)
    ? `[${value.map(canonical).join(",")}]`
    : typeof value === "object" && value !== null
    ? `{${
      Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as JsonObject)[k])}`).join(",")
    }}`
    : JSON.stringify(value)

export interface SchedulerEnv {
  readonly rt: Runtime
  readonly triggers: Triggers
  readonly pokes: Queue.Queue<void>
  /**
   * Runners sharing a database: how long to sleep at most, in case a wake-up was lost. Alone
   * (undefined), every change pokes the loop: with nothing due it sleeps on no clock at all (a
   * test runtime's `settle` sees no periodic wake-up to step through).
   */
  readonly maxSleepMs: number | undefined
}

/** The scheduler's loop: fires what is due, then sleeps until the next due time or a change. */
export const loop = (env: SchedulerEnv): Effect.Effect<never, never, Scope.Scope> => {
  const { pokes, rt, triggers } = env
  const polling = new Set<string>()
  const step: Effect.Effect<number, StorageError, Scope.Scope> = Effect.gen(function*() {
    const rows = yield* rt.env.storage.schedules.list
    const now = yield* Clock.currentTimeMillis
    let wakeAt = env.maxSleepMs === undefined ? Infinity : now + env.maxSleepMs
    for (const row of rows) {
      if (row.paused) continue
      if (row.kind === "cron") {
        const spec = specOf(row)
        if (spec === undefined || rt.registry.named(spec.workflow) === undefined) continue
        if (row.nextAt <= now) {
          const fired = yield* Effect.catchAllCause(
            fireCron(rt, row, spec, now),
            (cause) =>
              Effect.as(
                Effect.logWarning(`schedule "${row.id}" not fired: ${errorMessage(Cause.squash(cause))}`),
                false
              )
          )
          // Fired: more may be due (a catch-up of more than one transaction). Not fired (another
          // runner did, or storage failed): looked at again in a second, not in a spin.
          wakeAt = Math.min(wakeAt, fired ? now : now + 1000)
        } else wakeAt = Math.min(wakeAt, row.nextAt)
        continue
      }
      const local = triggers.get(row.id)
      if (local === undefined || polling.has(row.id)) continue
      if (row.nextAt > now) {
        wakeAt = Math.min(wakeAt, row.nextAt)
        continue
      }
      const turn = now + local.trigger.everyMs
      const claimed = yield* rt.env.storage.schedules.fire({
        scheduleId: row.id,
        expectedNextAt: row.nextAt,
        nextAt: turn,
        fires: [],
        batch: { executions: [], executionUpdates: [], rounds: [] }
      })
      if (!claimed) continue
      wakeAt = Math.min(wakeAt, turn)
      polling.add(row.id)
      yield* Effect.forkScoped(
        Effect.ensuring(
          poll(rt, local.trigger, local.services, turn, now),
          Effect.sync(() => {
            polling.delete(row.id)
            void Queue.unsafeOffer(pokes, undefined)
          })
        )
      )
    }
    return wakeAt - now
  })
  return Effect.forever(
    Effect.gen(function*() {
      const delay = yield* Effect.catchAllCause(
        step,
        (cause) => Effect.as(Effect.logWarning(`schedules not read: ${errorMessage(Cause.squash(cause))}`), 1000)
      )
      if (delay <= 0) return
      yield* delay === Infinity
        ? Queue.take(pokes)
        : Effect.raceFirst(Effect.sleep(clampSleep(delay)), Queue.take(pokes))
      yield* Queue.takeAll(pokes)
    })
  )
}
