/**
 * How much the SQL storage holds (executions by status, the bytes it takes on disk), and on
 * PostgreSQL the vacuum that gives back what retention pruned.
 */
import type { SqlClient } from "@effect/sql"
import { Effect, Schema } from "effect"
import { ExecutionStatus } from "../../../Status.js"
import { storageError } from "../faults.js"
import type { Footprint } from "../service.js"
import { decodeRows, Int } from "./columns.js"
import type { Tables } from "./tables.js"
import { churned } from "./tables.js"

const CountFromSql = Schema.Struct({ status: ExecutionStatus, n: Int })
const BytesFromSql = Schema.Struct({ bytes: Schema.NullOr(Int) })

export const makeFootprint = (sql: SqlClient.SqlClient, t: Tables) => {
  const bytes = sql.onDialectOrElse({
    // Every table of these runners (schema and prefix), with its indexes and TOAST.
    pg: () =>
      sql`SELECT sum(pg_total_relation_size(c.oid))::bigint AS bytes FROM pg_class AS c
        JOIN pg_namespace AS n ON n.oid = c.relnamespace
        WHERE c.relkind = 'r' AND n.nspname = ${t.schema ?? "public"} AND c.relname LIKE ${`${t.prefix}%`}`,
    orElse: () => sql`SELECT page_count * page_size AS bytes FROM pragma_page_count(), pragma_page_size()`
  })
  return Effect.map(
    Effect.all([
      decodeRows(
        "count executions",
        CountFromSql,
        sql`SELECT status, count(*) AS n FROM ${sql.literal(t.executions)} GROUP BY status`
      ),
      decodeRows("measure the storage", BytesFromSql, bytes)
    ]),
    ([counts, size]): Footprint => ({
      executions: Object.fromEntries(counts.map((c) => [c.status, c.n])),
      bytes: size[0]?.bytes ?? undefined
    })
  )
}

/** PostgreSQL: `VACUUM` of the tables that pruning empties (SQLite reuses freed pages itself). */
export const makeReclaim = (sql: SqlClient.SqlClient, t: Tables) =>
  sql.onDialectOrElse({
    pg: () =>
      sql.unsafe(`VACUUM (ANALYZE) ${churned(t).join(", ")}`).pipe(
        Effect.asVoid,
        Effect.mapError(storageError("vacuum"))
      ),
    orElse: () => undefined
  })
