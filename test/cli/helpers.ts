/**
 * Running the built `sluice` command as a user does (`node bin/sluice.js …`, dist/ built by the
 * global setup), a runner process beside it (test/fixtures/cli-runner.ts), a pseudo-terminal for
 * `--follow` (util-linux `script`), and the runner API in the test process to compare with.
 */
import { Effect, Layer, ManagedRuntime } from "effect"
import type { ChildProcess } from "node:child_process"
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { Runner, Storage } from "sluice"

export const root = fileURLToPath(new URL("../..", import.meta.url))
export const bin = join(root, "bin/sluice.js")
export const workflowsModule = join(root, "test/fixtures/cli-workflows.ts")
const runnerScript = join(root, "test/fixtures/cli-runner.ts")

export interface Ran {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** The environment of a spawned command: no storage or colour settings inherited from ours. */
const cleanEnv = (env: Record<string, string>) => {
  const { NO_COLOR: _n, SLUICE_STORAGE: _s, SLUICE_TOKEN: _t, ...rest } = process.env
  return { ...rest, ...env }
}

/** Runs `sluice …args` to its end. */
export const sluice = (args: ReadonlyArray<string>, env: Record<string, string> = {}): Promise<Ran> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: root, env: cleanEnv(env) })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d) => (stdout += d))
    child.stderr.on("data", (d) => (stderr += d))
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, stdout, stderr }))
  })

/** Runs `sluice …args --json`, checks it succeeded, and parses stdout (all of it: nothing else may be there). */
export const sluiceJson = async (args: ReadonlyArray<string>, env: Record<string, string> = {}) => {
  const ran = await sluice([...args, "--json"], env)
  if (ran.code !== 0) throw new Error(`sluice ${args.join(" ")} exited ${ran.code}: ${ran.stderr}`)
  return JSON.parse(ran.stdout) as any
}

/** A value as it comes out of JSON (dates as ISO strings, undefined fields gone). */
export const asJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value))

export interface Live {
  readonly process: ChildProcess
  readonly output: () => string
  readonly exited: Promise<number | null>
  readonly stop: () => Promise<void>
}

const live = (child: ChildProcess): Live => {
  let out = ""
  child.stdout?.on("data", (d) => (out += d))
  child.stderr?.on("data", (d) => (out += d))
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)))
  return {
    process: child,
    output: () => out,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
      await exited
    }
  }
}

/** `sluice …args` on a pseudo-terminal (stdout is a TTY there); its output as the terminal got it. */
export const sluiceOnTerminal = (args: ReadonlyArray<string>, env: Record<string, string> = {}): Live => {
  const quoted = [process.execPath, bin, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ")
  return live(
    spawn("script", ["-qfec", quoted, "/dev/null"], { cwd: root, env: cleanEnv({ COLUMNS: "80", ...env }) })
  )
}

/** `sluice …args` left running (serve). */
export const sluiceRunning = (args: ReadonlyArray<string>, env: Record<string, string> = {}): Live =>
  live(spawn(process.execPath, [bin, ...args], { cwd: root, env: cleanEnv(env) }))

/** The runner fixture on `url`; `submit` sends it a line asking for another execution. */
export const runnerProcess = (url: string, runnerId: string, gates: string, mode = "") => {
  const child = spawn(process.execPath, ["--import", "tsx", runnerScript, url, runnerId, gates, mode], {
    cwd: root,
    stdio: ["pipe", "pipe", "pipe"],
    env: cleanEnv({})
  })
  const handle = live(child)
  return {
    ...handle,
    ids: () => Object.fromEntries([...handle.output().matchAll(/^ID (\S+) (\S+)$/gm)].map(([, w, id]) => [w, id])),
    submit: async (workflow: string, folder: string) => {
      const before = [...handle.output().matchAll(/^ID (\S+) (\S+)$/gm)].length
      child.stdin.write(`submit ${workflow} ${folder}\n`)
      await until(
        "the submitted execution's id",
        () => [...handle.output().matchAll(/^ID (\S+) (\S+)$/gm)].length > before
      )
      return [...handle.output().matchAll(/^ID (\S+) (\S+)$/gm)].at(-1)![2]
    }
  }
}

/** Waits for a condition on another process (there is nothing to await). */
export const until = async (what: string, condition: () => boolean, timeoutMs = 30_000) => {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

export const tempFolder = () => {
  const dir = mkdtempSync(join(tmpdir(), "sluice-cli-"))
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}

/**
 * The runner API in this process, on the same storage: a SQLite file read-only (beside the
 * runner holding it), PostgreSQL as a runner that runs nothing.
 */
export const api = (storage: Layer.Layer<Storage, unknown>, options: { readonly worker?: boolean } = {}) => {
  const runtime = ManagedRuntime.make(
    Runner.layer({ recover: false, ...(options.worker === false ? { worker: false } : {}) }).pipe(
      Layer.provideMerge(storage)
    )
  )
  return {
    run: <A, E>(f: (runner: Runner["Type"]) => Effect.Effect<A, E, Runner | Storage>) =>
      runtime.runPromise(Effect.flatMap(Runner, f)),
    runtime,
    dispose: () => runtime.dispose()
  }
}

/** Every line of a text output fits 80 columns (escape codes aside). */
export const widest = (text: string) =>
  Math.max(0, ...text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "").split("\n").map((l) => l.length))
