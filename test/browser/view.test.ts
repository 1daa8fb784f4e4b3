/**
 * The web view in a real browser (Debian's chromium through playwright-core), against a runner
 * and `layerServer` in this process. Skipped, loudly, when /usr/bin/chromium is missing, unless
 * SLUICE_REQUIRE_BROWSER=1 (then they fail).
 */
import { Effect } from "effect"
import { existsSync } from "node:fs"
import type { Browser, Page } from "playwright-core"
import { RetryPolicy, Task, Workflow } from "sluice"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { makeDemo, settled } from "../fixtures/serve-demo.js"
import type { Served } from "../fixtures/serve-harness.js"
import { CHROMIUM, eventually, gate, getJson, launchChromium, startServer } from "../fixtures/serve-harness.js"
import { layerSqliteTempFile } from "../support/storage.js"

const available = existsSync(CHROMIUM)
if (!available) {
  if (process.env.SLUICE_REQUIRE_BROWSER === "1") {
    throw new Error(`SLUICE_REQUIRE_BROWSER=1 but ${CHROMIUM} is missing`)
  }
  console.warn(`[sluice tests] ${CHROMIUM} is missing: browser tests are SKIPPED`)
}

const XSS = "<img src=x onerror=alert(1)>"

/** a → b (held) → c (held); `a` writes markup, `b` fails once with markup in its error. */
const makeGated = () => {
  const b = gate()
  const c = gate()
  let tries = 0
  const tasks = [
    Task.make({ id: "a", run: (ctx) => ctx.set("html", XSS) }),
    Task.make({
      id: "b",
      dependencies: ["a"],
      retry: RetryPolicy.fixed({ maxAttempts: 2, delay: "10 millis" }),
      run: async () => {
        if (++tries === 1) throw new Error("<img src=y onerror=alert(2)>")
        await b.wait()
      }
    }),
    Task.make({ id: "c", dependencies: ["b"], run: () => c.wait() })
  ]
  return { workflow: Workflow.make({ name: "gated", tasks }), b, c }
}

const quick = Workflow.make({ name: "quick", tasks: [Task.make({ id: "only", run: () => {} })] })

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const node = (page: Page, taskId: string, status?: string) =>
  page.locator(`#dag g.node[data-task="${taskId}"]${status === undefined ? "" : `[data-status="${status}"]`}`)

