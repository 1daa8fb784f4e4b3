/**
 * PostgreSQL: concurrency keys and rate limits shared by the runners of one database (see
 * fleetModel.ts `KeyStorage`, `BucketStorage`). A slot is a row; taking one counts the key's rows
 * under a transaction-scoped advisory lock on the key, so two runners cannot both take its last
 * slot. A token bucket is a row, locked while it is refilled and taken.
 */
import type { SqlClient } from "@effect/sql"
import { Effect, Schema } from "effect"
import { storageError } from "../faults.js"
import type { BucketStorage, KeyStorage } from "../fleetModel.js"
import type { Tables } from "./tables.js"

const Ids = Schema.Array(Schema.Struct({ n: Schema.Number, id: Schema.String }))
const Counts = Schema.Array(Schema.Struct({ running: Schema.Number, lim: Schema.Number }))

const Answers = Schema.Array(Schema.Struct({ n: Schema.Number, granted: Schema.Number, wait: Schema.Number }))

/** Token buckets: refilled by the time since their last use (the database's clock), then taken. */
export const makeBuckets = (sql: SqlClient.SqlClient, t: Tables): BucketStorage => ({
  take: (asked) =>
    asked.length === 0 ? Effect.succeed([]) : sql.withTransaction(Effect.gen(function*() {
      const params = [JSON.stringify(asked.map((a) => [a.name, a.key, a.limit, a.perMs, a.want]))]
      const rows = `SELECT n, k->>0 AS name, k->>1 AS key, (k->>2)::float8 AS lim, (k->>3)::float8 AS per,
        (k->>4)::int AS want FROM json_array_elements($1::json) WITH ORDINALITY AS x(k, n)`
      yield* sql.unsafe(
        `INSERT INTO ${t.buckets} (name, key, tokens, at) SELECT name, key, lim, now() FROM (${rows}) AS a
        ON CONFLICT (name, key) DO NOTHING`,
        params
      )
      const answers = yield* sql.unsafe(
        `WITH asked AS (${rows}), cur AS (
          SELECT asked.*, LEAST(asked.lim, b.tokens + extract(epoch FROM now() - b.at) * 1000 * asked.lim / asked.per) AS avail
          FROM ${t.buckets} AS b JOIN asked USING (name, key) FOR UPDATE OF b
        ), took AS (
          SELECT cur.*, LEAST(cur.want, floor(cur.avail))::int AS granted FROM cur
        ), upd AS (
          UPDATE ${t.buckets} AS b SET tokens = took.avail - took.granted, at = now()
          FROM took WHERE b.name = took.name AND b.key = took.key
          RETURNING took.n, took.granted, took.avail - took.granted AS remaining, took.lim, took.per
        )
        SELECT n::int AS n, granted, CASE WHEN remaining >= 1 THEN 0 ELSE (1 - remaining) * per / lim END AS wait
        FROM upd ORDER BY n`,
        params
      )
      return (yield* Schema.decodeUnknown(Answers)(answers)).map((a) => ({ granted: a.granted, waitMs: a.wait }))
    })).pipe(Effect.mapError(storageError("take rate-limit tokens")))
})

export const make = (sql: SqlClient.SqlClient, t: Tables): KeyStorage => {
  const limitOf = (name: string, key: string, declared: string) =>
    `COALESCE((SELECT lim FROM ${t.keyLimits} WHERE name = ${name} AND key = ${key}),
      (SELECT lim FROM ${t.keyLimits} WHERE name = ${name} AND key = '*'), ${declared})`
  const live = `SELECT id FROM ${t.runners} WHERE expires_at > now()`
  return {
    take: (holder, wanted) =>
      wanted.length === 0 ? Effect.succeed([]) : sql.withTransaction(Effect.gen(function*() {
        const asked = JSON.stringify(wanted.map((w) => [w.name, w.key, w.declared, w.want]))
        // Every key's lock first, in one order (two runners asking for the same keys cannot
        // deadlock), then each key's free slots counted and taken.
        yield* sql.unsafe(
          `SELECT pg_advisory_xact_lock(h) FROM (
            SELECT DISTINCT hashtext($2 || ':' || (k->>0) || '/' || (k->>1)) AS h FROM json_array_elements($1::json) AS k
          ) AS locks ORDER BY h`,
          [asked, t.slots]
        )
        const rows = yield* sql.unsafe(
          `WITH asked AS (
            SELECT n, k->>0 AS name, k->>1 AS key, (k->>2)::int AS declared, (k->>3)::int AS want
            FROM json_array_elements($1::json) WITH ORDINALITY AS x(k, n)
          ), free AS (
            SELECT n, name, key, GREATEST(0, LEAST(want, ${limitOf("asked.name", "asked.key", "asked.declared")}
              - (SELECT count(*)::int FROM ${t.slots} AS s WHERE s.name = asked.name AND s.key = asked.key))) AS k
            FROM asked
          ), taken AS (
            INSERT INTO ${t.slots} (name, key, holder)
            SELECT free.name, free.key, $2 FROM free, generate_series(1, free.k)
            RETURNING id, name, key
          )
          SELECT free.n::int AS n, taken.id::text AS id FROM taken JOIN free USING (name, key)`,
          [asked, holder]
        )
        const out = wanted.map((): Array<string> => [])
        for (const r of yield* Schema.decodeUnknown(Ids)(rows)) out[r.n - 1].push(r.id)
        return out
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
