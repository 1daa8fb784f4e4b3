/**
 * The write path: a batch becomes as few statements as its dialect allows, each with a fixed
 * text whatever the number of rows (rows travel as one JSON parameter), so that every statement
 * is prepared once.
 *
 * - PostgreSQL: one statement, whatever the batch holds (data-modifying CTEs): one round trip,
 *   atomic on its own, fenced (see `Batch.fences`), and telling the other runners what changed.
 *
 * Every write can be repeated: an execution or a round already stored is left as it is, so a
 * commit retried after its outcome was lost (a dropped connection) stores nothing twice.
 * - SQLite: one execution's commit (most of them) is one plain statement, or two in a
 *   transaction; a group of many is one statement through a view whose triggers route each row.
 */
import type { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import { Effect } from "effect"
import { isFinal } from "../../../Status.js"
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

/** The ids of the executions whose writes were refused: another runner holds them now. */
export type Refused = ReadonlyArray<string>

const noneRefused: Refused = []

/**
 * What the other runners are told: `w`, new executions wait for a runner; `t`, attempts were
 * offered; `f <ids>`, these executions finished; `c <ids>`, these changed
 * (only those someone follows: a wake-up costs every listening connection). PostgreSQL's NOTIFY
 * payloads are at most 8,000 bytes: ~200 execution ids each.
 */
const changed = (batch: Batch): Array<string> => {
  const finished: Array<string> = []
  for (const u of batch.executionUpdates) if (isFinal(u.status)) finished.push(u.id)
  const payloads: Array<string> = batch.offers === undefined || batch.offers.length === 0 ? [] : ["t"]
  // A new execution that no runner owns waits for one: the workers are told.
  if (batch.executions.length > 0) {
    const owned = new Set((batch.fences ?? []).map((f) => f.executionId))
    if (batch.executions.some((e) => !owned.has(e.id))) payloads.push("w")
  }
  for (const [kind, ids] of [["f", finished], ["c", batch.followed ?? []]] as const) {
    for (let i = 0; i < ids.length; i += 200) payloads.push(`${kind} ${ids.slice(i, i + 200).join(" ")}`)
  }
  return payloads
}

export const makeWrite = (sql: SqlClient.SqlClient, t: Tables): (batch: Batch) => Effect.Effect<Refused, SqlError> =>
  sql.onDialectOrElse({
    pg: () => {
      // Fenced: the updates and rounds of an execution are written only while the runner holds
      // it with the token it took it with (rows locked against a concurrent adoption); a new
      // execution with a fence is created owned. Then every runner listening is told what changed.
      // Two texts: the queue's parts only in the batches that carry some (planning costs).
      const text = (queue: boolean) =>
        `WITH
        fences AS (SELECT f->>0 AS id, (f->>1)::bigint AS token FROM json_array_elements($4::json) AS f),
        new_executions AS (
          INSERT INTO ${t.executions} (${executionColumns}, owner, token)
          SELECT r->>0, r->>1, r->>2, r->>3, r->>4, r->>5, r->>6, (r->>7)::int, (r->>8)::bigint, (r->>9)::bigint,
            CASE WHEN f.id IS NULL THEN NULL ELSE $5 END, COALESCE(f.token, 0)
          FROM json_array_elements($1::json) AS r LEFT JOIN fences AS f ON f.id = r->>0
          ON CONFLICT (id) DO NOTHING
          RETURNING id
        ),
        owned AS (
          SELECT e.id FROM ${t.executions} AS e JOIN fences AS f ON e.id = f.id
          WHERE e.owner = $5 AND e.token = f.token FOR UPDATE OF e
        ),
        refused AS (
          SELECT id FROM fences WHERE id NOT IN (SELECT id FROM owned) AND id NOT IN (SELECT id FROM new_executions)
        ),
        updated AS (
          UPDATE ${t.executions} AS e
          SET status = u->>1, error_message = u->>2, completed_at = (u->>3)::bigint
          FROM json_array_elements($2::json) AS u
          WHERE e.id = u->>0 AND u->>0 NOT IN (SELECT id FROM refused)
        ),
        journaled AS (
          INSERT INTO ${t.journal} (execution_id, round, body)
          SELECT r->>0, (r->>1)::int, (r->2)::text FROM json_array_elements($3::json) WITH ORDINALITY AS x(r, n)
          WHERE r->>0 NOT IN (SELECT id FROM refused)
          ORDER BY n
          ON CONFLICT (execution_id, round) DO NOTHING
        )${
          queue
            ? `,
        dequeued AS (
          DELETE FROM ${t.queue} AS q USING json_array_elements($8::json) AS d
          WHERE q.execution_id = d->>0 AND d->>0 NOT IN (SELECT id FROM refused)
            AND (d->>1 IS NULL OR (q.task_id = d->>1 AND q.attempt = (d->>2)::int))
        ),
        offered AS (
          INSERT INTO ${t.queue} (execution_id, task_id, attempt, workflow_name, workflow_version, input)
          SELECT o->>0, o->>1, (o->>2)::int, o->>3, o->>4, (o->5)::text FROM json_array_elements($9::json) AS o
          WHERE o->>0 NOT IN (SELECT id FROM refused)
          ON CONFLICT DO NOTHING
        )`
            : ""
        }
      SELECT ARRAY(SELECT id FROM refused) AS refused,
        (SELECT count(pg_notify($6, p)) FROM unnest($7::text[]) AS p) AS told`
      const plain = text(false)
      const withQueue = text(true)
      return (batch) => {
        const queue = (batch.offers?.length ?? 0) + (batch.dequeued?.length ?? 0) > 0
        const params: Array<unknown> = [
          JSON.stringify(batch.executions.map(executionValues)),
          JSON.stringify(batch.executionUpdates.map((u) => [u.id, ...updateValues(u)])),
          // Entries stay JSON inside JSON: nothing is escaped twice.
          JSON.stringify(batch.rounds.map((r) => [r.executionId, r.round, r.entries])),
          JSON.stringify((batch.fences ?? []).map((f) => [f.executionId, f.token])),
          batch.owner ?? null,
          t.channel,
          changed(batch)
        ]
        if (queue) {
          params.push(
            JSON.stringify((batch.dequeued ?? []).map((d) => [d.executionId, d.taskId ?? null, d.attempt ?? null])),
            JSON.stringify(
              (batch.offers ?? []).map((
                o
              ) => [o.executionId, o.taskId, o.attempt, o.workflowName, o.workflowVersion, o.input])
            )
          )
        }
        return Effect.map(sql.unsafe<{ refused: ReadonlyArray<string> }>(queue ? withQueue : plain, params), (rows) => {
          const refused = rows[0]?.refused
          return refused === undefined || refused.length === 0 ? noneRefused : refused
        })
      }
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
          if (statements.length <= 1) {
            return statements.length === 0 ? Effect.succeed(noneRefused) : Effect.as(statements[0], noneRefused)
          }
          return Effect.as(sql.withTransaction(Effect.all(statements, { discard: true })), noneRefused)
        }
        // A group: one statement, whatever its size; the view's triggers route each row.
        const rows: Array<unknown> = []
        for (const e of executions) rows.push(["create", e.id, null, executionValues(e).slice(1)])
        for (const u of updates) rows.push(["update", u.id, null, updateValues(u)])
        for (const r of rounds) rows.push(["round", r.executionId, r.round, r.entries])
        return Effect.as(sql.unsafe(insertWrites, [JSON.stringify(rows)]), noneRefused)
      }
    }
  })
