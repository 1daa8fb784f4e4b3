/**
 * Large values stored apart from the journal (a claim check, see ../codec.ts): one row per
 * execution and digest, written once however many rounds, offers and outcomes refer to it, and
 * deleted with its execution.
 */
import type { SqlClient } from "@effect/sql"
import { Effect, Schema } from "effect"
import { storageError } from "../faults.js"
import type { BlobStorage } from "../service.js"
import { decodeRows } from "./columns.js"
import type { Tables } from "./tables.js"

const BlobFromSql = Schema.Struct({ digest: Schema.String, body: Schema.String })

export const makeBlobs = (sql: SqlClient.SqlClient, t: Tables): BlobStorage => ({
  put: (rows) =>
    rows.length === 0 ? Effect.void : sql.withTransaction(
      Effect.forEach(
        rows,
        (r) =>
          sql`INSERT INTO ${sql.literal(t.blobs)} (execution_id, digest, body)
            VALUES (${r.executionId}, ${r.digest}, ${r.body}) ON CONFLICT DO NOTHING`,
        { discard: true }
      )
    ).pipe(Effect.mapError(storageError("store large values"))),
  get: (executionId, digests) =>
    digests.length === 0 ? Effect.succeed([]) : decodeRows(
      "read large values",
      BlobFromSql,
      sql`SELECT digest, body FROM ${sql.literal(t.blobs)}
        WHERE execution_id = ${executionId} AND ${sql.in("digest", digests)}`
    ).pipe(Effect.map((rows) => rows.map((r) => ({ executionId, digest: r.digest, body: r.body }))))
})
