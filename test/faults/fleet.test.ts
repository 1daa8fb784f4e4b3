/**
 * Several runner processes on one PostgreSQL database, for real: they share executions, take
 * over those of a runner killed (SIGKILL) or stalled (SIGSTOP) past its lease, and a stalled one
 * that wakes up records nothing. Every attempt appends a line to a ledger shared by the processes
 * (test/fixtures/fleet-workflow.ts); storage must agree with it.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Stream } from "effect"
import { randomBytes } from "node:crypto"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import type { ExecutionEvent, RunnerService } from "sluice"
import { Storage } from "sluice"
import {
  fleetWorkflow,
  keyedWorkflow,
  mappedWorkflow,
  ratedWorkflow,
  wideWorkflow
} from "../fixtures/fleet-workflow.js"
import { freshDatabaseUrl, pgAllText, pgQuery, postgresAvailable } from "../support/postgres.js"
import type { Child } from "../support/processes.js"
import { readLines, scopedChild, spawnScript, until } from "../support/processes.js"
import { withRunnerOn } from "../support/runner.js"
import { tempDir } from "../support/storage.js"

const pg = await postgresAvailable()
const script = fileURLToPath(new URL("../fixtures/fleet-runner.ts", import.meta.url))

interface Line {
  readonly at: number
  readonly kind: "start" | "end"
  readonly execution: string
  readonly task: string
  readonly attempt: number
  readonly runner: string
}
const ledgerOf = (file: string): Array<Line> =>
  readLines(file).map(([at, kind, execution, task, attempt, runner]) => ({
    at: Number(at),
    kind: kind as Line["kind"],
    execution,
    task,
    attempt: Number(attempt),
    runner
  }))

const countBy = <A>(items: ReadonlyArray<A>, key: (a: A) => string) => {
  const counts = new Map<string, number>()
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1)
  return counts
}

const runner = (
  url: string,
  ledger: string,
  id: string,
  mode: "work" | "submit" | "boot",
  options: {
    readonly count?: number
    readonly leaseMs?: number
    readonly taskMs?: number
    readonly workflow?: "fleet" | "wide" | "mapped" | "keyed" | "rated"
    readonly env?: Record<string, string>
  } = {}
) =>
  scopedChild(() =>
    spawnScript(script, [url, ledger, id, mode, String(options.count ?? 0)], {
      LEASE_MS: String(options.leaseMs ?? 1500),
      TASK_MS: String(options.taskMs ?? 50),
      WORKFLOW: options.workflow ?? "fleet",
      ...options.env
    })
  )

const ready = (children: ReadonlyArray<Child>) =>
  until("the runners to be ready", () => children.every((c) => c.stdout().includes("READY")), 60_000)

const resultsOf = (front: Child) =>
  [...front.stdout().matchAll(/RESULT (\S+) (\S+)/g)].map(([, id, status]) => ({ id, status }))

/** A fresh database and ledger with worker processes on it, ready. */
const workersOn = (
  ids: ReadonlyArray<string>,
  options: { readonly taskMs?: number; readonly env?: Record<string, string> } = {}
) =>
  Effect.gen(function*() {
    const { url } = yield* freshDatabaseUrl
    const ledger = join(yield* tempDir, "ledger")
    const workers = yield* Effect.all(ids.map((id) => runner(url, ledger, id, "work", options)))
    yield* ready(workers)
    return { url, ledger, workers }
  })

/** A runner in this process that runs nothing: it reads, waits and controls across processes. */
const onlooker = <A, E>(url: string, ledger: string, f: (r: RunnerService) => Effect.Effect<A, E>) =>
  withRunnerOn(
    Storage.layerPostgres({ url }),
    {
      workflows: [
        fleetWorkflow(ledger, "onlooker", 0),
        wideWorkflow(ledger, "onlooker", 0),
        mappedWorkflow(ledger, "onlooker", 0),
        keyedWorkflow(ledger, "onlooker", 0),
        ratedWorkflow(ledger, "onlooker")
      ],
      worker: false,
      runnerId: "onlooker"
    },
    f
  )

