/**
 * Following an execution: `show --follow --json` prints a view only when it changed (the safety
 * net's wake-ups every 2 s bring nothing new to a waiting execution); the SQLite watcher survives
 * a `-wal` created anew and an `'error'` from `fs.watch`.
 */
import { mkdirSync, unlinkSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { watchDatabase } from "../../src/cli/follow.js"
import { runnerProcess, sluiceRunning, tempFolder, until } from "./helpers.js"

const temp = tempFolder()
afterAll(() => temp.remove())

describe("show --follow --json", () => {
  const file = join(temp.dir, "follow.db")
  let runner: ReturnType<typeof runnerProcess>

  beforeAll(async () => {
    mkdirSync(join(temp.dir, "gates"))
    runner = runnerProcess(file, "cli-follow", join(temp.dir, "gates"))
    await until("the runner to be ready", () => runner.output().includes("READY"), 45_000)
  })

  afterAll(async () => {
    await runner?.stop()
  })

  it("prints a line when the view changed, not on every wake-up", async () => {
    const gates = join(temp.dir, "gates-json")
    mkdirSync(gates)
    const id = await runner.submit("gated", gates)
    const followed = sluiceRunning(["show", "--follow", "--json", id, "--storage", file])
    const lines = () => followed.output().split("\n").filter((l) => l.startsWith("{"))
    try {
      await until("the first view", () => lines().length === 1)
      // Two safety-net wake-ups (every 2 s) with the execution waiting at its first gate.
      await new Promise((r) => setTimeout(r, 4_500))
      expect(lines()).toHaveLength(1)
      for (const task of ["start", "left", "middle", "right", "join"]) writeFileSync(join(gates, task), "")
      expect(await followed.exited).toBe(0)
      const views = lines().map((l) => JSON.parse(l))
      expect(views.at(-1).info.status).toBe("Completed")
      expect(views.length).toBeGreaterThan(1)
      for (let i = 1; i < views.length; i++) expect(lines()[i]).not.toBe(lines()[i - 1])
    } finally {
      await followed.stop()
    }
  })
})

describe("the SQLite watcher", () => {
  const dir = join(temp.dir, "watched")
  const file = join(dir, "w.db")

  const watching = () => {
    let pokes = 0
    const watcher = watchDatabase(file, () => pokes++)
    expect(watcher).toBeDefined()
    return { watcher: watcher!, pokes: () => pokes }
  }

  beforeAll(() => {
    mkdirSync(dir)
    writeFileSync(file, "")
    writeFileSync(`${file}-wal`, "")
  })

  it("wakes on the file and its -wal, also a -wal created anew; not on the -shm or other files", async () => {
    const { pokes, watcher } = watching()
    try {
      writeFileSync(`${file}-wal`, "commit 1")
      await until("a wake-up for the -wal", () => pokes() > 0, 5_000)
      // The last connection closes: the -wal goes; a runner starts again: a new one.
      unlinkSync(`${file}-wal`)
      await new Promise((r) => setTimeout(r, 100))
      writeFileSync(`${file}-wal`, "")
      await new Promise((r) => setTimeout(r, 100))
      const before = pokes()
      writeFileSync(`${file}-wal`, "commit 2")
      await until("a wake-up for the new -wal", () => pokes() > before, 5_000)
      const then = pokes()
      writeFileSync(`${file}-shm`, "read marks")
      writeFileSync(join(dir, "other.txt"), "unrelated")
      await new Promise((r) => setTimeout(r, 300))
      expect(pokes()).toBe(then)
      writeFileSync(file, "checkpoint")
      await until("a wake-up for the file", () => pokes() > then, 5_000)
    } finally {
      watcher.close()
    }
  })

  it("an 'error' from fs.watch is handled (no crash): the watcher closes, and wakes the follower once", () => {
    const { pokes, watcher } = watching()
    const before = pokes()
    expect(() => watcher.emit("error", Object.assign(new Error("watch failed"), { code: "EMFILE" }))).not.toThrow()
    expect(pokes()).toBe(before + 1)
  })
})
