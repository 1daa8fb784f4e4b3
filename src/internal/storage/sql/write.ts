/**
 * The write path: a batch becomes as few statements as its dialect allows, each with a fixed
 * text whatever the number of rows (rows travel as one JSON parameter), so that every statement
 * is prepared once.
 *
 * - PostgreSQL: one statement, whatever the batch holds (data-modifying CTEs): one round trip,
 *   atomic on its own.
 *
 * Every write can be repeated: an execution or a round already stored is left as it is, so a
 * commit retried after its outcome was lost (a dropped connection) stores nothing twice.
 * - SQLite: one execution's commit (most of them) is one plain statement, or two in a
 *   transaction; a group of many is one statement through a view whose triggers route each row.
 */
import type { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import { Effect } from "effect"
import type { Batch, ExecutionRow, ExecutionUpdate } from "../service.js"
import type { Tables } from "./tables.js"

export const executionColumns =
  "id, workflow_name, workflow_version, status, input, error_message, idempotency_key, task_count, created_at, completed_at"

/** An execution row as its columns, in `executionColumns` order; the input stays JSON. */
const executionValues = (e: ExecutionRow): Array<unknown> => [
  e.id,
  e.workflowName,
  e.workflowVersion,
  e.status,
  e.input,
  e.errorMessage,
  e.idempotencyKey,
  e.taskCount,
  e.createdAt,
  e.completedAt
]

/** An execution row as statement parameters: the input as JSON text. */
export const executionParams = (e: ExecutionRow): Array<unknown> => {
  const values = executionValues(e)
  values[4] = JSON.stringify(e.input)
  return values
}

const updateValues = (u: ExecutionUpdate): Array<unknown> => [u.status, u.errorMessage, u.completedAt]

export const makeWrite = (sql: SqlClient.SqlClient, t: Tables): (batch: Batch) => Effect.Effect<void, SqlError> =>
  sql.onDialectOrElse({
    pg: () => {
      const text = `WITH
        new_executions AS (
          INSERT INTO ${t.executions} (${executionColumns})
          SELECT r->>0, r->>1, r->>2, r->>3, r->>4, r->>5, r->>6, (r->>7)::int, (r->>8)::bigint, (r->>9)::bigint
          FROM json_array_elements($1::json) AS r
          ON CONFLICT (id) DO NOTHING
        ),
        updated AS (
          UPDATE ${t.executions} AS e
          SET status = u->>1, error_message = u->>2, completed_at = (u->>3)::bigint
          FROM json_array_elements($2::json) AS u
          WHERE e.id = u->>0
        )
      INSERT INTO ${t.journal} (execution_id, round, body)
      SELECT r->>0, (r->>1)::int, (r->2)::text FROM json_array_elements($3::json) WITH ORDINALITY AS x(r, n) ORDER BY n
      ON CONFLICT (execution_id, round) DO NOTHING`
      return (batch) =>
        Effect.asVoid(sql.unsafe(text, [
          JSON.stringify(batch.executions.map(executionValues)),
          JSON.stringify(batch.executionUpdates.map((u) => [u.id, ...updateValues(u)])),
          // Entries stay JSON inside JSON: nothing is escaped twice.
          JSON.stringify(batch.rounds.map((r) => [r.executionId, r.round, r.entries]))
        ]))
    },
    orElse: () => {
      const insertExecution =
        `INSERT INTO ${t.executions} (${executionColumns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`
      const updateExecution = `UPDATE ${t.executions} SET status = ?, error_message = ?, completed_at = ? WHERE id = ?`
      const insertRound =
        `INSERT INTO ${t.journal} (execution_id, round, body) VALUES (?, ?, ?) ON CONFLICT (execution_id, round) DO NOTHING`
      const insertWrites = `INSERT INTO ${t.writes} (kind, execution_id, round, body)
        SELECT value ->> 0, value ->> 1, value ->> 2, value -> 3 FROM json_each(?) ORDER BY key`
      return (batch) => {
        const { executionUpdates: updates, executions, rounds } = batch
        // One execution's commit: plain statements, whose JSON SQLite stores without parsing it.
        if (rounds.length <= 1 && executions.length + updates.length <= 1) {
          const statements: Array<Effect.Effect<unknown, SqlError>> = []
          for (const e of executions) statements.push(sql.unsafe(insertExecution, executionParams(e)))
          for (const u of updates) statements.push(sql.unsafe(updateExecution, [...updateValues(u), u.id]))
          for (const r of rounds) {
            statements.push(sql.unsafe(insertRound, [r.executionId, r.round, JSON.stringify(r.entries)]))
          }
          if (statements.length <= 1) return statements.length === 0 ? Effect.void : Effect.asVoid(statements[0])
          return sql.withTransaction(Effect.all(statements, { discard: true }))
        }
        // A group: one statement, whatever its size; the view's triggers route each row.
        const rows: Array<unknown> = []
        for (const e of executions) rows.push(["create", e.id, null, executionValues(e).slice(1)])
        for (const u of updates) rows.push(["update", u.id, null, updateValues(u)])
        for (const r of rounds) rows.push(["round", r.executionId, r.round, r.entries])
        return Effect.asVoid(sql.unsafe(insertWrites, [JSON.stringify(rows)]))
      }
    }
  })
