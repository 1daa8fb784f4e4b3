/**
 * Writes docs/screenshot-dag.png: the web view of the 15-task demo workflow (test/fixtures/
 * serve-demo.ts) with mixed statuses, a task selected. Needs Debian's chromium.
 *
 *   node --import tsx scripts/screenshot.ts
 */
import { Effect } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { Storage } from "sluice"
import { makeDemo, settled } from "../test/fixtures/serve-demo.js"
import { eventually, launchChromium, startServer } from "../test/fixtures/serve-harness.js"

const out = resolve(import.meta.dirname, "../docs/screenshot-dag.png")
const dir = mkdtempSync(join(tmpdir(), "sluice-screenshot-"))
const demo = makeDemo()
const served = await startServer({
  storage: Storage.layerSqlite({ filename: join(dir, "sluice.db") }),
  workflows: [demo.workflow]
})
const browser = await launchChromium()
try {
  const handle = await Effect.runPromise(served.runner.submit("nightly-etl"))
  await eventually(async () => {
    const info = await Effect.runPromise(served.runner.get(handle.executionId))
    return info.tasks.every((t) => t.status === settled[t.taskId])
  })
  const page = await browser.newPage({ viewport: { width: 1600, height: 900 }, deviceScaleFactor: 1 })
  await page.goto(`${served.url}/#/executions/${handle.executionId}`)
  await page.locator("#dag g.node[data-task='enrich-orders']").click()
  await page.locator("#task-title").waitFor()
  await page.locator("#live.on").waitFor()
  await page.screenshot({ path: out, fullPage: true })
  console.log(`wrote ${out}`)
} finally {
  await browser.close()
  demo.release()
  await served.close()
  rmSync(dir, { recursive: true, force: true })
}
