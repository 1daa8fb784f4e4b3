/**
 * The `sluice` command beside a runner process that holds a SQLite file: read commands open it
 * read-only and give what the runner API gives; commands that write refuse, saying how; `show
 * --follow` in a terminal redraws as the runner moves an execution on; exit codes.
 */
import { writeFileSync } from "node:fs"
import { mkdirSync } from "node:fs"
import { join } from "node:path"
import { Storage } from "sluice"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { executionView } from "../../src/operator/view.js"
import {
  api,
  asJson,
  runnerProcess,
  sluice,
  sluiceJson,
  sluiceOnTerminal,
  tempFolder,
  until,
  widest,
  workflowsModule
} from "./helpers.js"

const temp = tempFolder()
const file = join(temp.dir, "held.db")
const gates = join(temp.dir, "gates")
mkdirSync(gates)
const storage = ["--storage", file]
let runner: ReturnType<typeof runnerProcess>
let reader: ReturnType<typeof api>
let ids: Record<string, string>

beforeAll(async () => {
  runner = runnerProcess(file, "cli-r1", gates)
  await until("the runner to be ready", () => runner.output().includes("READY"), 45_000)
  ids = runner.ids()
  reader = api(Storage.layerSqlite({ filename: file, readOnly: true }))
})

afterAll(async () => {
  await reader?.dispose()
  await runner?.stop()
  temp.remove()
})

