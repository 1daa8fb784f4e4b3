/**
 * Managing schedules: added (or changed), paused, resumed, removed, listed, their fires read
 * back; the ones declared in `Runner.layer({ schedules })` reconciled with storage at start. The
 * firing is in scheduler.ts. Every change wakes the scheduler (and, on PostgreSQL, the other
 * runners' with an `S` wake-up).
 */
import type { Context } from "effect"
import { Clock, Effect } from "effect"
import * as CronSchedule from "../../CronSchedule.js"
import { ScheduleError } from "../../Errors.js"
import type { StorageError } from "../../Errors.js"
import type * as PollTrigger from "../../PollTrigger.js"
import type { ExecutionStatus } from "../../Status.js"
import type { JsonObject } from "../dag/json.js"
import type { ScheduleRow } from "../storage/service.js"
import type { Runtime } from "./runtime.js"

/**
 * A schedule as `listSchedules` shows it. `nextFire`: the next scheduled time not yet fired
 * (none while paused); `lastFire`: the scheduled time of its last fire.
 *
 * @since 0.4.0
 * @category models
 */
export interface ScheduleInfo {
  readonly id: string
  readonly kind: "cron" | "poll"
  readonly workflow: string
  readonly cron: string | undefined
  readonly timezone: string | undefined
  /** Poll triggers: the interval, in milliseconds. */
  readonly everyMs: number | undefined
  readonly input: JsonObject | undefined
  readonly catchUp: CronSchedule.CatchUp | undefined
  readonly overlap: CronSchedule.Overlap | undefined
  readonly paused: boolean
  /** Given in `Runner.layer({ schedules })` (reconciled at start), not added at run time. */
  readonly declared: boolean
  readonly nextFire: Date | undefined
  readonly lastFire: Date | undefined
}

/**
 * One fire of a schedule, newest first in `scheduleHistory`: the execution it started and its
 * status, or `Skipped` with why (overlap).
 *
 * @since 0.4.0
 * @category models
 */
export interface ScheduleFire {
  readonly scheduleId: string
  readonly scheduledTime: Date
  readonly executionId: string | undefined
  /** `undefined`: its execution was pruned. */
  readonly status: ExecutionStatus | "Skipped" | undefined
  readonly skipped: string | undefined
  readonly firedAt: Date
}

export type Schedulable = CronSchedule.CronSchedule | PollTrigger.PollTrigger<any>

interface CronSpec {
  readonly workflow: string
  readonly cron: string
  readonly timezone: string | null
  readonly input: JsonObject
  readonly catchUp: CronSchedule.CatchUp
  readonly overlap: CronSchedule.Overlap
}

const specText = (s: Schedulable): string =>
  s._tag === "CronSchedule"
    ? JSON.stringify(
      {
        workflow: s.workflow,
        cron: s.cron,
        timezone: s.timezone ?? null,
        input: s.input,
        catchUp: s.catchUp,
        overlap: s.overlap
      } satisfies CronSpec
    )
    : JSON.stringify({ workflow: s.workflow, everyMs: s.everyMs })

const parsed = new Map<string, CronSchedule.CronSchedule | undefined>()

/** A stored cron schedule as a value (made again from its spec; remembered by spec text). */
export const specOf = (row: ScheduleRow): CronSchedule.CronSchedule | undefined => {
  const key = `${row.id}\u0000${row.spec}`
  if (parsed.has(key)) return parsed.get(key)
  let value: CronSchedule.CronSchedule | undefined
  try {
    const spec = JSON.parse(row.spec) as CronSpec
    value = CronSchedule.make({ ...spec, id: row.id, timezone: spec.timezone ?? undefined })
  } catch {
    value = undefined
  }
  if (parsed.size > 10_000) parsed.clear()
  parsed.set(key, value)
  return value
}

/** Poll triggers this runner can poll, by id: their checks are code, with the services they need. */
export type Triggers = Map<
  string,
  { readonly trigger: PollTrigger.PollTrigger<unknown>; readonly services: Context.Context<unknown> }
>

export interface Schedules {
  readonly rt: Runtime
  readonly triggers: Triggers
  /** Wakes this runner's scheduler, and the other runners'. */
  readonly changed: Effect.Effect<void>
}

const notFound = (id: string) => new ScheduleError({ scheduleId: id, reason: "NotFound", detail: "no such schedule" })

const find = (s: Schedules, id: string): Effect.Effect<ScheduleRow, ScheduleError | StorageError> =>
  Effect.flatMap(s.rt.env.storage.schedules.list, (rows) => {
    const row = rows.find((r) => r.id === id)
    return row === undefined ? Effect.fail(notFound(id)) : Effect.succeed(row)
  })

