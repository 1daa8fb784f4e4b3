/**
 * The write path: a batch becomes as few statements as its dialect allows, each with a fixed
 * text whatever the number of rows (rows travel as one JSON parameter), so that every statement
 * is prepared once.
 *
 * - PostgreSQL: one statement, whatever the batch holds (data-modifying CTEs): one round trip,
 *   atomic on its own.
 * - SQLite: one statement per kind of row present, in one transaction when there is more than
 *   one. The common round (one execution's transitions) is a single-row INSERT.
 */
import type { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import { Effect } from "effect"
import type { Batch, ExecutionRow, ExecutionUpdate } from "../service.js"
import type { Tables } from "./tables.js"

const json = (value: unknown): string | null => value === null ? null : JSON.stringify(value)

const executionColumns =
  "id, workflow_name, workflow_version, status, input, final_context, error_message, idempotency_key, task_count, created_at, completed_at"

/** An execution row as its columns, in `executionColumns` order; JSON columns stay JSON. */
const executionValues = (e: ExecutionRow): Array<unknown> => [
  e.id,
  e.workflowName,
  e.workflowVersion,
  e.status,
  e.input,
  e.finalContext,
  e.errorMessage,
  e.idempotencyKey,
  e.taskCount,
  e.createdAt,
  e.completedAt
]

const updateRecord = (u: ExecutionUpdate) => ({
  id: u.id,
  status: u.status,
  final_context: json(u.finalContext),
  error_message: u.errorMessage,
  completed_at: u.completedAt
})

/** The rounds as `[execution_id, entries]` pairs: entries stay JSON inside JSON (no escaping twice). */
const roundsJson = (batch: Batch): string => JSON.stringify(batch.rounds.map((r) => [r.executionId, r.entries]))

export const makeWrite = (sql: SqlClient.SqlClient, t: Tables): (batch: Batch) => Effect.Effect<void, SqlError> =>
  sql.onDialectOrElse({
    pg: () => {
      const text = `WITH
        new_executions AS (
          INSERT INTO ${t.executions} (${executionColumns})
          SELECT r->>0, r->>1, r->>2, r->>3, r->>4, r->>5, r->>6, r->>7, (r->>8)::int, (r->>9)::bigint, (r->>10)::bigint
          FROM json_array_elements($1::json) AS r
        ),
        updated AS (
          UPDATE ${t.executions} AS e
          SET status = u.status, final_context = u.final_context, error_message = u.error_message,
              completed_at = u.completed_at
          FROM json_to_recordset($2::json)
            AS u(id text, status text, final_context text, error_message text, completed_at bigint)
          WHERE e.id = u.id
        )
      INSERT INTO ${t.journal} (execution_id, body)
      SELECT r->>0, (r->1)::text FROM json_array_elements($3::json) WITH ORDINALITY AS x(r, n) ORDER BY n`
      return (batch) =>
        Effect.asVoid(sql.unsafe(text, [
          JSON.stringify(batch.executions.map(executionValues)),
          JSON.stringify(batch.executionUpdates.map(updateRecord)),
          roundsJson(batch)
        ]))
    },
    orElse: () => {
      const insertRound = `INSERT INTO ${t.journal} (execution_id, body) VALUES (?, ?)`
      const insertWrites = `INSERT INTO ${t.writes} (kind, execution_id, body)
        SELECT value ->> 0, value ->> 1, value -> 2 FROM json_each(?) ORDER BY key`
      return (batch) => {
        const { executionUpdates: updates, executions, rounds } = batch
        // The common commit, one round of one execution: a plain insert.
        if (executions.length === 0 && updates.length === 0) {
          if (rounds.length === 0) return Effect.void
          if (rounds.length === 1) {
            return Effect.asVoid(sql.unsafe(insertRound, [rounds[0].executionId, JSON.stringify(rounds[0].entries)]))
          }
        }
        // Anything else: one statement, through the view's triggers, in this order.
        const rows: Array<unknown> = []
        for (const e of executions) rows.push(["create", e.id, executionValues(e).slice(1)])
        for (const u of updates) rows.push(["update", u.id, [u.status, u.finalContext, u.errorMessage, u.completedAt]])
        for (const r of rounds) rows.push(["round", r.executionId, r.entries])
        return Effect.asVoid(sql.unsafe(insertWrites, [JSON.stringify(rows)]))
      }
    }
  })
