/** Real processes for the crash and scale-out tests: spawned with tsx, their output collected. */
import { Effect } from "effect"
import type { ChildProcess } from "node:child_process"
import { spawn } from "node:child_process"
import { existsSync, readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("../..", import.meta.url))

export interface Child {
  readonly process: ChildProcess
  readonly stdout: () => string
  readonly stderr: () => string
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

/** Runs a TypeScript file of the tests in a node process of its own. */
export const spawnScript = (
  script: string,
  args: ReadonlyArray<string>,
  env: Record<string, string> = {}
): Child => {
  const child = spawn(process.execPath, ["--import", "tsx", script, ...args], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env }
  })
  let out = ""
  let err = ""
  child.stdout!.on("data", (d) => (out += d))
  child.stderr!.on("data", (d) => (err += d))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal }))
  )
  return { process: child, stdout: () => out, stderr: () => err, exited }
}

/** Children killed when the scope closes, whatever the test's outcome (SIGCONT first: a stopped one). */
export const scopedChild = (start: () => Child) =>
  Effect.acquireRelease(Effect.sync(start), (child) =>
    Effect.promise(async () => {
      if (child.process.exitCode !== null || child.process.signalCode !== null) return
      child.process.kill("SIGCONT")
      child.process.kill("SIGKILL")
      await child.exited
    }))

/** Polls a condition (the child is another process: there is nothing to await). */
export const until = (what: string, condition: () => boolean, timeoutMs = 30_000) =>
  Effect.promise(async () => {
    const deadline = Date.now() + timeoutMs
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
      await new Promise((r) => setTimeout(r, 10))
    }
  })

/** A file's lines, split on spaces; none when it does not exist yet. */
export const readLines = (file: string): Array<Array<string>> =>
  existsSync(file) ? readFileSync(file, "utf8").trim().split("\n").filter(Boolean).map((l) => l.split(" ")) : []
