/**
 * PostgreSQL: concurrency keys shared by the runners of one database (see fleetModel.ts
 * `KeyStorage`). A slot is a row; taking one counts the key's rows under a transaction-scoped
 * advisory lock on the key, so two runners cannot both take its last slot.
 */
import type { SqlClient } from "@effect/sql"
import { Effect, Schema } from "effect"
import { storageError } from "../faults.js"
import type { KeyStorage } from "../fleetModel.js"
import type { Tables } from "./tables.js"

const Ids = Schema.Array(Schema.Struct({ id: Schema.String }))
const Counts = Schema.Array(Schema.Struct({ running: Schema.Number, lim: Schema.Number }))

export const make = (sql: SqlClient.SqlClient, t: Tables): KeyStorage => {
  const limitOf = (name: string, key: string, declared: string) =>
    `COALESCE((SELECT lim FROM ${t.keyLimits} WHERE name = ${name} AND key = ${key}),
      (SELECT lim FROM ${t.keyLimits} WHERE name = ${name} AND key = '*'), ${declared})`
  const live = `SELECT id FROM ${t.runners} WHERE expires_at > now()`
  return {
    take: (holder, name, key, declared, want) =>
      sql.withTransaction(Effect.gen(function*() {
        yield* sql`SELECT pg_advisory_xact_lock(hashtext(${`sluice_key:${t.slots}:${JSON.stringify([name, key])}`}))`
        const rows = yield* sql.unsafe(
          `INSERT INTO ${t.slots} (name, key, holder)
          SELECT $1, $2, $3 FROM generate_series(1, GREATEST(0, LEAST($5::int,
            ${limitOf("$1", "$2", "$4::int")} - (SELECT count(*)::int FROM ${t.slots} WHERE name = $1 AND key = $2))))
          RETURNING id::text AS id`,
          [name, key, holder, declared, want]
        )
        return (yield* Schema.decodeUnknown(Ids)(rows)).map((r) => r.id)
      })).pipe(Effect.mapError(storageError("take concurrency slots"))),
    give: (ids) =>
      ids.length === 0 ? Effect.void : sql.unsafe(
        `WITH gone AS (DELETE FROM ${t.slots} WHERE id = ANY($1::bigint[]) RETURNING 1)
        SELECT pg_notify($2, 'k') FROM (SELECT count(*) AS n FROM gone) AS g WHERE g.n > 0`,
        [ids, t.channel]
      ).pipe(Effect.asVoid, Effect.mapError(storageError("give concurrency slots"))),
    setLimit: (name, key, limit) =>
      sql.unsafe(
        `WITH up AS (INSERT INTO ${t.keyLimits} (name, key, lim) VALUES ($1, $2, $3)
          ON CONFLICT (name, key) DO UPDATE SET lim = EXCLUDED.lim RETURNING 1)
        SELECT pg_notify($4, 'k') FROM up`,
        [name, key ?? "*", limit, t.channel]
      ).pipe(Effect.asVoid, Effect.mapError(storageError("set a concurrency limit"))),
    counts: (keys) =>
      keys.length === 0 ? Effect.succeed([]) : sql.unsafe(
        `SELECT (SELECT count(*)::int FROM ${t.slots} AS s WHERE s.name = k->>0 AND s.key = k->>1) AS running,
          ${limitOf("k->>0", "k->>1", "(k->>2)::int")} AS lim
        FROM json_array_elements($1::json) WITH ORDINALITY AS x(k, n) ORDER BY n`,
        [JSON.stringify(keys.map((k) => [k.name, k.key, k.declared]))]
      ).pipe(
        Effect.flatMap(Schema.decodeUnknown(Counts)),
        Effect.map((rows) => rows.map((r) => ({ running: r.running, limit: r.lim }))),
        Effect.mapError(storageError("read concurrency keys"))
      ),
    reclaim: (restarted) =>
      sql.unsafe(
        `WITH gone AS (DELETE FROM ${t.slots} WHERE holder NOT IN (${live}) OR holder = $2 RETURNING 1)
        SELECT pg_notify($1, 'k') FROM (SELECT count(*) AS n FROM gone) AS g WHERE g.n > 0`,
        [t.channel, restarted ?? null]
      ).pipe(Effect.asVoid, Effect.mapError(storageError("free the slots of dead runners")))
  }
}
