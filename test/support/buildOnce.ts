/**
 * vitest globalSetup: builds dist/ once per test run, so that the `sluice` command tests spawn
 * the built command (bin/sluice.js) as a user runs it. Type errors are `npm run lint`'s to
 * report: tsc emits despite them, and the run goes on with a warning; no emitted entry point is
 * a failure.
 */
import { spawnSync } from "node:child_process"
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"

let built = false

export default function setup() {
  // Each vitest project runs the global setup: build once.
  if (built) return
  built = true
  const root = fileURLToPath(new URL("../..", import.meta.url))
  const tsc = fileURLToPath(new URL("../../node_modules/typescript/bin/tsc", import.meta.url))
  const build = spawnSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: root, encoding: "utf8" })
  if (!existsSync(`${root}/dist/cli/main.js`)) {
    throw new Error(`npm run build made no dist/cli/main.js:\n${build.stdout}${build.stderr}`)
  }
  if (build.status !== 0) {
    console.warn(`[sluice tests] the build reported type errors (dist/ was emitted):\n${build.stdout}`)
  }
}
