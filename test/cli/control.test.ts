/**
 * The `sluice` command on a SQLite file no runner holds: control commands, signal, prune and
 * schedules write to it directly; `graph` draws a module's workflows.
 */
import type { Effect } from "effect"
import { mkdirSync } from "node:fs"
import { join } from "node:path"
import type { Runner, RunnerService } from "sluice"
import { Storage } from "sluice"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { api, runnerProcess, sluice, sluiceJson, tempFolder, until, workflowsModule } from "./helpers.js"

const temp = tempFolder()
const file = join(temp.dir, "left.db")
const storage = ["--storage", file]
let ids: Record<string, string>

beforeAll(async () => {
  mkdirSync(join(temp.dir, "gates"))
  // The runner submits its executions and exits: `approval` and `gated` stay unfinished, unheld.
  const runner = runnerProcess(file, "cli-r2", join(temp.dir, "gates"), "leave")
  await until("the runner to be ready", () => runner.output().includes("READY"), 45_000)
  ids = runner.ids()
  expect(await runner.exited).toBe(0)
})

afterAll(() => temp.remove())

/** The runner API, for the moment of a look (it holds the file while open). */
const look = async <A, E>(f: (runner: RunnerService) => Effect.Effect<A, E, Runner | Storage>) => {
  const reader = api(Storage.layerSqlite({ filename: file }))
  try {
    return await reader.run(f)
  } finally {
    await reader.dispose()
  }
}

describe("sluice on a SQLite file no runner holds", () => {
  it("pause, resume, signal, cancel: the transitions the runner API makes", async () => {
    expect(await sluiceJson(["pause", ids.approval, ...storage])).toEqual({
      executionId: ids.approval,
      status: "Paused"
    })
    const resumed = await sluice(["resume", ids.approval, ...storage])
    expect([resumed.code, resumed.stdout]).toEqual([0, `resumed ${ids.approval}: Running\n`])
    const signalled = await sluice(["signal", ids.approval, "go", "{\"by\":\"cli\"}", ...storage])
    expect([signalled.code, signalled.stderr]).toEqual([0, ""])
    const again = await sluice(["signal", ids.approval, "go", "{\"by\":\"cli\"}", ...storage])
    expect(again.code).toBe(1)
    expect(again.stderr).toMatch(/^sluice: .*"go".*\n$/)
    const cancelled = await sluice(["cancel", ids.gated, ...storage])
    expect([cancelled.code, cancelled.stdout]).toEqual([0, `cancelled ${ids.gated}: Cancelled\n`])
    const history = await sluiceJson(["history", ids.approval, ...storage])
    expect(history.map((e: any) => e._tag)).toEqual(expect.arrayContaining(["ExecutionPaused", "ExecutionResumed"]))
    expect((await look((r) => r.get(ids.gated))).status).toBe("Cancelled")
    const waiting = await look((r) => r.get(ids.approval))
    expect([waiting.status, waiting.tasks.map((t) => t.status)]).toEqual(["Running", [
      "Completed",
      "Waiting",
      "Pending"
    ]])
  })

  it("schedules pause and resume; prune deletes finished executions by status", async () => {
    const paused = await sluice(["schedules", "pause", "nightly-quick", ...storage])
    expect([paused.code, paused.stdout]).toEqual([0, "paused schedule nightly-quick\n"])
    expect((await sluiceJson(["schedules", ...storage]))[0].paused).toBe(true)
    expect(await sluiceJson(["schedules", "resume", "nightly-quick", ...storage])).toEqual({
      id: "nightly-quick",
      paused: false
    })
    expect((await sluiceJson(["schedules", ...storage]))[0].paused).toBe(false)
    const unknown = await sluice(["schedules", "pause", "nope", ...storage])
    expect(unknown.code).toBe(1)

    expect(await sluiceJson(["prune", "--older-than", "1ms", "--status", "Completed", ...storage])).toEqual({
      pruned: 1
    })
    const left = await sluiceJson(["list", ...storage])
    expect(left.map((e: any) => e.executionId)).not.toContain(ids.quick)
    const text = await sluice(["prune", "--older-than", "1ms", ...storage])
    // broken (Failed) and gated (cancelled by the test above).
    expect(text.stdout).toBe("pruned 2 executions\n")
    const badDuration = await sluice(["prune", "--older-than", "soon", ...storage])
    expect([badDuration.code, badDuration.stderr]).toEqual([2, expect.stringContaining("not a duration")])
  })
})

describe("sluice graph (no storage)", () => {
  it("draws a module's workflows as Mermaid or dot; errors for what the module lacks", async () => {
    const [mermaid, dot, json, unknown, missing, empty] = await Promise.all([
      sluice(["graph", workflowsModule, "--workflow", "gated"]),
      sluice(["graph", workflowsModule, "--workflow", "quick", "--format", "dot"]),
      sluiceJson(["graph", workflowsModule]),
      sluice(["graph", workflowsModule, "--workflow", "nope"]),
      sluice(["graph", "test/fixtures/no-such-module.ts"]),
      sluice(["graph", "test/fixtures/cli-empty.ts"])
    ])
    expect(mermaid.code).toBe(0)
    expect(mermaid.stdout).toMatch(/^graph TD\n/)
    expect(mermaid.stdout).toContain("t0[\"start\"] --> t1[\"left\"]")
    expect(dot.stdout).toContain("\"one\" -> \"two\";")
    expect(json.map((w: any) => w.name)).toEqual(["approval", "gated", "quick", "broken"])
    expect(json[1].tasks.find((t: any) => t.id === "join").dependencies).toEqual(["left", "middle", "right"])
    expect([unknown.code, unknown.stderr]).toEqual([1, expect.stringContaining("no workflow \"nope\"")])
    expect([missing.code, missing.stderr]).toEqual([1, expect.stringContaining("no module at")])
    expect([empty.code, empty.stderr]).toEqual([1, expect.stringContaining("exports no workflow")])
  })
})
