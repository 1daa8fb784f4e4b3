/**
 * Cron schedules and poll triggers through the public API, on every storage, timed by TestClock
 * (the test clock starts at 1970-01-01T00:00Z): next fire, catch-up after downtime, overlap,
 * management, reconciliation, bad input; and a 6-field cron in real time.
 */
import { describe, expect, it } from "@effect/vitest"
import { Context, Deferred, Effect, Either, Layer, TestClock } from "effect"
import type { RunnerConfig, RunnerService } from "sluice"
import { CronSchedule, PollTrigger, Runner, Storage, Task, Workflow } from "sluice"
import { storageCases } from "./support/storage.js"

const MINUTE = 60_000
const iso = (ms: number) => new Date(ms).toISOString()

/** Waits, in real time, until `f` gives a value that `ok` accepts. */
// Both bounded by real time, not by a count of tries: on PostgreSQL under a loaded CI machine one
// commit can take a second or more, and 200 tries of a few milliseconds ran out (a flake).
const realSleep = (ms: number) => Effect.promise(() => new Promise((resolve) => setTimeout(resolve, ms)))
const WITHIN_MS = 20_000

/** Waits in real time until `f` gives what `ok` accepts. */
const eventually = <A, E>(f: Effect.Effect<A, E>, ok: (a: A) => boolean, what: string) =>
  Effect.gen(function*() {
    for (const end = Date.now() + WITHIN_MS; Date.now() < end;) {
      const a = yield* f
      if (ok(a)) return a
      yield* realSleep(2)
    }
    return yield* Effect.dieMessage(`never happened: ${what}`)
  })

/** Moves the test clock a minute at a time (polls are asynchronous) until `f` gives what `ok` accepts. */
const advanceUntil = <A, E>(f: Effect.Effect<A, E>, ok: (a: A) => boolean, what: string) =>
  Effect.gen(function*() {
    for (const end = Date.now() + WITHIN_MS; Date.now() < end;) {
      const a = yield* f
      if (ok(a)) return a
      yield* TestClock.adjust("1 minute")
      yield* realSleep(5)
    }
    return yield* Effect.dieMessage(`never happened: ${what}`)
  })

const ran: Array<string> = []
const job = Workflow.make({
  name: "job",
  tasks: [Task.make({ id: "work", run: (ctx) => void ran.push(String(ctx.get("scheduledTime"))) })]
})

/** A storage built once, for runners that come and go (downtime between them). */
const sharedStorage = (layer: Layer.Layer<Storage, unknown>) =>
  Effect.map(Layer.build(layer), (ctx) => Layer.succeedContext(ctx))

const runnerOn = <A, E>(
  storage: Layer.Layer<Storage>,
  config: RunnerConfig,
  f: (runner: RunnerService) => Effect.Effect<A, E>
) =>
  Effect.scoped(
    Effect.flatMap(Layer.build(Runner.layer(config).pipe(Layer.provide(storage))), (ctx) => f(Context.get(ctx, Runner)))
  )

const scheduledTimes = (runner: RunnerService) => Effect.map(runner.list(), (list) => list.map((e) => e.executionId))

