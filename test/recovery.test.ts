/**
 * Crash recovery with real processes: a child runs 20 tasks on a SQLite file, each appending to
 * a ledger; the test kills it mid-run (SIGKILL, or SIGTERM for a graceful stop), starts a second
 * process on the same file, and checks what ran again.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import type { ExecutionInfo } from "sluice"
import { Storage } from "sluice"
import type { Child } from "./support/processes.js"
import { readLines, spawnScript, until } from "./support/processes.js"
import { withRunnerOn, withRunnerOnFile } from "./support/runner.js"
import { tempDir } from "./support/storage.js"

const worker = fileURLToPath(new URL("./fixtures/ledger-worker.ts", import.meta.url))

const startWorker = (
  db: string,
  ledger: string,
  mode: "start" | "resume",
  taskMillis = 60,
  shape: "chains" | "wide" = "chains"
): Child => spawnScript(worker, [db, ledger, mode, String(taskMillis), shape])

interface Line {
  readonly kind: "start" | "end"
  readonly task: string
  readonly attempt: number
}
const readLedger = (ledger: string): Array<Line> =>
  readLines(ledger).map(([kind, task, attempt]) => ({ kind: kind as Line["kind"], task, attempt: Number(attempt) }))

/** Reads the execution as stored, with a runner that knows no workflow (so resumes nothing). */
const readExecution = (db: string, executionId: string): Effect.Effect<ExecutionInfo, unknown> =>
  withRunnerOnFile(db, [], (runner) => runner.get(executionId))

const ALL_TASKS = Array.from({ length: 20 }, (_, i) => `c${Math.floor(i / 5)}_s${i % 5}`)

const killMidRun = (signal: "SIGKILL" | "SIGTERM") =>
  Effect.gen(function*() {
    const dir = yield* tempDir
    const db = join(dir, "recovery.db")
    const ledger = join(dir, "ledger.txt")

    const first = startWorker(db, ledger, "start")
    yield* until("the execution id", () => /EXECUTION (\S+)/.test(first.stdout()))
    const executionId = /EXECUTION (\S+)/.exec(first.stdout())![1]
    yield* until("6 finished tasks", () => readLedger(ledger).filter((l) => l.kind === "end").length >= 6)
    first.process.kill(signal)
    const exit = yield* Effect.promise(() => first.exited)
    expect(first.stdout()).not.toContain("RESULT")

    const atKill = yield* readExecution(db, executionId)
    const before = readLedger(ledger)
    const completedBefore = atKill.tasks.filter((t) => t.status === "Completed").map((t) => t.taskId)
    const startedBefore = new Map(before.filter((l) => l.kind === "start").map((l) => [l.task, l.attempt]))

    const second = startWorker(db, ledger, "resume")
    const secondExit = yield* Effect.promise(() => second.exited)
    expect(second.stderr()).toBe("")
    expect(secondExit.code).toBe(0)
    expect(second.stdout()).toContain("RESULT Completed")

    const after = readLedger(ledger)
    const final = yield* readExecution(db, executionId)
    expect(final.status).toBe("Completed")
    expect(final.tasks.map((t) => t.status)).toEqual(Array(20).fill("Completed"))
    // Every task ran to its end at least once.
    for (const task of ALL_TASKS) expect(after.some((l) => l.kind === "end" && l.task === task)).toBe(true)
    // Completed before the kill: never started again.
    expect(completedBefore.length).toBeGreaterThanOrEqual(1)
    for (const task of completedBefore) {
      expect(after.filter((l) => l.kind === "start" && l.task === task)).toHaveLength(1)
    }
    // Started again: only tasks that were in flight at the kill.
    const rerun = ALL_TASKS.filter((task) => after.filter((l) => l.kind === "start" && l.task === task).length > 1)
    expect(rerun.length).toBeGreaterThanOrEqual(1)
    for (const task of rerun) {
      expect(completedBefore).not.toContain(task)
      expect(startedBefore.has(task)).toBe(true)
    }
    return { exit, atKill, after, rerun, startedBefore, final }
  })

