/** PostgreSQL specifics: one runner per database (for now), connection errors that say why, tenants. */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { Runner, Storage, Task, Workflow } from "sluice"
import { freshDatabaseUrl, PG_ADMIN_URL, postgresAvailable } from "./support/postgres.js"
import { withRunnerOn } from "./support/runner.js"

const pg = await postgresAvailable()
const wf = Workflow.make({ name: "tiny", tasks: [Task.make({ id: "t", run: (ctx) => ctx.set("t", 1) })] })

const withUrl = (base: string, change: (url: URL) => void) => {
  const url = new URL(base)
  change(url)
  return url.toString()
}

describe.skipIf(!pg)("PostgreSQL storage", () => {
  it.scopedLive("a second runner on the same database is refused until the first one closes", () =>
    Effect.gen(function*() {
      const { url } = yield* freshDatabaseUrl
      const second = yield* withRunnerOn(
        Storage.layerPostgres({ url }),
        [wf],
        () => Effect.flip(withRunnerOn(Storage.layerPostgres({ url }), [wf], (r) => r.list()))
      )
      expect(second).toMatchObject({ _tag: "StorageError" })
      expect(String((second as Error).message)).toContain("another sluice runner is using this database")
      // The first one closed: the lock went with its connection.
      const result = yield* withRunnerOn(Storage.layerPostgres({ url }), [wf], (r) => r.execute(wf))
      expect(result.status).toBe("Completed")
    }))

  it.live("a connection failure says why", () =>
    Effect.gen(function*() {
      const open = (url: string) =>
        Effect.flip(Effect.scoped(Layer.build(Runner.layer({}).pipe(Layer.provide(Storage.layerFromUrl(url))))))
      const noDatabase = yield* open(withUrl(PG_ADMIN_URL, (u) => void (u.pathname = "/sluice_no_such_database")))
      expect(noDatabase.message).toContain("database \"sluice_no_such_database\" does not exist")
      const noRole = yield* open(withUrl(PG_ADMIN_URL, (u) => void (u.username = "sluice_no_such_role")))
      expect(noRole.message).toContain("sluice_no_such_role")
      const refused = yield* open(withUrl(PG_ADMIN_URL, (u) => void (u.port = "1")))
      expect(refused.message).toContain("ECONNREFUSED")
      expect(refused.message).toContain(":1")
    }))

  it.scopedLive("tenants: each PostgreSQL schema holds its own executions", () =>
    Effect.gen(function*() {
      const { url } = yield* freshDatabaseUrl
      const tenant = (schema: string) => withUrl(url, (u) => u.searchParams.set("schema", schema))
      const a = yield* withRunnerOn(Storage.layerFromUrl(tenant("tenant_a")), [wf], (r) => r.execute(wf, { who: "a" }))
      const b = yield* withRunnerOn(Storage.layerFromUrl(tenant("Tenant_B")), [wf], (r) => r.execute(wf, { who: "b" }))
      const listA = yield* withRunnerOn(Storage.layerFromUrl(tenant("tenant_a")), [], (r) => r.list())
      const listB = yield* withRunnerOn(Storage.layerFromUrl(tenant("Tenant_B")), [], (r) => r.list())
      expect(listA.map((e) => e.executionId)).toEqual([a.executionId])
      expect(listB.map((e) => e.executionId)).toEqual([b.executionId])
      const bad = yield* Effect.flip(withRunnerOn(Storage.layerFromUrl(tenant("no-dashes")), [], (r) => r.list()))
      expect(bad).toMatchObject({ _tag: "InvalidStorageUrlError" })
    }))
})