describe("sluice beside a runner holding a SQLite file", () => {
  it("list: newest first, as runner.list gives; filters, paging; text fits 80 columns", async () => {
    const [all, failed, quick, page, none, text] = await Promise.all([
      sluiceJson(["list", ...storage]),
      sluiceJson(["list", ...storage, "--status", "failed"]),
      sluiceJson(["list", ...storage, "--workflow", "quick"]),
      sluiceJson(["list", ...storage, "--limit", "2", "--offset", "1"]),
      sluiceJson(["list", ...storage, "--since", "1ms"]),
      sluice(["list"], { SLUICE_STORAGE: file })
    ])
    const listed = await reader.run((r) => r.list())
    expect(all).toEqual(asJson(listed))
    expect(all.map((e: any) => e.workflowName)).toEqual(["gated", "approval", "broken", "quick"])
    expect(failed.map((e: any) => e.executionId)).toEqual([ids.broken])
    expect(quick.map((e: any) => e.executionId)).toEqual([ids.quick])
    expect(page).toEqual(asJson(listed.slice(1, 3)))
    expect(none).toEqual([])
    expect(text.code).toBe(0)
    for (const id of Object.values(ids)) expect(text.stdout).toContain(id)
    expect(widest(text.stdout)).toBeLessThanOrEqual(80)
    expect(text.stdout).not.toContain("\x1b[") // not a terminal: no colour
  })

  it("show: tasks, attempts, what each wrote, errors; --json is the execution view; --timeline by runner", async () => {
    const [quickJson, brokenText, quickText] = await Promise.all([
      sluiceJson(["show", ids.quick, ...storage]),
      sluice(["show", ids.broken, ...storage]),
      sluice(["show", ids.quick, "--timeline", ...storage])
    ])
    const view = await reader.run(() => executionView(ids.quick))
    expect(quickJson).toEqual(asJson(view))
    expect(quickJson.progress).toEqual({ finished: 2, total: 2 })
    expect(quickJson.tasks.map((t: any) => [t.taskId, t.wrote])).toEqual([["one", { rows: [1, 2, 3] }], [
      "two",
      { total: 6 }
    ]])
    expect(brokenText.stdout).toMatch(/explode\s+Failed\s+1/)
    expect(brokenText.stdout).toContain("error: kaboom")
    expect(quickText.stdout).toContain("↳ rows = [1,2,3]")
    expect(quickText.stdout).toContain("2/2 tasks")
    expect(quickText.stdout).toContain("cli-r1  (2 attempts)")
    expect(quickText.stdout).toMatch(/one #1 +█/)
    for (const out of [brokenText, quickText]) {
      expect(out.code).toBe(0)
      expect(widest(out.stdout)).toBeLessThanOrEqual(80)
    }
  })

  it("history: one line per event; --json as runner.history", async () => {
    const [json, text] = await Promise.all([
      sluiceJson(["history", ids.broken, ...storage]),
      sluice(["history", ids.broken, ...storage])
    ])
    const events = await reader.run((r) => r.history(ids.broken))
    expect(json).toEqual(asJson(events))
    const lines = text.stdout.trim().split("\n")
    expect(lines).toHaveLength(events.length)
    expect(lines.at(-1)).toMatch(/ExecutionFinished +Failed: 1 task\(s\) failed/)
    expect(lines.find((l) => l.includes("TaskFailed"))).toContain("explode #1: kaboom")
  })

  it("schedules: the runner's declared schedule, as listSchedules", async () => {
    const [json, text] = await Promise.all([sluiceJson(["schedules", ...storage]), sluice(["schedules", ...storage])])
    expect(json).toEqual(asJson(await reader.run((r) => r.listSchedules())))
    expect(json.map((s: any) => [s.id, s.workflow, s.paused])).toEqual([["nightly-quick", "quick", false]])
    expect(text.stdout).toMatch(/nightly-quick +quick +0 2 \* \* \*/)
  })

  it("commands that write refuse a held file (exit 1), saying how to reach its runner", async () => {
    const refused = await Promise.all([
      sluice(["cancel", ids.approval, ...storage]),
      sluice(["pause", ids.approval, ...storage]),
      sluice(["resume", ids.approval, ...storage]),
      sluice(["signal", ids.approval, "go", "{\"by\":\"cli\"}", ...storage]),
      sluice(["prune", "--older-than", "1ms", ...storage]),
      sluice(["schedules", "pause", "nightly-quick", ...storage]),
      sluice(["run", workflowsModule, "quick", ...storage])
    ])
    for (const ran of refused) {
      expect(ran.code).toBe(1)
      expect(ran.stderr).toContain("is held by a running sluice runner")
      expect(ran.stderr.trim().split("\n")).toHaveLength(1)
    }
    expect(refused[0].stderr).toContain("sluice serve")
    expect((await reader.run((r) => r.get(ids.approval))).status).toBe("Running")
  })

  it("exit codes: 1 for what failed, 2 for what was typed wrong", async () => {
    const [unknown, subcommand, badOption, badJson, noStorage, noFile, badUrl] = await Promise.all([
      sluice(["show", "no-such-execution", ...storage]),
      sluice(["frobnicate", ...storage]),
      sluice(["list", "--limit", "many", ...storage]),
      sluice(["signal", ids.approval, "go", "{not json", ...storage]),
      sluice(["list"]),
      sluice(["list", "--storage", join(temp.dir, "typo.db")]),
      sluice(["list", "--storage", "ftp://example.com/x"])
    ])
    expect([unknown.code, unknown.stderr.trim()]).toEqual([1, "sluice: unknown execution \"no-such-execution\""])
    expect(subcommand.code).toBe(2)
    expect(badOption.code).toBe(2)
    expect(badJson.code).toBe(2)
    expect(badJson.stderr).toContain("not JSON")
    expect(noStorage.code).toBe(2)
    expect(noStorage.stderr).toContain("SLUICE_STORAGE")
    expect([noFile.code, noFile.stderr]).toEqual([1, `sluice: no database file at ${join(temp.dir, "typo.db")}\n`])
    expect(badUrl.code).toBe(2)
    for (const ran of [unknown, subcommand, badOption, badJson, noStorage, noFile, badUrl]) expect(ran.stdout).toBe("")
  })

  it("show --follow in a terminal redraws as the runner moves the execution on, until it ends", async () => {
    const folder = join(temp.dir, "gates-follow")
    mkdirSync(folder)
    const id = await runner.submit("gated", folder)
    const shown = sluiceOnTerminal(["show", "--follow", id, ...storage])
    try {
      const open = (...tasks: ReadonlyArray<string>) => tasks.forEach((t) => writeFileSync(join(folder, t), ""))
      await until("the first frame", () => shown.output().includes("0/5 tasks"))
      open("start")
      await until("start done", () => shown.output().includes("1/5 tasks"))
      open("left", "middle")
      await until("two more done", () => shown.output().includes("3/5 tasks"))
      open("right", "join")
      expect(await shown.exited).toBe(0)
      const out = shown.output()
      expect(out.indexOf("3/5 tasks")).toBeLessThan(out.indexOf("5/5 tasks"))
      expect(out).toContain("\x1b[J") // redrawn in place
      expect(out).toContain("\x1b[32m") // a terminal: coloured
      expect(out.slice(out.lastIndexOf("\x1b[J"))).toMatch(/Completed[\s\S]*5\/5 tasks/)
      expect(await reader.run((r) => r.status(id))).toBe("Completed")
    } finally {
      await shown.stop()
    }
  })
})
