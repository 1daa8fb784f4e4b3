/**
 * The PostgreSQL the tests use for real (127.0.0.1:5432, user postgres, trust auth). When it is
 * not reachable the PostgreSQL tests skip with a message, unless SLUICE_REQUIRE_PG=1: then they
 * fail.
 */
import { Reactivity } from "@effect/experimental"
import { PgClient } from "@effect/sql-pg"
import { Effect, Layer, Redacted } from "effect"
import { randomBytes } from "node:crypto"
import { createConnection } from "node:net"
import { Storage } from "sluice"

export const PG_ADMIN_URL = process.env.SLUICE_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres"

export const reachable = (): Promise<boolean> =>
  new Promise((resolve) => {
    const url = new URL(PG_ADMIN_URL)
    const socket = createConnection({ host: url.hostname, port: Number(url.port || 5432) })
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(1000, () => done(false))
    socket.once("connect", () => done(true))
    socket.once("error", () => done(false))
  })

/** Whether to run the PostgreSQL tests; prints why not when it skips them. */
export const postgresAvailable = async (): Promise<boolean> => {
  const ok = await reachable()
  if (ok) return true
  if (process.env.SLUICE_REQUIRE_PG === "1") {
    throw new Error(`SLUICE_REQUIRE_PG=1 but PostgreSQL is not reachable at ${PG_ADMIN_URL}`)
  }
  console.warn(`[sluice tests] PostgreSQL not reachable at ${PG_ADMIN_URL}: PostgreSQL tests are SKIPPED`)
  return false
}

const admin = <A, E>(f: (sql: PgClient.PgClient) => Effect.Effect<A, E>) =>
  Effect.scoped(
    Effect.flatMap(PgClient.make({ url: Redacted.make(PG_ADMIN_URL), maxConnections: 1 }), f)
  ).pipe(Effect.provide(Reactivity.layer))

/** A fresh database for one test (dropped when the layer closes), with sluice's storage on it. */
export const freshDatabaseUrl = Effect.acquireRelease(
  Effect.gen(function*() {
    const name = `sluice_test_${randomBytes(6).toString("hex")}`
    yield* admin((sql) => sql.unsafe(`CREATE DATABASE ${name}`))
    const url = new URL(PG_ADMIN_URL)
    url.pathname = `/${name}`
    return { name, url: url.toString() }
  }),
  ({ name }) => admin((sql) => sql.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).pipe(Effect.orDie)
)

export const layerPostgresFresh: Layer.Layer<Storage, unknown> = Layer.unwrapScoped(
  Effect.map(freshDatabaseUrl, ({ url }) => Storage.layerPostgres({ url }))
)

/** Runs one statement on the database at `url` (a connection of its own), for raw looks at rows. */
export const pgQuery = <A extends object>(url: string, text: string) =>
  Effect.scoped(
    Effect.flatMap(PgClient.make({ url: Redacted.make(url), maxConnections: 1 }), (sql) => sql.unsafe<A>(text))
  ).pipe(Effect.provide(Reactivity.layer))

/** Every row of every sluice table of the database at `url`, as text. */
export const pgAllText = (url: string) =>
  Effect.gen(function*() {
    const tables = yield* pgQuery<{ t: string | null }>(
      url,
      `SELECT string_agg(table_name, ',') AS t FROM information_schema.tables WHERE table_name LIKE 'sluice_%'`
    )
    const names = (tables[0]?.t ?? "").split(",").filter((n) => n !== "")
    const parts = yield* Effect.forEach(
      names,
      (n) =>
        pgQuery<{ t: string | null }>(url, `SELECT coalesce(string_agg(x::text, E'\\n'), '') AS t FROM "${n}" AS x`)
    )
    return { tables: names, text: parts.map((rows) => rows[0]?.t ?? "").join("\n") }
  })