/** Adds a schedule, or changes the one with its id (a changed cron starts again from now). */
export const add = (
  s: Schedules,
  schedule: Schedulable,
  declared: boolean,
  services: Context.Context<unknown>
): Effect.Effect<void, ScheduleError | StorageError> =>
  Effect.gen(function*() {
    const { id } = schedule
    if (s.rt.registry.named(schedule.workflow) === undefined) {
      return yield* new ScheduleError({
        scheduleId: id,
        reason: "UnknownWorkflow",
        detail: `workflow "${schedule.workflow}" is not registered (known: ${s.rt.registry.names().join(", ")})`
      })
    }
    if (schedule._tag === "PollTrigger") s.triggers.set(id, { trigger: schedule, services })
    const now = yield* Clock.currentTimeMillis
    const existing = (yield* s.rt.env.storage.schedules.list).find((r) => r.id === id)
    const spec = specText(schedule)
    if (existing !== undefined && existing.spec === spec && existing.declared === declared) return
    const before = existing?.kind === "cron" ? specOf(existing) : undefined
    const sameTimes = schedule._tag === "CronSchedule" && before !== undefined && before.cron === schedule.cron &&
      before.timezone === schedule.timezone
    const nextAt = schedule._tag === "PollTrigger"
      ? existing?.nextAt ?? now
      : sameTimes
      ? existing!.nextAt
      : CronSchedule.nextAfter(schedule, now)
    yield* s.rt.env.storage.schedules.put({
      id,
      kind: schedule._tag === "CronSchedule" ? "cron" : "poll",
      spec,
      paused: existing?.paused ?? false,
      declared,
      nextAt,
      updatedAt: now
    }, { keepNextAt: existing !== undefined && (sameTimes || schedule._tag === "PollTrigger") })
    yield* s.changed
  })

export const setPaused = (s: Schedules, id: string, paused: boolean) =>
  Effect.gen(function*() {
    const row = yield* find(s, id)
    if (row.paused === paused) return
    const now = yield* Clock.currentTimeMillis
    // Resumed: from now on; the times it was paused over are not caught up.
    const spec = row.kind === "cron" ? specOf(row) : undefined
    const nextAt = paused ? row.nextAt : spec === undefined ? now : CronSchedule.nextAfter(spec, now)
    yield* s.rt.env.storage.schedules.put({ ...row, paused, nextAt, updatedAt: now })
    yield* s.changed
  })

export const remove = (s: Schedules, id: string) =>
  Effect.gen(function*() {
    const removed = yield* s.rt.env.storage.schedules.remove(id)
    s.triggers.delete(id)
    if (!removed) return yield* notFound(id)
    yield* s.changed
  })

export const list = (s: Schedules): Effect.Effect<ReadonlyArray<ScheduleInfo>, StorageError> =>
  Effect.flatMap(
    s.rt.env.storage.schedules.list,
    (rows) =>
      Effect.forEach(rows, (row) =>
        Effect.map(s.rt.env.storage.schedules.fires(row.id, 1), (fires): ScheduleInfo => {
          const spec = JSON.parse(row.spec) as Partial<CronSpec> & { readonly everyMs?: number }
          return {
            id: row.id,
            kind: row.kind,
            workflow: spec.workflow ?? "",
            cron: spec.cron,
            timezone: spec.timezone ?? undefined,
            everyMs: spec.everyMs,
            input: spec.input,
            catchUp: spec.catchUp,
            overlap: spec.overlap,
            paused: row.paused,
            declared: row.declared,
            nextFire: row.paused ? undefined : new Date(row.nextAt),
            lastFire: fires[0] === undefined ? undefined : new Date(fires[0].scheduledAt)
          }
        }))
  )

export const history = (s: Schedules, id: string, limit = 100) =>
  Effect.gen(function*() {
    yield* find(s, id)
    const fires = yield* s.rt.env.storage.schedules.fires(id, limit)
    return fires.map((f): ScheduleFire => ({
      scheduleId: f.scheduleId,
      scheduledTime: new Date(f.scheduledAt),
      executionId: f.executionId ?? undefined,
      status: f.executionId === null ? "Skipped" : f.status ?? undefined,
      skipped: f.skipped ?? undefined,
      firedAt: new Date(f.firedAt)
    }))
  })

/**
 * At start: the declared schedules added or changed; the declared ones stored but no longer
 * declared removed (only when the runner was given `schedules`: a runner without the option
 * leaves them to the runners that declare them).
 */
export const reconcile = (
  s: Schedules,
  declared: ReadonlyArray<Schedulable> | undefined,
  services: Context.Context<unknown>
) =>
  Effect.gen(function*() {
    if (declared === undefined) return
    const ids = new Set<string>()
    for (const schedule of declared) {
      if (ids.has(schedule.id)) {
        return yield* new ScheduleError({ scheduleId: schedule.id, reason: "InvalidOption", detail: "declared twice" })
      }
      ids.add(schedule.id)
      yield* add(s, schedule, true, services)
    }
    for (const row of yield* s.rt.env.storage.schedules.list) {
      if (row.declared && !ids.has(row.id)) yield* Effect.asVoid(s.rt.env.storage.schedules.remove(row.id))
    }
  })
