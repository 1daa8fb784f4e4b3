/**
 * Real faults for the fault tests, each restored even when the test fails: PostgreSQL restarted,
 * a small disk filled. They need root (as in CI); where something is missing they say why and the
 * test is skipped, unless SLUICE_REQUIRE_PG=1 (CI), where a missing PostgreSQL fails.
 */
import { Effect } from "effect"
import { execFile, execFileSync } from "node:child_process"
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

const cluster = () => (existsSync("/etc/postgresql") ? readdirSync("/etc/postgresql")[0] : undefined)
const isRoot = () => process.getuid?.() === 0

/** Why PostgreSQL cannot be restarted here, or undefined when it can. */
export const cannotRestartPostgres = (): string | undefined => {
  if (!isRoot()) return "not root"
  if (cluster() === undefined) return "no PostgreSQL cluster in /etc/postgresql"
  try {
    execFileSync("which", ["pg_ctlcluster"], { stdio: "ignore" })
  } catch {
    return "pg_ctlcluster not found"
  }
  return undefined
}

const ready = () => {
  try {
    execFileSync("pg_isready", ["-h", "127.0.0.1", "-p", "5432", "-q"], { stdio: "ignore" })
    return true
  } catch {
    return false
  }
}

const ctl = (action: "restart" | "start") =>
  execFileSync("pg_ctlcluster", ["--skip-systemctl-redirect", cluster()!, "main", action], { stdio: "ignore" })

/** Waits (in real time) until PostgreSQL answers, starting it if it is down; up to 30 s. */
export const postgresUp = Effect.promise(async () => {
  for (let i = 0; i < 300 && !ready(); i++) {
    if (i % 50 === 10) {
      try {
        ctl("start")
      } catch {
        // Already starting: wait.
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  if (!ready()) throw new Error("PostgreSQL did not come back within 30 s")
})

/**
 * Restarts PostgreSQL (every connection is cut, and it is away while it restarts), without
 * blocking this process meanwhile: the runner under test keeps working through the outage.
 * PostgreSQL is up again when this returns.
 */
export const restartPostgres = Effect.promise(() =>
  new Promise<void>((resolve) =>
    execFile("pg_ctlcluster", ["--skip-systemctl-redirect", cluster()!, "main", "restart"], () => resolve())
  )
).pipe(Effect.zipRight(postgresUp), Effect.ensuring(Effect.orDie(postgresUp)))

/**
 * A directory on a tmpfs of `size` (e.g. "2m"), unmounted when the scope closes; undefined (with
 * the reason printed) where this process cannot mount one.
 */
export const smallDisk = (size: string) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      if (!isRoot()) return { dir: undefined, why: "not root" }
      const dir = mkdtempSync(join(tmpdir(), "sluice-full-"))
      try {
        execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir], { stdio: "ignore" })
        return { dir, why: undefined }
      } catch (e) {
        return { dir: undefined, why: `mount failed: ${String(e)}` }
      }
    }),
    ({ dir }) =>
      Effect.sync(() => {
        if (dir === undefined) return
        try {
          execFileSync("umount", ["-l", dir], { stdio: "ignore" })
        } catch {
          // Not mounted: nothing to undo.
        }
        rmSync(dir, { recursive: true, force: true })
      })
  )

/** Grows a tmpfs made by `smallDisk`: space returns. */
export const growDisk = (dir: string, size: string) =>
  Effect.sync(() => execFileSync("mount", ["-o", `remount,size=${size}`, dir], { stdio: "ignore" }))