for (const storage of storageCases) {
  describe(`cron schedules: ${storage.name}`, () => {
    it.scoped("fires at its next time with the scheduled time in the input; listed with next and last fire", () =>
      Effect.gen(function*() {
        const store = yield* sharedStorage(storage.layer)
        const every10 = CronSchedule.make({ id: "every-10", workflow: job, cron: "*/10 * * * *", input: { k: 1 } })
        yield* runnerOn(store, { workflows: [job], schedules: [every10] }, (runner) =>
          Effect.gen(function*() {
            const [listed] = yield* runner.listSchedules()
            expect(listed).toMatchObject({ id: "every-10", kind: "cron", workflow: "job", paused: false })
            expect(listed.nextFire?.toISOString()).toBe(iso(10 * MINUTE))
            expect(listed.lastFire).toBeUndefined()
            yield* TestClock.adjust("9 minutes")
            expect(yield* scheduledTimes(runner)).toEqual([])
            yield* TestClock.adjust("1 minute")
            const [fired] = yield* eventually(
              runner.list(),
              (l) => l.length === 1 && l[0].status === "Completed",
              "fire"
            )
            const info = yield* runner.get(fired.executionId)
            expect(info.input).toEqual({ k: 1, scheduledTime: iso(10 * MINUTE), scheduleId: "every-10" })
            const history = yield* runner.scheduleHistory("every-10")
            expect(history.map((h) => [h.scheduledTime.toISOString(), h.executionId, h.status])).toEqual([
              [iso(10 * MINUTE), fired.executionId, "Completed"]
            ])
            const [after] = yield* runner.listSchedules()
            expect(after.nextFire?.toISOString()).toBe(iso(20 * MINUTE))
            expect(after.lastFire?.toISOString()).toBe(iso(10 * MINUTE))
          }))
      }))

    for (
      const [catchUp, expected] of [
        ["skip", [60]],
        ["all", [10, 20, 30, 40, 50, 60]],
        [{ last: 2 }, [50, 60]]
      ] as const
    ) {
      it.scoped(`after downtime, catchUp ${JSON.stringify(catchUp)} fires ${expected.length} missed time(s), once`, () =>
        Effect.gen(function*() {
          const store = yield* sharedStorage(storage.layer)
          const schedule = CronSchedule.make({ id: "s", workflow: job, cron: "*/10 * * * *", catchUp })
          const config = { workflows: [job], schedules: [schedule] }
          yield* runnerOn(store, config, () => TestClock.adjust("5 minutes"))
          // No runner for an hour.
          yield* TestClock.adjust("60 minutes")
          for (let restart = 0; restart < 2; restart++) {
            yield* runnerOn(store, config, (runner) =>
              Effect.gen(function*() {
                const fires = yield* eventually(
                  runner.scheduleHistory("s"),
                  (h) => h.length === expected.length && h.every((f) => f.status === "Completed"),
                  `${expected.length} fires`
                )
                expect(fires.map((f) => f.scheduledTime.getTime() / MINUTE).toReversed()).toEqual(expected)
                expect((yield* runner.list()).length).toBe(expected.length)
              }))
          }
        }))
    }

    it.scoped("overlap skip: no new fire while the last execution is unfinished", () =>
      Effect.gen(function*() {
        const store = yield* sharedStorage(storage.layer)
        const gate = yield* Deferred.make<void>()
        let first = true
        const slow = Workflow.make({
          name: "slow",
          tasks: [Task.make({ id: "w", run: () => (first ? ((first = false), Deferred.await(gate)) : undefined) })]
        })
        const schedule = CronSchedule.make({ id: "o", workflow: slow, cron: "*/10 * * * *", overlap: "skip" })
        yield* runnerOn(store, { workflows: [slow], schedules: [schedule] }, (runner) =>
          Effect.gen(function*() {
            yield* TestClock.adjust("10 minutes")
            yield* eventually(runner.list(), (l) => l.length === 1, "first fire")
            yield* TestClock.adjust("10 minutes")
            const skipped = yield* eventually(runner.scheduleHistory("o"), (h) => h.length === 2, "skipped fire")
            expect(skipped[0]).toMatchObject({ status: "Skipped", executionId: undefined })
            expect(skipped[0].skipped).toContain("overlap")
            yield* Deferred.succeed(gate, undefined)
            yield* eventually(runner.list(), (l) => l[0].status === "Completed", "first done")
            yield* TestClock.adjust("10 minutes")
            const history = yield* eventually(
              runner.scheduleHistory("o"),
              (h) => h.length === 3 && h[0].status === "Completed",
              "third fire"
            )
            expect(history.map((h) => h.status)).toEqual(["Completed", "Skipped", "Completed"])
          }))
      }))

    it.scoped("added, paused, resumed, removed at run time; declared ones reconciled at start", () =>
      Effect.gen(function*() {
        const store = yield* sharedStorage(storage.layer)
        const declared = CronSchedule.make({ id: "declared", workflow: job, cron: "0 * * * *" })
        yield* runnerOn(store, { workflows: [job], schedules: [declared] }, (runner) =>
          Effect.gen(function*() {
            yield* runner.addSchedule(CronSchedule.make({ id: "added", workflow: job, cron: "*/10 * * * *" }))
            const unknown = yield* Effect.flip(
              runner.addSchedule(CronSchedule.make({ id: "x", workflow: "nope", cron: "* * * * *" }))
            )
            expect(unknown).toMatchObject({ _tag: "ScheduleError", reason: "UnknownWorkflow" })
            expect(yield* Effect.flip(runner.pauseSchedule("missing"))).toMatchObject({ reason: "NotFound" })
            yield* runner.pauseSchedule("added")
            const paused = (yield* runner.listSchedules()).find((s) => s.id === "added")
            expect(paused).toMatchObject({ paused: true, nextFire: undefined, declared: false })
            yield* TestClock.adjust("25 minutes")
            expect(yield* runner.scheduleHistory("added")).toEqual([])
            yield* runner.resumeSchedule("added")
            // From now on: the times it was paused over are not caught up.
            expect((yield* runner.listSchedules()).find((s) => s.id === "added")?.nextFire?.toISOString()).toBe(
              iso(30 * MINUTE)
            )
            yield* TestClock.adjust("5 minutes")
            yield* eventually(runner.scheduleHistory("added"), (h) => h.length === 1, "fire after resume")
          }))
        // Restarted without the declared schedule: it goes; the one added at run time stays.
        yield* runnerOn(store, { workflows: [job], schedules: [] }, (runner) =>
          Effect.gen(function*() {
            expect((yield* runner.listSchedules()).map((s) => s.id)).toEqual(["added"])
            yield* runner.removeSchedule("added")
            expect(yield* runner.listSchedules()).toEqual([])
            expect(yield* Effect.flip(runner.scheduleHistory("added"))).toMatchObject({ reason: "NotFound" })
          }))
      }))

    it.scoped("a changed declaration is reconciled at start: a new cron counts from now, new input keeps the time", () =>
      Effect.gen(function*() {
        const store = yield* sharedStorage(storage.layer)
        const first = CronSchedule.make({ id: "r", workflow: job, cron: "0 * * * *", input: { v: 1 } })
        yield* runnerOn(store, { workflows: [job], schedules: [first] }, () => TestClock.adjust("10 minutes"))
        const sameTimes = CronSchedule.make({ id: "r", workflow: job, cron: "0 * * * *", input: { v: 2 } })
        yield* runnerOn(store, { workflows: [job], schedules: [sameTimes] }, (runner) =>
          Effect.gen(function*() {
            const [s] = yield* runner.listSchedules()
            expect(s).toMatchObject({ input: { v: 2 }, declared: true })
            expect(s.nextFire?.toISOString()).toBe(iso(60 * MINUTE))
          }))
        const newCron = CronSchedule.make({ id: "r", workflow: job, cron: "*/15 * * * *", input: { v: 2 } })
        yield* runnerOn(store, { workflows: [job], schedules: [newCron] }, (runner) =>
          Effect.gen(function*() {
            const [s] = yield* runner.listSchedules()
            expect(s.cron).toBe("*/15 * * * *")
            expect(s.nextFire?.toISOString()).toBe(iso(15 * MINUTE))
          }))
      }))

    it.scoped("a fire is one transaction: of two runners firing one time, one writes", () =>
      Effect.gen(function*() {
        const ctx = yield* Layer.build(storage.layer)
        const store = Context.get(ctx, Storage)
        yield* store.schedules.put({
          id: "t",
          kind: "cron",
          spec: "{}",
          paused: false,
          declared: false,
          nextAt: 1000,
          updatedAt: 0
        })
        const fire = (executionId: string) =>
          store.schedules.fire({
            scheduleId: "t",
            expectedNextAt: 1000,
            nextAt: 2000,
            fires: [{ scheduleId: "t", scheduledAt: 1000, executionId, skipped: null, firedAt: 0, inputKey: null }],
            batch: {
              executions: [{
                id: executionId,
                workflowName: "job",
                workflowVersion: "v",
                status: "Running",
                input: {},
                errorMessage: null,
                idempotencyKey: null,
                taskCount: 1,
                createdAt: 0,
                completedAt: null
              }],
              executionUpdates: [],
              rounds: []
            }
          })
        const outcomes = yield* Effect.all([fire("e1"), fire("e2")], { concurrency: 2 })
        expect(outcomes.filter(Boolean)).toHaveLength(1)
        const stored = yield* store.executions({})
        expect(stored).toHaveLength(1)
        expect(yield* store.schedules.fires("t", 10)).toHaveLength(1)
        expect((yield* store.schedules.list)[0].nextAt).toBe(2000)
      }))

    it.scoped(
      "poll triggers: an input equal to an unfinished execution's starts nothing",
      () =>
        Effect.gen(function*() {
          const store = yield* sharedStorage(storage.layer)
          const gate = yield* Deferred.make<void>()
          const polled = Workflow.make({
            name: "polled",
            tasks: [Task.make({ id: "w", run: (ctx) => (ctx.get("n") === 1 ? Deferred.await(gate) : undefined) })]
          })
          const answers: Array<Record<string, unknown> | undefined> = [{ n: 1 }, { n: 1 }, undefined, { n: 2 }]
          const trigger = PollTrigger.make({
            id: "p",
            workflow: polled,
            every: "1 minute",
            check: () => Promise.resolve(answers.shift() ?? { n: 1 })
          })
          yield* runnerOn(store, { workflows: [polled], triggers: [trigger] }, (runner) =>
            Effect.gen(function*() {
              yield* eventually(runner.list(), (l) => l.length === 1, "first poll")
              // Polled again with {n: 1} (unfinished: nothing), nothing, then {n: 2}.
              const list = yield* advanceUntil(runner.list(), (l) => l.length === 2, "second input")
              expect(answers).toEqual([])
              const inputs = yield* Effect.forEach(list, (e) => Effect.map(runner.get(e.executionId), (i) => i.input))
              expect(inputs.map((i) => i.n).sort()).toEqual([1, 2])
              yield* Deferred.succeed(gate, undefined)
              yield* eventually(runner.list(), (l) => l.every((e) => e.status === "Completed"), "done")
              // Finished now: an equal input starts again (and again at later turns, as each run
              // finishes: more than one may have started by the time the list is read).
              yield* advanceUntil(runner.list(), (l) => l.length >= 3, "equal input after the first finished")
            }))
        })
    )

    it.scoped("poll triggers: a check that hangs is given up after its time limit, and asked again", () =>
      Effect.gen(function*() {
        const store = yield* sharedStorage(storage.layer)
        let asked = 0
        const trigger = PollTrigger.make({
          id: "hangs",
          workflow: job,
          every: "1 minute",
          // The first check never answers; the next ones give an input.
          check: () => (++asked === 1 ? Effect.never : Effect.succeed({ n: asked }))
        })
        yield* runnerOn(store, { workflows: [job], triggers: [trigger] }, (runner) =>
          Effect.gen(function*() {
            yield* eventually(Effect.sync(() => asked), (n) => n === 1, "first check")
            // Its next turns pass while it hangs: not asked again until its limit (3 turns, at
            // least a minute) is over.
            yield* TestClock.adjust("1 minute")
            yield* realSleep(50)
            expect(asked).toBe(1)
            const fired = yield* advanceUntil(runner.list(), (l) => l.length >= 1, "a fire after the hung check")
            expect(fired[0].workflowName).toBe("job")
          }))
      }))
  })
}

