/**
 * Cron schedules: a workflow started at the times a cron expression names, in a time zone, each
 * scheduled time exactly once across restarts and across runners. Schedules are values: give
 * them to `Runner.layer({ schedules })`, or add them at run time with `runner.addSchedule`.
 *
 * @since 0.4.0
 */
import { Cron, DateTime, Either } from "effect"
import { ScheduleError } from "./Errors.js"
import { isValidId } from "./internal/dag/graph.js"
import type { JsonObject } from "./internal/dag/json.js"
import { toFrozenJsonObject } from "./internal/dag/json.js"
import { isWorkflow } from "./Workflow.js"
import type { Workflow } from "./Workflow.js"

/**
 * @since 0.4.0
 * @category symbols
 */
export const TypeId: unique symbol = Symbol.for("sluice/CronSchedule")

/**
 * After downtime (or a runner that was busy), which missed times run: `"skip"` only the most
 * recent, `"all"` every one, `{ last: n }` the `n` most recent.
 *
 * @since 0.4.0
 * @category models
 */
export type CatchUp = "skip" | "all" | { readonly last: number }

/**
 * `"allow"`: a time fires whatever runs; `"skip"`: no new execution while the schedule's last
 * one is unfinished (the time is recorded as skipped).
 *
 * @since 0.4.0
 * @category models
 */
export type Overlap = "allow" | "skip"

/**
 * @since 0.4.0
 * @category models
 */
export interface CronSchedule {
  readonly [TypeId]: typeof TypeId
  readonly _tag: "CronSchedule"
  readonly id: string
  /** The workflow's name. */
  readonly workflow: string
  readonly cron: string
  /** An IANA time zone; UTC when not given. */
  readonly timezone: string | undefined
  /** The input of every fired execution, to which `scheduledTime` (ISO) and `scheduleId` are added. */
  readonly input: JsonObject
  readonly catchUp: CatchUp
  readonly overlap: Overlap
  /** @internal */
  readonly parsed: Cron.Cron
}

/**
 * @since 0.4.0
 * @category models
 */
export interface Options {
  readonly id: string
  readonly workflow: Workflow<any> | string
  /** 5 fields (minute hour day month weekday), or 6 with seconds first. */
  readonly cron: string
  readonly timezone?: string | undefined
  readonly input?: Record<string, unknown> | undefined
  readonly catchUp?: CatchUp | undefined
  readonly overlap?: Overlap | undefined
}

const FIELDS_5 = ["minute", "hour", "day of month", "month", "day of week"]
const FIELDS_6 = ["second", ...FIELDS_5]

/** The field a malformed expression breaks: each one is tried alone. */
const badField = (cron: string): string | undefined => {
  const parts = cron.trim().split(/\s+/)
  const names = parts.length === 6 ? FIELDS_6 : parts.length === 5 ? FIELDS_5 : undefined
  if (names === undefined) return undefined
  for (let i = 0; i < parts.length; i++) {
    const alone = parts.map((p, j) => (j === i ? p : "*")).join(" ")
    if (Either.isLeft(Cron.parse(alone))) return names[i]
  }
  return undefined
}

/**
 * Makes a schedule, checked now: a malformed cron expression (the error names the field), an
 * unknown time zone or a bad option throws `ScheduleError`. Whether the workflow exists is checked
 * by the runner it is given to.
 *
 * @example
 * const nightly = CronSchedule.make({ id: "nightly-etl", workflow: etl, cron: "0 2 * * *", timezone: "Europe/Berlin" })
 *
 * @since 0.4.0
 * @category constructors
 */
