/**
 * The `sluice` command on PostgreSQL beside a runner process: reads give what the runner API
 * gives; cancel and signal reach the runner that owns the execution (the command's runner runs
 * nothing); `show --follow` wakes on the owner's announcements.
 */
import { Effect, Exit, Scope } from "effect"
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Storage } from "sluice"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { executionView } from "../../src/operator/view.js"
import { freshDatabaseUrl, postgresAvailable } from "../support/postgres.js"
import { api, asJson, runnerProcess, sluice, sluiceJson, sluiceOnTerminal, tempFolder, until } from "./helpers.js"

const pg = await postgresAvailable()
const temp = tempFolder()
let scope: Scope.CloseableScope
let url: string
let runner: ReturnType<typeof runnerProcess>
let client: ReturnType<typeof api>
let ids: Record<string, string>

beforeAll(async () => {
  if (!pg) return
  scope = Effect.runSync(Scope.make())
  url = (await Effect.runPromise(Scope.extend(freshDatabaseUrl, scope))).url
  mkdirSync(join(temp.dir, "gates"))
  runner = runnerProcess(url, "cli-pg", join(temp.dir, "gates"))
  await until("the runner to be ready", () => runner.output().includes("READY"), 45_000)
  ids = runner.ids()
  client = api(Storage.layerPostgres({ url }), { worker: false })
})

afterAll(async () => {
  await client?.dispose()
  await runner?.stop()
  if (scope !== undefined) await Effect.runPromise(Scope.close(scope, Exit.void))
  temp.remove()
})

describe.skipIf(!pg)("sluice on PostgreSQL beside a runner process", () => {
  it("list, show, history, schedules: --json as the runner API gives", async () => {
    const storage = ["--storage", url]
    const [list, show, history, schedules] = await Promise.all([
      sluiceJson(["list", ...storage]),
      sluiceJson(["show", ids.broken, ...storage]),
      sluiceJson(["history", ids.quick, ...storage]),
      sluiceJson(["schedules", ...storage])
    ])
    expect(list).toEqual(asJson(await client.run((r) => r.list())))
    expect(list.map((e: any) => e.workflowName)).toEqual(["gated", "approval", "broken", "quick"])
    expect(show).toEqual(asJson(await client.run(() => executionView(ids.broken))))
    expect(show.tasks[0].runnerId).toBe("cli-pg")
    expect(history).toEqual(asJson(await client.run((r) => r.history(ids.quick))))
    expect(schedules.map((s: any) => s.id)).toEqual(["nightly-quick"])
  })

  it("signal and cancel reach the runner that runs the execution", async () => {
    const [signalled, cancelled] = await Promise.all([
      sluice(["signal", ids.approval, "go", "{\"by\":\"cli\"}", "--storage", url]),
      sluice(["cancel", ids.gated, "--storage", url])
    ])
    expect([signalled.code, signalled.stderr]).toEqual([0, ""])
    expect([cancelled.code, cancelled.stdout]).toEqual([0, `cancelled ${ids.gated}: Cancelled\n`])
    const approved = await client.run((r) => r.result(ids.approval))
    expect([approved.status, approved.finalContext.go]).toEqual(["Completed", { by: "cli" }])
    const gated = await client.run((r) => r.get(ids.gated))
    expect(gated.status).toBe("Cancelled")
  })

  it("show --follow in a terminal follows the owner's commits to the end", async () => {
    const folder = join(temp.dir, "gates-follow")
    mkdirSync(folder)
    const id = await runner.submit("gated", folder)
    const shown = sluiceOnTerminal(["show", "--follow", id, "--storage", url])
    try {
      const open = (...tasks: ReadonlyArray<string>) => tasks.forEach((t) => writeFileSync(join(folder, t), ""))
      await until("the first frame", () => shown.output().includes("0/5 tasks"))
      open("start", "left")
      await until("two done", () => shown.output().includes("2/5 tasks"))
      open("middle", "right", "join")
      expect(await shown.exited).toBe(0)
      const out = shown.output()
      expect(out.indexOf("2/5 tasks")).toBeLessThan(out.indexOf("5/5 tasks"))
      expect(out.slice(out.lastIndexOf("\x1b[J"))).toMatch(/Completed[\s\S]*5\/5 tasks/)
    } finally {
      await shown.stop()
    }
  })
})