describe("recovery from a killed process", () => {
  it.scopedLive("SIGKILL: the second process completes the execution; only in-flight tasks run again, with the next attempt", () =>
    Effect.gen(function*() {
      const { after, atKill, exit, final, rerun, startedBefore } = yield* killMidRun("SIGKILL")
      expect(exit.signal).toBe("SIGKILL")
      for (const task of rerun) {
        expect(atKill.tasks.find((t) => t.taskId === task)?.status).toBe("Running")
        const attempts = after.filter((l) => l.kind === "start" && l.task === task).map((l) => l.attempt)
        expect(attempts).toEqual([startedBefore.get(task), startedBefore.get(task)! + 1])
        expect(final.tasks.find((t) => t.taskId === task)?.attempts).toBe(2)
      }
    }))

  it.scopedLive("SIGTERM: running tasks are interrupted and resumed without consuming an attempt", () =>
    Effect.gen(function*() {
      const { after, atKill, final, rerun } = yield* killMidRun("SIGTERM")
      // The graceful stop put the interrupted tasks back: none is left marked running.
      expect(atKill.tasks.filter((t) => t.status === "Running")).toEqual([])
      expect(atKill.status).toBe("Running")
      for (const task of rerun) {
        const attempts = after.filter((l) => l.kind === "start" && l.task === task).map((l) => l.attempt)
        expect(attempts).toEqual([1, 1])
        // Interrupted before it finished: its "end" line was never written the first time.
        expect(after.filter((l) => l.kind === "end" && l.task === task)).toHaveLength(1)
      }
      expect(final.tasks.every((t) => t.attempts === 1)).toBe(true)
    }))

  it.scopedLive("a second runner process on the same SQLite file gets a clear error and changes nothing", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const db = join(dir, "shared.db")
      const ledger = join(dir, "ledger.txt")
      // Tasks of 3 s (15 s in all): the first runner outlasts the second one's wait for the file (1 s).
      const first = startWorker(db, ledger, "start", 3000)
      yield* until("the execution id", () => /EXECUTION (\S+)/.test(first.stdout()))
      const second = startWorker(db, join(dir, "other-ledger.txt"), "resume")
      const secondExit = yield* Effect.promise(() => second.exited)
      expect(secondExit.code).not.toBe(0)
      // NodeRuntime.runMain logs the failure (to stdout, through Effect's logger).
      expect(second.stdout() + second.stderr()).toContain("in use by another sluice runner process")
      expect(second.stdout()).not.toContain("RESULT")
      expect(readLedger(join(dir, "other-ledger.txt"))).toEqual([])
      // The first runner was not disturbed: still running, each task started once.
      expect(first.process.exitCode).toBeNull()
      const starts = readLedger(ledger).filter((l) => l.kind === "start").map((l) => l.task)
      expect(new Set(starts).size).toBe(starts.length)
      first.process.kill("SIGKILL")
      yield* Effect.promise(() => first.exited)
    }))

  it.scopedLive("another process opens the file read-only beside its runner: list, get, history", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const db = join(dir, "watched.db")
      const ledger = join(dir, "ledger.txt")
      const runner = startWorker(db, ledger, "start", 600)
      yield* until("the execution id", () => /EXECUTION (\S+)/.test(runner.stdout()))
      const executionId = /EXECUTION (\S+)/.exec(runner.stdout())![1]
      yield* until("3 finished tasks", () => readLedger(ledger).filter((l) => l.kind === "end").length >= 3)
      const read = yield* withRunnerOn(
        Storage.layerSqlite({ filename: db, readOnly: true }),
        [],
        (r) => Effect.all({ list: r.list(), info: r.get(executionId), history: r.history(executionId) })
      )
      expect(read.list.map((e) => [e.executionId, e.status])).toEqual([[executionId, "Running"]])
      expect(read.info.tasks).toHaveLength(20)
      expect(read.info.tasks.filter((t) => t.status === "Completed").length).toBeGreaterThanOrEqual(3)
      expect(read.history[0]._tag).toBe("ExecutionStarted")
      // A reader cannot write, and a second writer is still refused.
      const write = yield* withRunnerOn(
        Storage.layerSqlite({ filename: db, readOnly: true }),
        [],
        (r) => Effect.flip(r.cancel(executionId))
      )
      expect(write.message).toContain("read-only")
      const writer = yield* Effect.flip(withRunnerOnFile(db, [], (r) => r.list()))
      expect(String((writer as Error).message)).toContain("in use by another sluice runner process")
      // The runner was not disturbed.
      yield* Effect.promise(() => runner.exited)
      expect(runner.stdout()).toContain("RESULT Completed")
    }))

  it.scopedLive("SIGKILL while most tasks wait for a permit: those first run with attempt 1, not 2", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const db = join(dir, "wide.db")
      const ledger = join(dir, "ledger.txt")
      // 20 independent tasks, 2 permits: 2 run, 18 wait.
      const first = startWorker(db, ledger, "start", 200, "wide")
      yield* until("the execution id", () => /EXECUTION (\S+)/.test(first.stdout()))
      const executionId = /EXECUTION (\S+)/.exec(first.stdout())![1]
      yield* until("4 finished tasks", () => readLedger(ledger).filter((l) => l.kind === "end").length >= 4)
      first.process.kill("SIGKILL")
      yield* Effect.promise(() => first.exited)
      const atKill = yield* readExecution(db, executionId)
      // Waiting for a permit is Pending: nothing was recorded for those tasks.
      const pending = atKill.tasks.filter((t) => t.status === "Pending").map((t) => t.taskId)
      expect(pending.length).toBeGreaterThanOrEqual(10)
      for (const t of atKill.tasks.filter((t) => t.status === "Pending")) expect(t.attempts).toBe(0)
      const inFlight = atKill.tasks.filter((t) => t.status === "Running").map((t) => t.taskId)
      expect(inFlight.length).toBeLessThanOrEqual(2)

      const second = startWorker(db, ledger, "resume", 20, "wide")
      yield* Effect.promise(() => second.exited)
      expect(second.stdout()).toContain("RESULT Completed")
      const starts = readLedger(ledger).filter((l) => l.kind === "start")
      for (const task of pending) expect(starts.filter((l) => l.task === task).map((l) => l.attempt)).toEqual([1])
      // In flight: attempt 1 was recorded (its body may not have begun when the process died).
      for (const task of inFlight) {
        expect([[1, 2], [2]]).toContainEqual(starts.filter((l) => l.task === task).map((l) => l.attempt))
      }
      const final = yield* readExecution(db, executionId)
      expect(final.tasks.filter((t) => pending.includes(t.taskId)).every((t) => t.attempts === 1)).toBe(true)
    }))
})
