/**
 * What several runners on one PostgreSQL database share: leases, adoption, control requests and
 * wake-ups (see `FleetStorage`). Leases are judged by the database's clock only (`now()`), so a
 * runner whose own clock is off neither steals nor loses work.
 */
import type { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import { Effect, Option, Schema, Stream } from "effect"
import { storageError } from "../faults.js"
import { ContextDelta } from "../journal.js"
import type { FleetStorage } from "../service.js"
import { decodeRows, Int } from "./columns.js"
import { make as makeKeys, makeBuckets } from "./keys.js"
import type { Tables } from "./tables.js"

const AdoptedFromSql = Schema.Struct({ id: Schema.String, token: Int, previous: Schema.NullOr(Schema.String) })
const OwnershipFromSql = Schema.Struct({
  owner: Schema.NullOr(Schema.String),
  live: Schema.Boolean,
  requested: Schema.NullOr(Schema.String)
})
const CountFromSql = Schema.Struct({ n: Int })
const ClaimedFromSql = Schema.Struct({
  execution_id: Schema.String,
  task_id: Schema.String,
  attempt: Int,
  workflow_name: Schema.String,
  workflow_version: Schema.String,
  input: Schema.parseJson(),
  claims: Int
})
const Outcome = Schema.parseJson(Schema.Struct({
  taskId: Schema.String,
  attempt: Schema.Number,
  runnerId: Schema.String,
  completedAt: Schema.Number,
  delta: Schema.optional(ContextDelta),
  value: Schema.optional(Schema.Unknown),
  error: Schema.optional(Schema.String)
}))
const OutcomeFromSql = Schema.Struct({ outcome: Outcome })
const OfferedFromSql = Schema.Struct({ task_id: Schema.String, attempt: Int, outcome: Schema.NullOr(Outcome) })

export const make = (
  sql: SqlClient.SqlClient,
  listen: (channel: string) => Stream.Stream<string, SqlError>,
  t: Tables
): FleetStorage => {
  const live = (owner: string) =>
    `EXISTS (SELECT 1 FROM ${t.runners} AS r WHERE r.id = ${owner} AND r.expires_at > now())`
  const unfinished = `('Pending', 'Running', 'Paused')`
  const run = <A, I>(operation: string, schema: Schema.Schema<A, I>, text: string, params: ReadonlyArray<unknown>) =>
    decodeRows(operation, schema, sql.unsafe(text, params))
  const exec = (operation: string, text: string, params: ReadonlyArray<unknown>) =>
    Effect.mapError(Effect.asVoid(sql.unsafe(text, params)), storageError(operation))
  const notify = (payload: string) => exec("notify", `SELECT pg_notify($1, $2)`, [t.channel, payload])
  const adopted = (rows: ReadonlyArray<typeof AdoptedFromSql.Type>) =>
    rows.map((r) => ({ executionId: r.id, token: r.token, previousOwner: r.previous }))
  // Which executions a runner takes: `waiting`, owned by nobody (new, or released); `orphaned`,
  // owned by a runner whose lease expired; `own`, owned by this one but not running here (from
  // before a restart, or a lease it lost).
  const takeable = (mode: string, running: string) =>
    `CASE ${mode} WHEN 'waiting' THEN x.owner IS NULL
      WHEN 'orphaned' THEN x.owner <> $1 AND NOT ${live("x.owner")}
      ELSE x.owner = $1 AND NOT (x.id = ANY(${running})) END`
  const adoptText = `UPDATE ${t.executions} AS e SET owner = $1, token = e.token + 1
    FROM (
      SELECT x.id, x.owner AS previous FROM ${t.executions} AS x
      WHERE x.status IN ('Pending', 'Running') AND x.workflow_name || ' ' || x.workflow_version = ANY($2::text[])
        AND ${takeable("$5::text", "$4::text[]")}
      ORDER BY x.created_at LIMIT $3
      FOR UPDATE SKIP LOCKED
    ) AS pick
    WHERE e.id = pick.id
    RETURNING e.id, e.token, pick.previous`
  const adoptOneText = `UPDATE ${t.executions} AS e SET owner = $1, token = e.token + 1
    FROM (
      SELECT x.id, x.owner AS previous FROM ${t.executions} AS x
      WHERE x.id = $2 AND x.status IN ${unfinished}
        AND (x.owner IS NULL OR x.owner = $1 OR NOT ${live("x.owner")})
      FOR UPDATE
    ) AS pick
    WHERE e.id = pick.id
    RETURNING e.id, e.token, pick.previous`

  return {
    heartbeat: (runnerId, leaseMs, worker, workflows) =>
      Effect.map(
        run(
          "renew lease",
          CountFromSql,
          `WITH renewed AS (
            INSERT INTO ${t.runners} (id, expires_at, worker, workflows)
            VALUES ($1, now() + $2::int * interval '1 millisecond', $3, $4::jsonb)
            ON CONFLICT (id) DO UPDATE SET expires_at = EXCLUDED.expires_at, worker = EXCLUDED.worker,
              workflows = EXCLUDED.workflows
          )
          SELECT count(*) AS n FROM ${t.runners} WHERE worker AND expires_at > now() AND id <> $1`,
          [runnerId, leaseMs, worker, JSON.stringify(workflows)]
        ),
        (rows) => rows[0]?.n ?? 0
      ),
    leave: (runnerId) =>
      exec(
        "release executions",
        `WITH released AS (
            UPDATE ${t.executions} SET owner = NULL WHERE owner = $1 AND status IN ${unfinished} RETURNING id
          ),
          gone AS (DELETE FROM ${t.runners} WHERE id = $1)
          SELECT pg_notify($2, 'w') FROM (SELECT count(*) AS n FROM released) AS c WHERE c.n > 0`,
        [runnerId, t.channel]
      ),
    adopt: (runnerId, workflows, limit, running, mode) =>
      Effect.map(
        run("adopt executions", AdoptedFromSql, adoptText, [runnerId, workflows, limit, running, mode]),
        adopted
      ),
    adoptOne: (runnerId, executionId) =>
      Effect.map(
        run("adopt execution", AdoptedFromSql, adoptOneText, [runnerId, executionId]),
        (rows) => Option.fromNullable(adopted(rows)[0])
      ),
    release: (runnerId, fence) =>
      exec(
        "release execution",
        `WITH released AS (
            UPDATE ${t.executions} SET owner = NULL WHERE id = $2 AND owner = $1 AND token = $3 RETURNING id
          )
          SELECT pg_notify($4, 'w') FROM released`,
        [runnerId, fence.executionId, fence.token, t.channel]
      ),
    ownership: (executionId) =>
      Effect.map(
        run(
          "read owner",
          OwnershipFromSql,
          `SELECT x.owner, x.requested, (x.owner IS NOT NULL AND ${live("x.owner")}) AS live
            FROM ${t.executions} AS x WHERE x.id = $1`,
          [executionId]
        ),
        (rows) => Option.fromNullable(rows[0])
      ),
    request: (executionId, control) =>
      exec(
        "request control",
        `WITH asked AS (UPDATE ${t.executions} SET requested = $2 WHERE id = $1 RETURNING id)
          SELECT pg_notify($3, 'q ' || id) FROM asked`,
        [executionId, control, t.channel]
      ),
    answered: (executionId, control) =>
      exec(
        "answer control",
        `WITH done AS (UPDATE ${t.executions} SET requested = NULL WHERE id = $1 AND requested = $2 RETURNING id)
          SELECT pg_notify($3, 'c ' || id) FROM done`,
        [executionId, control, t.channel]
      ),
    workers: (workflowName, except) =>
      Effect.map(
        run(
          "count runners",
          CountFromSql,
          `SELECT count(*) AS n FROM ${t.runners} WHERE worker AND expires_at > now() AND workflows ? $1 AND id <> $2`,
          [workflowName, except]
        ),
        (rows) => rows[0]?.n ?? 0
      ),
    notifications: Stream.mapError(listen(t.channel), storageError("listen")),
    keys: makeKeys(sql, t),
    buckets: makeBuckets(sql, t),
    notify,
    claim: (runnerId, workflows, limit) =>
      Effect.map(
        run(
          "claim tasks",
          ClaimedFromSql,
          `UPDATE ${t.queue} AS q SET claimed_by = $1, claims = q.claims + 1
          FROM (
            SELECT execution_id, task_id, attempt FROM ${t.queue}
            WHERE claimed_by IS NULL AND workflow_name || ' ' || workflow_version = ANY($2::text[])
            ORDER BY offered_at LIMIT $3
            FOR UPDATE SKIP LOCKED
          ) AS pick
          WHERE q.execution_id = pick.execution_id AND q.task_id = pick.task_id AND q.attempt = pick.attempt
          RETURNING q.execution_id, q.task_id, q.attempt, q.workflow_name, q.workflow_version, q.input, q.claims`,
          [runnerId, workflows, limit]
        ),
        (rows) =>
          rows.map((r) => ({
            executionId: r.execution_id,
            taskId: r.task_id,
            attempt: r.attempt,
            workflowName: r.workflow_name,
            workflowVersion: r.workflow_version,
            input: r.input,
            claim: r.claims
          }))
      ),
    report: (executionId, claim, outcome) =>
      exec(
        "report outcome",
        `WITH done AS (
            UPDATE ${t.queue} SET outcome = $5
            WHERE execution_id = $1 AND task_id = $2 AND attempt = $3 AND claimed_by = $4 AND claims = $7
            RETURNING execution_id
          )
          SELECT pg_notify($6, 'o ' || execution_id) FROM done`,
        [executionId, outcome.taskId, outcome.attempt, outcome.runnerId, JSON.stringify(outcome), t.channel, claim]
      ),
    outcomes: (executionId) =>
      Effect.map(
        run(
          "read outcomes",
          OutcomeFromSql,
          `SELECT outcome FROM ${t.queue} WHERE execution_id = $1 AND outcome IS NOT NULL`,
          [executionId]
        ),
        (rows) => rows.map((r) => r.outcome)
      ),
    offered: (executionId) =>
      Effect.map(
        run(
          "read offered tasks",
          OfferedFromSql,
          `SELECT task_id, attempt, outcome FROM ${t.queue} WHERE execution_id = $1`,
          [executionId]
        ),
        (rows) => rows.map((r) => ({ taskId: r.task_id, attempt: r.attempt, outcome: r.outcome }))
      ),
    reclaim: exec(
      "offer lost tasks again",
      `WITH lost AS (
          UPDATE ${t.queue} AS q SET claimed_by = NULL
          WHERE q.claimed_by IS NOT NULL AND q.outcome IS NULL AND NOT ${live("q.claimed_by")}
          RETURNING 1
        )
        SELECT pg_notify($1, 't') FROM (SELECT count(*) AS n FROM lost) AS c WHERE c.n > 0`,
      [t.channel]
    )
  }
}
