/**
 * `sluice run` (a runner in the command's process: exit 0 Completed, 1 Failed, 3 Cancelled;
 * `--follow` live on a terminal) and `sluice serve` (a runner with the module's workflows and
 * schedules, and the HTTP server, until stopped).
 */
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { root, sluice, sluiceJson, sluiceOnTerminal, sluiceRunning, tempFolder, workflowsModule } from "./helpers.js"

const temp = tempFolder()
afterAll(() => temp.remove())

describe("sluice run", () => {
  it("runs a module's workflow and exits as it ended: 0 Completed, 1 Failed, 3 Cancelled", async () => {
    const storage = ["--storage", `sqlite://${join(temp.dir, "run.db")}`]
    const completed = await sluice(["run", workflowsModule, "quick", ...storage])
    expect(completed.code).toBe(0)
    expect(completed.stdout).toMatch(/^execution (\S+) \(quick\) submitted\n/)
    expect(completed.stdout).toContain("2/2 tasks")
    expect(completed.stdout).toContain("↳ total = 6")
    const result = await sluiceJson(["run", workflowsModule, "quick", "--input", "{\"day\":\"friday\"}", ...storage])
    expect([result.status, result.finalContext]).toEqual(["Completed", { day: "friday", rows: [1, 2, 3], total: 6 }])
    const failed = await sluice(["run", workflowsModule, "broken", ...storage])
    expect(failed.code).toBe(1)
    expect(failed.stderr).toMatch(/^sluice: execution \S+ ended Failed: 1 task\(s\) failed/)
    // approval waits for a signal nobody sends: its timeout cancels it.
    const cancelled = await sluice(["run", workflowsModule, "approval", "--timeout", "500ms", ...storage])
    expect(cancelled.code).toBe(3)
    expect(cancelled.stderr).toMatch(/^sluice: execution \S+ ended Cancelled: timed out/)
    const listed = await sluiceJson(["list", ...storage])
    expect(listed.map((e: any) => [e.workflowName, e.status])).toEqual([
      ["approval", "Cancelled"],
      ["broken", "Failed"],
      ["quick", "Completed"],
      ["quick", "Completed"]
    ])
    const badInput = await sluice(["run", workflowsModule, "quick", "--input", "[1]", ...storage])
    expect([badInput.code, badInput.stderr]).toEqual([2, "sluice: --input: expected a JSON object\n"])
  })

  it("--follow draws the execution live on a terminal, to its end", async () => {
    const shown = sluiceOnTerminal(["run", workflowsModule, "quick", "--follow", "--storage", "memory://"])
    try {
      expect(await shown.exited).toBe(0)
      expect(shown.output()).toMatch(/Completed[\s\S]*2\/2 tasks/)
      expect(shown.output()).toContain("\x1b[32m") // a terminal: coloured
    } finally {
      await shown.stop()
    }
    const plain = sluiceOnTerminal(["run", workflowsModule, "quick", "--follow", "--storage", "memory://"], {
      NO_COLOR: "1"
    })
    try {
      expect(await plain.exited).toBe(0)
      expect(plain.output()).toContain("2/2 tasks")
      expect(plain.output()).not.toMatch(/\x1b\[[0-9;]*m/) // NO_COLOR: redrawn, but no colour
    } finally {
      await plain.stop()
    }
  })
})

describe("sluice serve", () => {
  it("runs a runner with the module's schedules (read beside it) and the server, until stopped", async () => {
    const file = join(temp.dir, "serve.db")
    const port = String(20_000 + Math.floor(Math.random() * 20_000))
    const served = sluiceRunning(["serve", workflowsModule, "--storage", file, "--port", port])
    try {
      // serve's runner declares the module's schedule; `schedules` reads it beside that runner
      // (until then the file may not exist yet: exit 1, and another look).
      let ids: Array<string> = []
      const deadline = Date.now() + 30_000
      while (!ids.includes("nightly-quick") && Date.now() < deadline && served.process.exitCode === null) {
        const ran = await sluice(["schedules", "--json", "--storage", file])
        if (ran.code === 0) ids = JSON.parse(ran.stdout).map((s: any) => s.id)
      }
      expect(ids).toEqual(["nightly-quick"])
      if (served.output().includes("listening on")) {
        expect(served.output()).toContain(`listening on http://127.0.0.1:${port}`)
      }
      served.process.kill("SIGTERM")
      expect(await served.exited).toBe(130)
    } finally {
      await served.stop()
    }
  })
})

describe("sluice bench", () => {
  it("runs a module's workflow the number of times asked and reports latency, throughput, overhead", async () => {
    const tutorial = join(root, "examples/workflows/tutorial.ts")
    const report = await sluiceJson(["bench", tutorial, "complex_customer_analysis", "--runs", "12", "--warmup", "2"])
    expect(report).toMatchObject({
      storage: "sqlite://:memory:",
      workflow: "complex_customer_analysis",
      tasks: 15,
      runs: 12,
      concurrency: 1,
      failed: 0
    })
    const { max, p50, p90, p99 } = report.latency
    expect(p50 > 0 && p50 <= p90 && p90 <= p99 && p99 <= max).toBe(true)
    expect(report.overheadMs).toBeGreaterThan(0)
    expect(report.overheadMs).toBeLessThanOrEqual(max)
    const text = await sluice([
      "bench",
      workflowsModule,
      "broken",
      "--runs",
      "3",
      "--warmup",
      "0",
      "--concurrency",
      "2"
    ])
    expect(text.code).toBe(0)
    expect(text.stdout).toMatch(/^broken \(\d+ tasks\) on sqlite:\/\/:memory:: 3 runs, 2 at a time\n/)
    expect(text.stdout).toMatch(/latency +p50 [\d.]+ ms +p90/)
    expect(text.stdout).toContain("failed      3 of 3")
    const bad = await sluice(["bench", workflowsModule, "quick", "--runs", "0"])
    expect([bad.code, bad.stderr]).toEqual([2, "sluice: --runs: must be at least 1, got 0\n"])
  })
})
