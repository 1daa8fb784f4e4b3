/**
 * Guards against the operator's slips: `serve` refuses an empty token and warns when it serves
 * beyond loopback without one; `bench` runs only on its own `--storage` and never prints a
 * password; the exit code is 130 only for an interruption.
 */
import { Cause, Effect, Exit, FiberId, Scope } from "effect"
import { existsSync } from "node:fs"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { maskPassword } from "../../src/cli/commands/bench.js"
import { exitCodeOf } from "../../src/cli/errors.js"
import { isLoopback } from "../../src/serve/guard.js"
import { freshDatabaseUrl, postgresAvailable } from "../support/postgres.js"
import { sluice, sluiceJson, sluiceRunning, tempFolder, until, workflowsModule } from "./helpers.js"

const pg = await postgresAvailable()
const temp = tempFolder()
afterAll(() => temp.remove())

const port = () => String(20_000 + Math.floor(Math.random() * 20_000))

describe("sluice serve: the token", () => {
  it("an empty --token or SLUICE_TOKEN is refused (exit 2), not taken as no token", async () => {
    const serve = ["serve", workflowsModule, "--storage", "memory://", "--port", port()]
    const [flag, env] = [sluiceRunning([...serve, "--token", ""]), sluiceRunning(serve, { SLUICE_TOKEN: "" })]
    try {
      // Serving (the bug) would not exit: give up after a while rather than leave it running.
      const exited = (ran: typeof flag) =>
        Promise.race([ran.exited, new Promise((r) => setTimeout(() => r("still serving"), 20_000))])
      expect(await exited(flag)).toBe(2)
      expect(flag.output()).toMatch(/^sluice: --token is empty \(an unset variable\?\)/)
      expect(await exited(env)).toBe(2)
      expect(env.output()).toMatch(/^sluice: SLUICE_TOKEN is empty/)
    } finally {
      await Promise.all([flag.stop(), env.stop()])
    }
  })

  it("no token beyond loopback: a warning on stderr, and it serves; with a token, no warning", async () => {
    const open = port()
    const unguarded = sluiceRunning([
      "serve",
      workflowsModule,
      "--storage",
      "memory://",
      "--host",
      "0.0.0.0",
      "--port",
      open
    ])
    try {
      await until(
        "the warning",
        () => unguarded.output().includes("sluice: warning: serving on 0.0.0.0 without a token")
      )
      await waitForHttp(open)
      unguarded.process.kill("SIGTERM")
      expect(await unguarded.exited).toBe(130)
    } finally {
      await unguarded.stop()
    }
    const guarded = port()
    const withToken = sluiceRunning(
      ["serve", workflowsModule, "--storage", "memory://", "--host", "0.0.0.0", "--port", guarded],
      { SLUICE_TOKEN: "s3cret" }
    )
    try {
      await waitForHttp(guarded)
      withToken.process.kill("SIGTERM")
      expect(await withToken.exited).toBe(130)
      expect(withToken.output()).not.toContain("warning")
    } finally {
      await withToken.stop()
    }
  })

  it("loopback: 127.0.0.0/8, ::1, localhost", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "::ffff:127.0.0.1"]) {
      expect([host, isLoopback(host)]).toEqual([host, true])
    }
    for (const host of ["0.0.0.0", "::", "10.0.0.5", "192.168.1.2", "example.com", "128.0.0.1"]) {
      expect([host, isLoopback(host)]).toEqual([host, false])
    }
  })
})

/** Until the server answers HTTP at all (any status). */
const waitForHttp = async (at: string) => {
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    try {
      await fetch(`http://127.0.0.1:${at}/`)
      return
    } catch {
      await new Promise((r) => setTimeout(r, 100))
    }
  }
  throw new Error(`no server on port ${at}`)
}

describe("sluice bench: its storage", () => {
  const quick = ["bench", workflowsModule, "quick", "--runs", "2", "--warmup", "0"]

  it("never takes SLUICE_STORAGE; refuses a --storage before the subcommand; creates its own file", async () => {
    const real = join(temp.dir, "real.db")
    const report = await sluiceJson(quick, { SLUICE_STORAGE: `sqlite://${real}` })
    expect(report.storage).toBe("sqlite://:memory:")
    expect(existsSync(real)).toBe(false)
    const global = await sluice(["--storage", `sqlite://${real}`, ...quick])
    expect(global.code).toBe(2)
    expect(global.stderr).toContain("bench runs only on a storage given after it")
    expect(existsSync(real)).toBe(false)
    const own = join(temp.dir, "bench.db")
    expect((await sluiceJson([...quick, "--storage", own])).storage).toBe(own)
    expect(existsSync(own)).toBe(true)
  })

  it.skipIf(!pg)("prints a PostgreSQL URL with its password masked, in text and JSON", async () => {
    const scope = Effect.runSync(Scope.make())
    try {
      const fresh = new URL((await Effect.runPromise(Scope.extend(freshDatabaseUrl, scope))).url)
      // The test server trusts local connections: a password in the URL is carried, not checked.
      if (fresh.password === "") fresh.password = "s3cret-pw"
      const url = fresh.toString()
      const [json, text] = [
        await sluice([...quick, "--storage", url, "--json"]),
        await sluice([...quick, "--storage", url])
      ]
      for (const out of [json, text]) {
        expect([out.code, out.stderr]).toEqual([0, ""])
        expect(out.stdout).not.toContain(fresh.password)
      }
      expect(JSON.parse(json.stdout).storage).toBe(url.replace(`:${fresh.password}@`, ":***@"))
      expect(text.stdout).toContain(`:***@${fresh.host}`)
    } finally {
      await Effect.runPromise(Scope.close(scope, Exit.void))
    }
  })

  it("maskPassword: the authority's password and a password= parameter", () => {
    expect(maskPassword("postgres://u:p%40ss@db:5432/x")).toBe("postgres://u:***@db:5432/x")
    expect(maskPassword("postgresql://db/x?user=u&password=pw&sslmode=require")).toBe(
      "postgresql://db/x?user=u&password=***&sslmode=require"
    )
    expect(maskPassword("postgres://u@db/x")).toBe("postgres://u@db/x")
    expect(maskPassword("sqlite://:memory:")).toBe("sqlite://:memory:")
    expect(maskPassword("/tmp/a:b@c.db")).toBe("/tmp/a:b@c.db")
  })
})

describe("the exit code at teardown", () => {
  it("130 only for an interruption; any other failure or defect is 1", () => {
    expect(exitCodeOf(Exit.succeed(3))).toBe(3)
    expect(exitCodeOf(Exit.interrupt(FiberId.none))).toBe(130)
    expect(exitCodeOf(Exit.fail("boom"))).toBe(1)
    expect(exitCodeOf(Exit.die(new Error("defect")))).toBe(1)
    expect(exitCodeOf(Exit.failCause(Cause.sequential(Cause.interrupt(FiberId.none), Cause.die("in a finalizer")))))
      .toBe(1)
  })
})