describe("schedule definitions", () => {
  const error = (f: () => unknown) => {
    const e = Either.try(f)
    if (Either.isRight(e)) throw new Error("made without error")
    return e.left as { _tag: string; reason: string; field?: string; message: string }
  }

  it("bad input is a typed error when it is made, naming the cron field", () => {
    const bad = error(() => CronSchedule.make({ id: "b", workflow: job, cron: "0 25 * * *" }))
    expect(bad).toMatchObject({ _tag: "ScheduleError", reason: "InvalidCron", field: "hour" })
    expect(bad.message).toContain("hour")
    expect(error(() => CronSchedule.make({ id: "b", workflow: job, cron: "61 * * * * *" })).field).toBe("second")
    expect(error(() => CronSchedule.make({ id: "b", workflow: job, cron: "* * * *" })).reason).toBe("InvalidCron")
    expect(error(() => CronSchedule.make({ id: "b", workflow: job, cron: "* * * * *", timezone: "Mars/Base" })).reason)
      .toBe("InvalidTimeZone")
    expect(error(() => CronSchedule.make({ id: "b", workflow: job, cron: "* * * * *", catchUp: { last: 0 } })).reason)
      .toBe("InvalidOption")
    expect(error(() => CronSchedule.make({ id: "b", workflow: job, cron: "* * * * *", overlap: "x" as never })).reason)
      .toBe("InvalidOption")
    expect(error(() => PollTrigger.make({ id: "p", workflow: job, every: 0, check: () => undefined })).reason).toBe(
      "InvalidOption"
    )
    expect(
      error(() => PollTrigger.make({ id: "p", workflow: job, every: "-1 seconds", check: () => undefined })).reason
    )
      .toBe("InvalidOption")
  })

  const fires = (cron: string, timezone: string, from: string, n: number) => {
    const s = CronSchedule.make({ id: "d", workflow: job, cron, timezone })
    const out: Array<string> = []
    let t = Date.parse(from)
    for (let i = 0; i < n; i++) out.push(iso(t = CronSchedule.nextAfter(s, t)))
    return out
  }

  it("Europe/Berlin: 02:30 does not exist on the spring change (fires at 03:30 CEST); 02:30 in autumn fires once", () => {
    expect(fires("30 2 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z", 3)).toEqual([
      "2026-03-29T01:30:00.000Z",
      "2026-03-30T00:30:00.000Z",
      "2026-03-31T00:30:00.000Z"
    ])
    expect(fires("30 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00Z", 3)).toEqual([
      "2026-10-25T00:30:00.000Z",
      "2026-10-26T01:30:00.000Z",
      "2026-10-27T01:30:00.000Z"
    ])
  })

  it("America/New_York: the spring gap and the autumn repeat", () => {
    expect(fires("30 2 * * *", "America/New_York", "2026-03-07T12:00:00Z", 2)).toEqual([
      "2026-03-08T07:30:00.000Z",
      "2026-03-09T06:30:00.000Z"
    ])
    expect(fires("30 1 * * *", "America/New_York", "2026-10-31T12:00:00Z", 2)).toEqual([
      "2026-11-01T05:30:00.000Z",
      "2026-11-02T06:30:00.000Z"
    ])
  })

  it("catch-up plans: skip, all, last n; the next time after the last fired", () => {
    const make = (catchUp: CronSchedule.CatchUp) =>
      CronSchedule.make({ id: "c", workflow: job, cron: "*/10 * * * *", catchUp })
    const at = (m: number) => m * MINUTE
    const now = at(65)
    expect(CronSchedule.plan(make("skip"), at(10), now)).toEqual({ fire: [at(60)], nextAt: at(70) })
    expect(CronSchedule.plan(make("all"), at(10), now)).toEqual({
      fire: [10, 20, 30, 40, 50, 60].map(at),
      nextAt: at(70)
    })
    expect(CronSchedule.plan(make({ last: 3 }), at(10), now)).toEqual({ fire: [40, 50, 60].map(at), nextAt: at(70) })
    expect(CronSchedule.plan(make("all"), at(70), now)).toEqual({ fire: [], nextAt: at(70) })
    expect(CronSchedule.plan(make("all"), at(10), now, 2)).toEqual({ fire: [10, 20].map(at), nextAt: at(30) })
  })
})

describe("a 6-field cron in real time", () => {
  it.live("fires every second, each scheduled time once", () =>
    Effect.gen(function*() {
      const store = yield* sharedStorage(Storage.layerSqlite({ filename: ":memory:" }))
      const everySecond = CronSchedule.make({ id: "tick", workflow: job, cron: "* * * * * *" })
      const history = yield* runnerOn(store, { workflows: [job], schedules: [everySecond] }, (runner) =>
        Effect.zipRight(
          Effect.sleep("3200 millis"),
          eventually(runner.scheduleHistory("tick"), (h) => h.every((f) => f.status === "Completed"), "done")
        ))
      const times = history.map((h) => h.scheduledTime.getTime())
      expect(times.length).toBeGreaterThanOrEqual(2)
      expect(new Set(times).size).toBe(times.length)
      for (const t of times) expect(t % 1000).toBe(0)
    }).pipe(Effect.scoped))
})
