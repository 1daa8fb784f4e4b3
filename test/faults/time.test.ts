/**
 * Time and waiting under real faults: runner processes SIGKILLed while a per-second schedule is
 * due, and three runners on one PostgreSQL database firing one schedule: storage must hold one
 * execution per scheduled time, none missed where the policy says so. A sleeping and a
 * signal-waiting task survive a SIGKILL.
 */
import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { Storage } from "sluice"
import { freshDatabaseUrl, postgresAvailable } from "../support/postgres.js"
import type { Child } from "../support/processes.js"
import { scopedChild, spawnScript, until } from "../support/processes.js"
import { tempDir } from "../support/storage.js"

const pg = await postgresAvailable()
const script = fileURLToPath(new URL("../fixtures/time-runner.ts", import.meta.url))

const start = (url: string, id: string, mode: string, arg = "") =>
  scopedChild(() => spawnScript(script, [url, id, mode, arg]))

const ready = (...children: ReadonlyArray<Child>) =>
  until("the runners to be ready", () => children.every((c) => c.stdout().includes("READY")), 60_000)

const kill = (child: Child) =>
  Effect.promise(async () => {
    child.process.kill("SIGKILL")
    await child.exited
  })

/** The stored executions of the schedule "tick", counted per scheduled time (epoch ms). */
const perScheduledTime = (layer: Layer.Layer<Storage, unknown>) =>
  Effect.scoped(Effect.gen(function*() {
    const storage = Context.get(yield* Layer.build(layer), Storage)
    const rows = yield* storage.executions({ workflowName: "ticked" })
    const counts = new Map<number, number>()
    for (const row of rows) {
      const t = Date.parse(String(row.input.scheduledTime))
      counts.set(t, (counts.get(t) ?? 0) + 1)
    }
    return counts
  }))

const sleep = (ms: number) => Effect.promise(() => new Promise((r) => setTimeout(r, ms)))

/** Whole seconds from the first to the last, all present. */
const contiguous = (times: ReadonlyArray<number>) => {
  const sorted = [...times].sort((a, b) => a - b)
  return sorted.every((t, i) => i === 0 || t - sorted[i - 1] === 1000)
}

describe("schedules across a SIGKILL (SQLite file)", () => {
  for (const catchUp of ["all", "skip"] as const) {
    it.scopedLive(
      `catchUp ${catchUp}: after the restart each missed time fires as the policy says, none twice`,
      () =>
        Effect.gen(function*() {
          const dir = yield* tempDir
          const file = join(dir, "time.db")
          const url = `sqlite://${file}`
          const first = yield* start(url, "r1", "schedule", catchUp)
          yield* ready(first)
          yield* sleep(2500)
          yield* kill(first)
          const killedAt = Date.now()
          // Down for 4 seconds: about four times are missed.
          yield* sleep(4000)
          const second = yield* start(url, "r2", "schedule", catchUp)
          yield* ready(second)
          const restartedAt = Date.now()
          yield* sleep(2500)
          yield* kill(second)
          const counts = yield* perScheduledTime(Storage.layerSqlite({ filename: file, readOnly: true }))
          const times = [...counts.keys()]
          expect(times.length).toBeGreaterThan(3)
          expect([...counts.values()].every((n) => n === 1)).toBe(true)
          // The seconds no runner was up for (the restarted one fires its catch-up at once).
          const down = times.filter((t) => t > killedAt + 1000 && t < restartedAt - 1500)
          if (catchUp === "all") {
            expect(contiguous(times)).toBe(true)
            expect(down.length).toBeGreaterThanOrEqual(2)
          } else {
            expect(down).toEqual([])
          }
        }),
      60_000
    )
  }
})

describe.skipIf(!pg)("schedules on three runners sharing PostgreSQL", () => {
  it.scopedLive("a per-second schedule fires each time once over 30 fires", () =>
    Effect.gen(function*() {
      const { url } = yield* freshDatabaseUrl
      const runners = yield* Effect.all([1, 2, 3].map((i) => start(url, `r${i}`, "schedule", "skip")))
      yield* ready(...runners)
      const layer = Storage.layerPostgres({ url })
      let counts = new Map<number, number>()
      for (let i = 0; i < 120 && counts.size < 31; i++) {
        yield* sleep(500)
        counts = yield* perScheduledTime(layer)
      }
      yield* Effect.forEach(runners, kill, { discard: true })
      counts = yield* perScheduledTime(layer)
      const times = [...counts.keys()]
      expect(times.length).toBeGreaterThanOrEqual(30)
      expect([...counts.values()].filter((n) => n !== 1)).toEqual([])
      expect(contiguous(times)).toBe(true)
    }), 120_000)
})

const waitsCases = [
  { name: "SQLite file", url: Effect.map(tempDir, (dir) => `sqlite://${join(dir, "waits.db")}`) },
  ...(pg ? [{ name: "PostgreSQL", url: Effect.map(freshDatabaseUrl, ({ url }) => url) }] : [])
]

for (const { name, url: makeUrl } of waitsCases) {
  describe(`durable waits across a SIGKILL (${name})`, () => {
    it.scopedLive(
      "a sleeping and a signal-waiting task survive; the sleep keeps its end",
      () =>
        Effect.gen(function*() {
          const url = yield* makeUrl
          const first = yield* start(url, "r1", "submit-waits")
          yield* until("the waits", () => first.stdout().includes("WAITING"), 60_000)
          const id = /SUBMITTED (\S+)/.exec(first.stdout())![1]
          yield* kill(first)
          const second = yield* start(url, "r2", "signal", id)
          yield* until("the result", () => second.stdout().includes("RESULT"), 60_000)
          const [, status, context] = /RESULT (\S+) (.*)/.exec(second.stdout())!
          expect(status).toBe("Completed")
          expect(JSON.parse(context)).toEqual({ go: { by: "r2" }, joined: true })
          const [, began, late] = /NAP (\d+) (-?\d+)/.exec(second.stdout())!
          expect(Number(began)).toBe(1)
          expect(Number(late)).toBeGreaterThanOrEqual(0)
        }),
      60_000
    )
  })
}