describe.skipIf(!available)("the web view in chromium", () => {
  let browser: Browser
  let served: Served | undefined
  let page: Page | undefined
  const dialogs: Array<string> = []

  beforeAll(async () => {
    browser = await launchChromium()
  })
  afterAll(async () => {
    await browser?.close()
  })
  afterEach(async () => {
    await page?.close()
    page = undefined
    await served?.close()
    served = undefined
    dialogs.length = 0
  })

  const open = async (options: { token?: string } = {}) => {
    const gated = makeGated()
    const demo = makeDemo()
    served = await startServer({
      storage: layerSqliteTempFile,
      workflows: [gated.workflow, demo.workflow, quick],
      ...options
    })
    page = await browser.newPage()
    page.on("dialog", (dialog) => {
      dialogs.push(dialog.message())
      void dialog.dismiss()
    })
    return { gated, demo, served, page }
  }

  it("lists a running execution, and filters it out by status", async () => {
    const { page, served } = await open()
    const handle = await Effect.runPromise(served.runner.submit("gated"))
    await page.goto(`${served.url}/`)
    const row = page.locator(`#executions tr[data-execution="${handle.executionId}"]`)
    await row.waitFor()
    expect(await row.locator(".badge").textContent()).toBe("Running")
    expect(await row.textContent()).toContain("gated")
    await page.locator("#filter-status").selectOption("Completed")
    await page.locator("#executions td.muted", { hasText: "No executions." }).waitFor()
    expect(await row.count()).toBe(0)
  })

  it("turns tasks green as they complete, live, without reloading", async () => {
    const { gated, page, served } = await open()
    const handle = await Effect.runPromise(served.runner.submit("gated"))
    await page.goto(`${served.url}/#/executions/${handle.executionId}`)
    await page.locator("#live.on").waitFor()
    await node(page, "b", "Running").waitFor()
    await node(page, "c", "Pending").waitFor()
    await page.evaluate(() => ((globalThis as any).sameDocument = true))
    gated.b.open()
    await node(page, "b", "Completed").waitFor()
    await node(page, "c", "Running").waitFor()
    const fill = await node(page, "b").locator("rect").evaluate((el) => (globalThis as any).getComputedStyle(el).fill)
    expect(fill).toBe("rgb(47, 158, 68)")
    gated.c.open()
    await node(page, "c", "Completed").waitFor()
    await page.locator("#exec-head .badge", { hasText: "Completed" }).waitFor()
    expect(await page.evaluate(() => (globalThis as any).sameDocument)).toBe(true)
  })

  it("cancels from the page", async () => {
    const { page, served } = await open()
    const handle = await Effect.runPromise(served.runner.submit("gated"))
    await page.goto(`${served.url}/#/executions/${handle.executionId}`)
    await node(page, "b", "Running").waitFor()
    const posted = page.waitForRequest((r) => r.method() === "POST")
    await page.locator("#cancel:not([disabled])").click()
    expect((await posted).headers()["content-type"]).toBe("application/json") // the server takes no other
    await eventually(async () =>
      (await Effect.runPromise(served.runner.get(handle.executionId))).status === "Cancelled"
    )
    await page.locator("#exec-head .badge", { hasText: "Cancelled" }).waitFor()
    await node(page, "c", "Cancelled").waitFor()
  })

  it("refuses a wrong token (the page says so, the API answers 401), takes the right one", async () => {
    const { page, served } = await open({ token: "s3cret" })
    const handle = await Effect.runPromise(served.runner.submit("gated"))
    await page.goto(`${served.url}/`)
    await page.locator("#token").fill("wrong")
    await page.locator("#token-form button[type=submit]").click()
    const error = page.locator("#token-error")
    await error.waitFor()
    expect(await error.textContent()).toContain("refused")
    const status = await page.evaluate(async () =>
      (await fetch("/api/executions", { headers: { authorization: "Bearer wrong" } })).status
    )
    expect(status).toBe(401)
    await page.locator("#token").fill("s3cret")
    await page.locator("#token-form button[type=submit]").click()
    await page.locator(`#executions tr[data-execution="${handle.executionId}"]`).waitFor()
    await page.goto(`${served.url}/#/executions/${handle.executionId}`)
    await node(page, "b", "Running").waitFor() // the token is kept for the session, events included
    await page.locator("#live.on").waitFor()
  })

  it("shows what a task wrote, and its errors, as text: markup in them is not run", async () => {
    const { page, served } = await open()
    const handle = await Effect.runPromise(served.runner.submit("gated"))
    await page.goto(`${served.url}/#/executions/${handle.executionId}`)
    await node(page, "a", "Completed").click()
    const panel = page.locator("#task-panel")
    await panel.locator("#wrote").waitFor()
    expect(await panel.locator("#wrote").textContent()).toContain(XSS)
    expect(await panel.getByText(XSS, { exact: false }).isVisible()).toBe(true)
    await node(page, "b", "Running").click()
    await panel.locator("#attempts .attempt-error", { hasText: "<img src=y onerror=alert(2)>" }).waitFor()
    expect(await panel.locator("img").count()).toBe(0)
    expect(await page.locator("img").count()).toBe(0)
    expect(dialogs).toEqual([])
  })

  it("draws the 15-task demo with each task's status", async () => {
    const { demo, page, served } = await open()
    const handle = await Effect.runPromise(served.runner.submit("nightly-etl"))
    await eventually(async () => {
      const info = await Effect.runPromise(served.runner.get(handle.executionId))
      return info.tasks.every((t) => t.status === settled[t.taskId])
    })
    await page.goto(`${served.url}/#/executions/${handle.executionId}`)
    await page.locator("#live.on").waitFor()
    for (const [taskId, status] of Object.entries(settled)) await node(page, taskId, status).waitFor()
    expect(await page.locator("#dag g.node").count()).toBe(15)
    // One bar per attempt: seven tasks once, score-fraud twice, stock-levels running (a wait has none).
    expect(await page.locator("#timeline g.attempt").count()).toBe(10)
    demo.release()
    await node(page, "stock-levels", "Completed").waitFor()
    await node(page, "reorder", "Completed").waitFor()
  })

  it("says an unknown execution is not found, and stops asking", async () => {
    const { page, served } = await open()
    const streamAsks: Array<string> = []
    page.on("request", (r) => {
      if (new URL(r.url()).pathname.endsWith("/events")) streamAsks.push(r.url())
    })
    await page.goto(`${served.url}/#/executions/nope`)
    await page.locator("#not-found", { hasText: "Execution not found" }).waitFor({ timeout: 10_000 })
    const error = page.locator("#error")
    await error.waitFor({ state: "visible", timeout: 10_000 })
    expect(await error.textContent()).toContain(`unknown execution "nope"`)
    await sleep(2500) // a stream retried would ask again every second
    expect(streamAsks.length).toBeLessThanOrEqual(1)
    expect(await page.locator("#live.on").count()).toBe(0)
  })

  it("keeps no stream of a page left before it was drawn (two quick hash changes)", async () => {
    const { page, served } = await open()
    const handle = await Effect.runPromise(served.runner.submit("gated"))
    await page.goto(`${served.url}/`)
    await page.locator("#live.on").waitFor()
    // Each route asks /api/server first: held, so that the second change comes while the first waits.
    await page.route("**/api/server", async (route) => {
      await sleep(300)
      await route.continue()
    })
    await page.evaluate((id) => {
      const location = (globalThis as any).location
      location.hash = "#/executions/" + id
      setTimeout(() => (location.hash = "#/schedules"), 50)
    }, handle.executionId)
    await page.locator("#schedules").waitFor()
    await page.locator("#live.on").waitFor()
    await page.unroute("**/api/server")
    const streams = async () => (await getJson(served.url, "/api/server")).body.streams as number
    const deadline = Date.now() + 5000
    while ((await streams()) !== 1 && Date.now() < deadline) await sleep(50)
    await sleep(500)
    expect(await streams()).toBe(1)
    expect(await page.locator("#dag").count()).toBe(0)
    expect(await page.locator("#schedules").count()).toBe(1)
  })

  it("reads what is stored at most once a second, however many events come", async () => {
    const { page, served } = await open()
    // When the page asks (timed in the page: a request seen from here may be seen late).
    await page.addInitScript(() => {
      const g = globalThis as any
      const original = g.fetch
      g.storageReads = []
      g.fetch = (input: unknown, init: unknown) => {
        if (String(input).startsWith("/api/storage")) g.storageReads.push(g.performance.now())
        return original(input, init)
      }
    })
    await page.goto(`${served.url}/`)
    await page.locator("#live.on").waitFor()
    for (let i = 0; i < 40; i++) await Effect.runPromise(served.runner.execute("quick"))
    await page.locator("#counts .n", { hasText: "40" }).waitFor({ timeout: 10_000 })
    const reads: Array<number> = await page.evaluate(() => (globalThis as any).storageReads)
    expect(reads.length).toBeGreaterThan(1)
    const gaps = reads.slice(1).map((t, i) => t - reads[i])
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(990)
    // The header says it too (the last read comes at the end of its second).
    await page.locator("#footprint", { hasText: "Stored: 40 executions" }).waitFor({ timeout: 10_000 })
  })
})