/** Each execution's stored completions, by `execution/task`, with the attempt that completed. */
const completions = (r: RunnerService, ids: ReadonlyArray<string>) =>
  Effect.map(
    Effect.forEach(ids, (id) =>
      Effect.map(r.history(id), (events) =>
        events.flatMap((e) =>
          e._tag === "TaskCompleted" ? [{ key: `${id}/${e.taskId}`, attempt: e.attempt }] : []
        ))),
    (all) =>
      all.flat()
  )

describe.skipIf(!pg)("runner processes sharing PostgreSQL", () => {
  it.scopedLive(
    "three runners share 40 executions of a 20-task DAG; each task runs once; a runner that is not a worker runs nothing",
    () =>
      Effect.gen(function*() {
        // Booted at once, on an empty database: the migrations are serialized.
        const { ledger, url } = yield* workersOn(["w1", "w2", "w3"])
        const front = yield* runner(url, ledger, "front", "submit", { count: 40 })
        yield* until("every result", () => front.stdout().includes("DONE"), 120_000)
        const results = resultsOf(front)
        expect(results).toHaveLength(40)
        expect(results.every((r) => r.status === "Completed")).toBe(true)

        const lines = ledgerOf(ledger)
        const starts = lines.filter((l) => l.kind === "start")
        expect(starts).toHaveLength(40 * 20)
        expect([...countBy(starts, (l) => `${l.execution}/${l.task}`).values()].every((n) => n === 1)).toBe(true)
        const byRunner = countBy(starts, (l) => l.runner)
        console.log(`[fleet] tasks per runner: ${JSON.stringify(Object.fromEntries(byRunner))}`)
        expect([...byRunner.keys()].sort()).toEqual(["w1", "w2", "w3"])

        // Storage agrees with the ledger: each task completed once, by the runner that ran it.
        const ranBy = new Map(starts.map((l) => [`${l.execution}/${l.task}`, l.runner]))
        yield* onlooker(url, ledger, (r) =>
          Effect.gen(function*() {
            const done = yield* completions(r, results.map((x) => x.id))
            expect(done).toHaveLength(800)
            for (const { id } of results) {
              const info = yield* r.get(id)
              for (const task of info.tasks) {
                expect(task.attempts).toBe(1)
                expect(task.runnerId).toBe(ranBy.get(`${id}/${task.taskId}`))
              }
            }
          }))
      }),
    180_000
  )

  it.scopedLive(
    "the tasks of one execution run on several runners: each once, recorded by its owner",
    () =>
      Effect.gen(function*() {
        const { ledger, url } = yield* workersOn(["w1", "w2", "w3"], { taskMs: 50 })
        const front = yield* runner(url, ledger, "front", "submit", { count: 1, taskMs: 50, workflow: "wide" })
        yield* until("the result", () => front.stdout().includes("DONE"), 60_000)
        const [result] = resultsOf(front)
        expect(result.status).toBe("Completed")
        const starts = ledgerOf(ledger).filter((l) => l.kind === "start")
        expect(starts).toHaveLength(102)
        expect([...countBy(starts, (l) => l.task).values()].every((n) => n === 1)).toBe(true)
        const byRunner = countBy(starts, (l) => l.runner)
        console.log(`[fleet] one 102-task execution, tasks per runner: ${JSON.stringify(Object.fromEntries(byRunner))}`)
        expect([...byRunner.keys()].sort()).toEqual(["w1", "w2", "w3"])
        const ranBy = new Map(starts.map((l) => [l.task, l.runner]))
        yield* onlooker(url, ledger, (r) =>
          Effect.gen(function*() {
            const info = yield* r.get(result.id)
            expect(info.tasks.map((t) => [t.taskId, t.runnerId, t.attempts])).toEqual(
              info.tasks.map((t) => [t.taskId, ranBy.get(t.taskId), 1])
            )
            const attempts = yield* r.attempts(result.id)
            expect(attempts.map((a) => a.runnerId)).toEqual(attempts.map((a) => ranBy.get(a.taskId)))
            const done = yield* completions(r, [result.id])
            expect(done).toHaveLength(102)
          }))
      }),
    120_000
  )

  it.scopedLive(
    "with an encryption codec, attempts offered between runners and their outcomes are stored encrypted",
    () =>
      Effect.gen(function*() {
        const marker = "MARKER-fleet-51c2"
        const env = { CODEC_KEY: randomBytes(32).toString("hex"), MARKER: marker }
        const { ledger, url } = yield* workersOn(["w1", "w2"], { taskMs: 50, env })
        const front = yield* runner(url, ledger, "front", "submit", { count: 1, workflow: "wide", env })
        // The queue's rows live while attempts are offered: looked at until the execution ends.
        let seen = 0
        yield* until("the result", () => front.stdout().includes("DONE"), 60_000).pipe(
          Effect.raceFirst(Effect.forever(Effect.gen(function*() {
            const rows = yield* pgQuery<{ t: string }>(
              url,
              `SELECT coalesce(input, '') || coalesce(outcome, '') AS t FROM sluice_queue`
            )
            seen += rows.length
            for (const row of rows) expect(row.t).not.toContain(marker)
            yield* Effect.sleep("10 millis")
          })))
        )
        expect(resultsOf(front).map((r) => r.status)).toEqual(["Completed"])
        expect(seen).toBeGreaterThan(0)
        const starts = ledgerOf(ledger).filter((l) => l.kind === "start")
        expect([...new Set(starts.map((l) => l.runner))].sort()).toEqual(["w1", "w2"])
        const { text } = yield* pgAllText(url)
        expect(text).not.toContain(marker)
        expect(text).toContain("w17") // task ids stay readable
      }),
    120_000
  )

  it.scopedLive(
    "the items of one map run on several runners, retried wherever they ran, their results in item order",
    () =>
      Effect.gen(function*() {
        const { ledger, url } = yield* workersOn(["w1", "w2", "w3"], { taskMs: 50 })
        const front = yield* runner(url, ledger, "front", "submit", { count: 1, taskMs: 50, workflow: "mapped" })
        yield* until("the result", () => front.stdout().includes("DONE"), 60_000)
        const [result] = resultsOf(front)
        expect(result.status).toBe("Completed")
        const starts = ledgerOf(ledger).filter((l) => l.kind === "start" && l.task.startsWith("items["))
        // Every third item failed once and ran again; the others ran once.
        const runs = countBy(starts, (l) => l.task)
        expect(Array.from({ length: 120 }, (_, i) => runs.get(`items[${i}]`))).toEqual(
          Array.from({ length: 120 }, (_, i) => i % 3 === 0 ? 2 : 1)
        )
        const byRunner = countBy(starts, (l) => l.runner)
        console.log(`[fleet] one map of 120 items, items per runner: ${JSON.stringify(Object.fromEntries(byRunner))}`)
        expect([...byRunner.keys()].sort()).toEqual(["w1", "w2", "w3"])
        // The runner of an item's last attempt (the ledger is in time order).
        const ranBy = new Map(starts.map((l) => [l.task, l.runner]))
        const stored = yield* onlooker(url, ledger, (r) => r.result(result.id))
        // Each item's result is the runner that ran it, in item order, whichever runner it was.
        expect(stored.finalContext.items).toEqual(Array.from({ length: 120 }, (_, i) => ranBy.get(`items[${i}]`)))
      }),
    120_000
  )

  it.scopedLive(
    "a concurrency key's limit holds across runners: never more than 2 at once of 60 tasks on 3 runners",
    () =>
      Effect.gen(function*() {
        const { ledger, url } = yield* workersOn(["w1", "w2", "w3"], { taskMs: 40 })
        const front = yield* runner(url, ledger, "front", "submit", { count: 6, taskMs: 40, workflow: "keyed" })
        yield* until("the results", () => front.stdout().includes("DONE"), 60_000)
        expect(resultsOf(front).map((r) => r.status)).toEqual(Array(6).fill("Completed"))
        const lines = ledgerOf(ledger)
        // At most how many ran at once: ends before starts at the same millisecond.
        const most = (keyed: boolean) => {
          const events = lines.filter((l) => l.task.startsWith("k") === keyed)
            .map((l) => [l.at, l.kind === "start" ? 1 : -1] as const)
            .sort((a, b) => a[0] - b[0] || a[1] - b[1])
          let now = 0
          let max = 0
          for (const [, step] of events) max = Math.max(max, now += step)
          return max
        }
        const keyedStarts = lines.filter((l) => l.kind === "start" && l.task.startsWith("k"))
        const owners = new Set(keyedStarts.map((l) => l.runner))
        console.log(
          `[fleet] key limit 2: at most ${most(true)} keyed and ${most(false)} others at once; keyed tasks ran on ${
            [...owners].sort().join(", ")
          }`
        )
        expect(keyedStarts).toHaveLength(60)
        expect(most(true)).toBe(2)
        expect(owners.size).toBeGreaterThan(1)
        expect(most(false)).toBeGreaterThan(2)
      }),
    120_000
  )

  it.scopedLive(
    "a rate limit of 5 per second shared by three runners: 50 ± 5 starts in 10 s",
    () =>
      Effect.gen(function*() {
        const { ledger, url } = yield* workersOn(["w1", "w2", "w3"])
        const front = yield* runner(url, ledger, "front", "submit", { count: 3, workflow: "rated" })
        yield* until("the results", () => front.stdout().includes("DONE"), 60_000)
        expect(resultsOf(front).map((r) => r.status)).toEqual(Array(3).fill("Completed"))
        const starts = ledgerOf(ledger).filter((l) => l.kind === "start").sort((a, b) => a.at - b.at)
        expect(starts).toHaveLength(75)
        // The bucket starts full (5 at once); from the first refill on, 10 s hold 50 ± 5 starts.
        const from = starts[5].at
        const inTen = starts.filter((l) => l.at >= from && l.at < from + 10_000).length
        const runners = new Set(starts.map((l) => l.runner))
        console.log(`[fleet] rate 5/s: ${inTen} starts in 10 s after the first 5, on ${[...runners].sort().join(", ")}`)
        expect(inTen).toBeGreaterThanOrEqual(45)
        expect(inTen).toBeLessThanOrEqual(55)
        expect(runners.size).toBeGreaterThan(1)
      }),
    120_000
  )

  it.scopedLive(
    "SIGKILL: another runner takes the dead one's executions over within its lease and a second",
    () =>
      Effect.gen(function*() {
        const leaseMs = 1500
        const { ledger, url, workers: [w1] } = yield* workersOn(["w1", "w2"], { taskMs: 150 })
        const front = yield* runner(url, ledger, "front", "submit", { count: 12, taskMs: 150 })
        yield* until("w1 to run tasks", () => ledgerOf(ledger).filter((l) => l.runner === "w1").length >= 8)
        const killedAt = Date.now()
        w1.process.kill("SIGKILL")
        const before = ledgerOf(ledger)
        const submitted = /SUBMITTED (.*)/.exec(front.stdout())![1].split(" ")
        const recordedAtKill = (yield* onlooker(url, ledger, (r) => completions(r, submitted))).map((d) => d.key)
        yield* until("every result", () => front.stdout().includes("DONE"), 60_000)
        const results = resultsOf(front)
        expect(results.map((r) => r.status)).toEqual(Array(12).fill("Completed"))

        const { done, takeovers } = yield* onlooker(url, ledger, (r) =>
          Effect.gen(function*() {
            const histories = yield* Effect.forEach(results, ({ id }) => r.history(id))
            const takeovers = histories.flat().flatMap((e) =>
              e._tag === "ExecutionStarted" && e.reason === "lease expired (w1)" ? [e] : []
            )
            return { done: yield* completions(r, results.map((x) => x.id)), takeovers }
          }))
        const delays = takeovers.map((e) => e.at.getTime() - killedAt)
        console.log(`[fleet] taken over after SIGKILL in ${delays.join(", ")} ms (lease ${leaseMs} ms)`)
        expect(takeovers.length).toBeGreaterThanOrEqual(1)
        expect(takeovers.every((e) => e.runnerId === "w2")).toBe(true)
        expect(Math.max(...delays)).toBeLessThanOrEqual(leaseMs + 1000)
        // Each task completed once; a task recorded as completed (as read right after the kill)
        // never started again; only what was in flight on w1 started again (what w1 offered and
        // w2 was running stays w2's, under the same attempt).
        expect(done).toHaveLength(12 * 20)
        expect([...countBy(done, (d) => d.key).values()].every((n) => n === 1)).toBe(true)
        const after = ledgerOf(ledger)
        const startsOf = countBy(after.filter((l) => l.kind === "start"), (l) => `${l.execution}/${l.task}`)
        for (const key of recordedAtKill) expect(startsOf.get(key)).toBe(1)
        for (const [key, n] of startsOf) {
          if (n === 1) continue
          expect(before.some((l) => l.kind === "start" && `${l.execution}/${l.task}` === key && l.runner === "w1"))
            .toBe(true)
        }
      }),
    120_000
  )

  it.scopedLive(
    "SIGSTOP past the lease: the others take over; woken by SIGCONT, the stalled runner records nothing",
    () =>
      Effect.gen(function*() {
        const leaseMs = 1500
        const { ledger, url, workers: [w1] } = yield* workersOn(["w1", "w2"], { taskMs: 400 })
        const front = yield* runner(url, ledger, "front", "submit", { count: 6, taskMs: 400 })
        const inFlight = () => {
          const lines = ledgerOf(ledger).filter((l) => l.runner === "w1")
          const ends = new Set(
            lines.filter((l) => l.kind === "end").map((l) => `${l.execution}/${l.task}/${l.attempt}`)
          )
          return lines.filter((l) => l.kind === "start" && !ends.has(`${l.execution}/${l.task}/${l.attempt}`))
        }
        yield* until("w1 to run tasks", () => inFlight().length >= 2)
        const stoppedAt = Date.now()
        w1.process.kill("SIGSTOP")
        const stalled = inFlight()
        yield* Effect.sleep(leaseMs + 2500)
        const resumedAt = Date.now()
        w1.process.kill("SIGCONT")
        yield* until("every result", () => front.stdout().includes("DONE"), 60_000)
        expect(resultsOf(front).map((r) => r.status)).toEqual(Array(6).fill("Completed"))
        yield* Effect.sleep(500)

        const ids = resultsOf(front).map((x) => x.id)
        const { attempts, done } = yield* onlooker(url, ledger, (r) =>
          Effect.all({
            done: completions(r, ids),
            attempts: Effect.map(
              Effect.forEach(ids, (id) => Effect.map(r.attempts(id), (all) => all.map((a) => ({ ...a, id })))),
              (all) => all.flat()
            )
          }))
        expect(done).toHaveLength(6 * 20)
        expect([...countBy(done, (d) => d.key).values()].every((n) => n === 1)).toBe(true)
        // Nothing w1 ran before it stalled is recorded as completed after: what w1 recorded since
        // comes from bodies it started after SIGCONT.
        const lines = ledgerOf(ledger)
        const late = lines.filter((l) => l.runner === "w1" && l.kind === "end" && l.at >= resumedAt)
        const fromW1 = attempts.filter((a) =>
          a.status === "Completed" && a.runnerId === "w1" && a.completedAt!.getTime() >= stoppedAt
        )
        for (const a of fromW1) {
          expect(lines.some((l) =>
            l.kind === "start" && l.runner === "w1" && l.execution === a.id && l.task === a.taskId &&
            l.attempt === a.attempt && l.at >= resumedAt
          )).toBe(true)
        }
        for (const l of stalled) {
          const recorded = attempts.find((a) =>
            a.id === l.execution && a.taskId === l.task && a.attempt === l.attempt && a.status === "Completed"
          )
          if (recorded?.runnerId === "w1") {
            expect(recorded.completedAt!.getTime()).toBeLessThan(stoppedAt)
          }
        }
        // Every write w1 tried with a stale token was refused; the executions it still held when its
        // lease lapsed were stopped before it tried any.
        const refused = (w1.stdout().match(/commit refused \(a stale token\)/g) ?? []).length
        const stopped = (w1.stdout().match(/stopped without writing: this runner's lease lapsed/g) ?? []).length
        const heldAtStop = new Set(stalled.map((l) =>
          l.execution
        )).size
        console.log(
          `[fleet] SIGSTOP: ${stalled.length} attempt(s) in flight on w1 (${heldAtStop} execution(s)); after SIGCONT ` +
            `${late.length} of its bodies ended, ${refused} stale commit(s) refused, ${stopped} execution(s) ` +
            `stopped by the lapsed lease; none recorded`
        )
        expect(refused + stopped).toBeGreaterThanOrEqual(1)
      }),
    120_000
  )

  it.scopedLive(
    "from another process: result, events, cancel, pause and resume of executions a worker runs",
    () =>
      Effect.gen(function*() {
        const { ledger, url } = yield* workersOn(["w1"], { taskMs: 300 })
        const started = (id: string) => until("a task to start", () => ledgerOf(ledger).some((l) => l.execution === id))
        const outcome = yield* onlooker(url, ledger, (r) =>
          Effect.gen(function*() {
            const cancelled = yield* r.submit("fleet")
            const events = yield* Effect.fork(Stream.runCollect(cancelled.events))
            yield* started(cancelled.executionId)
            yield* r.cancel(cancelled.executionId)
            const cancelledResult = yield* cancelled.result
            const paused = yield* r.submit("fleet")
            yield* started(paused.executionId)
            yield* r.pause(paused.executionId)
            const whilePaused = yield* r.status(paused.executionId)
            yield* r.resume(paused.executionId)
            return {
              cancelledResult,
              events: [...(yield* Fiber.join(events))] as Array<ExecutionEvent>,
              whilePaused,
              resumed: yield* r.result(paused.executionId)
            }
          }))
        expect(outcome.cancelledResult.status).toBe("Cancelled")
        expect(outcome.events.at(-1)).toMatchObject({ _tag: "ExecutionFinished", status: "Cancelled" })
        expect(outcome.events.some((e) => e._tag === "TaskStarted" && e.runnerId === "w1")).toBe(true)
        expect(outcome.whilePaused).toBe("Paused")
        expect(outcome.resumed.status).toBe("Completed")
        expect(outcome.resumed.tasks.every((t) => t.runnerId === "w1")).toBe(true)
        expect(ledgerOf(ledger).every((l) => l.runner === "w1")).toBe(true)
      }),
    120_000
  )

  it.scopedLive("five runners boot at once on an empty database", () =>
    Effect.gen(function*() {
      const { url } = yield* freshDatabaseUrl
      const ledger = join(yield* tempDir, "ledger")
      const booted = yield* Effect.all(["b1", "b2", "b3", "b4", "b5"].map((id) => runner(url, ledger, id, "boot")))
      const exits = yield* Effect.promise(() => Promise.all(booted.map((c) => c.exited)))
      expect(exits.map((e) => e.code)).toEqual([0, 0, 0, 0, 0])
      expect(booted.every((c) => c.stdout().includes("READY"))).toBe(true)
    }), 120_000)
})