export const make = (options: Options): CronSchedule => {
  const id = options.id
  const fail = (reason: ScheduleError["reason"], detail: string, field?: string): never => {
    throw new ScheduleError({ scheduleId: String(id), reason, detail, field })
  }
  // The id rule of tasks: letters, digits, `_`, `-`, `.`; at most 200.
  if (!isValidId(id)) {
    fail("InvalidOption", `invalid schedule id ${JSON.stringify(id)}: use letters, digits, "_", "-" and "."`)
  }
  const workflow: unknown = isWorkflow(options.workflow) ? options.workflow.name : options.workflow
  if (typeof workflow !== "string" || workflow.length === 0) {
    return fail("InvalidOption", "workflow must be a workflow or a name")
  }
  const { cron, timezone } = options
  if (typeof cron !== "string") return fail("InvalidCron", "cron must be a string")
  let zone: DateTime.TimeZone | undefined
  if (timezone !== undefined) {
    const named = typeof timezone === "string" ? DateTime.zoneMakeNamed(timezone) : undefined
    if (named === undefined || named._tag === "None") {
      fail("InvalidTimeZone", `unknown time zone ${JSON.stringify(timezone)}`)
    } else zone = named.value
  }
  const parsed = Cron.parse(cron, zone)
  if (Either.isLeft(parsed)) {
    const field = badField(cron)
    fail(
      "InvalidCron",
      `invalid cron expression "${cron}": ${field === undefined ? "" : `${field}: `}${parsed.left.message}`,
      field
    )
  }
  const catchUp = options.catchUp ?? "skip"
  const validCatchUp = catchUp === "skip" || catchUp === "all" ||
    (typeof catchUp === "object" && catchUp !== null && Number.isInteger(catchUp.last) && catchUp.last >= 1)
  if (!validCatchUp) {
    fail("InvalidOption", `catchUp must be "skip", "all" or { last: n } (n ≥ 1), got ${JSON.stringify(catchUp)}`)
  }
  const overlap = options.overlap ?? "allow"
  if (overlap !== "allow" && overlap !== "skip") fail("InvalidOption", `overlap must be "allow" or "skip"`)
  let input: JsonObject = {}
  try {
    input = toFrozenJsonObject(options.input ?? {})
  } catch (e) {
    fail("InvalidOption", `input: ${e instanceof Error ? e.message : String(e)}`)
  }
  return {
    [TypeId]: TypeId,
    _tag: "CronSchedule",
    id,
    workflow,
    cron,
    timezone,
    input,
    catchUp: typeof catchUp === "object" ? { last: catchUp.last } : catchUp,
    overlap,
    parsed: Either.getOrThrow(parsed)
  }
}

/**
 * @since 0.4.0
 * @category guards
 */
export const isCronSchedule = (u: unknown): u is CronSchedule => typeof u === "object" && u !== null && TypeId in u

/**
 * The first scheduled time strictly after `after` (epoch ms).
 *
 * @since 0.4.0
 * @category time
 */
export const nextAfter = (schedule: CronSchedule, after: number): number =>
  Cron.next(schedule.parsed, new Date(after)).getTime()

/**
 * What a schedule due at `nextAt` does at `now`: the scheduled times to fire (oldest first, by
 * its catch-up policy; at most `max`, the rest left for the next step), and the time it is due
 * next.
 *
 * @since 0.4.0
 * @category time
 */
export const plan = (
  schedule: CronSchedule,
  nextAt: number,
  now: number,
  max = 1000
): { readonly fire: ReadonlyArray<number>; readonly nextAt: number } => {
  if (nextAt > now) return { fire: [], nextAt }
  const cron = schedule.parsed
  const { catchUp } = schedule
  if (catchUp === "all") {
    const fire: Array<number> = []
    let t = nextAt
    while (t <= now && fire.length < max) {
      fire.push(t)
      t = Cron.next(cron, new Date(t)).getTime()
    }
    return { fire, nextAt: t }
  }
  // The most recent times at or before now (`prev` looks strictly before its whole second).
  const keep = catchUp === "skip" ? 1 : Math.min(catchUp.last, max)
  const recent: Array<number> = []
  for (const d of Cron.sequenceReverse(cron, new Date(Math.floor(now / 1000) * 1000 + 1000))) {
    const t = d.getTime()
    if (t > now) continue
    if (t < nextAt || recent.length === keep) break
    recent.push(t)
  }
  const latest = recent[0] ?? nextAt
  return { fire: recent.reverse(), nextAt: Cron.next(cron, new Date(latest)).getTime() }
}
