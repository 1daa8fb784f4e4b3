/**
 * The schema, as numbered forward-only migrations run by the `@effect/sql` Migrator.
 * Times are epoch milliseconds; JSON is stored as text in both dialects.
 */
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

const init = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const bigint = sql.onDialectOrElse({ pg: () => "BIGINT", orElse: () => "INTEGER" })
  const serial = sql.onDialectOrElse({ pg: () => "BIGSERIAL PRIMARY KEY", orElse: () => "INTEGER PRIMARY KEY" })
  yield* sql.unsafe(`CREATE TABLE sluice_executions (
    id TEXT PRIMARY KEY,
    workflow_name TEXT NOT NULL,
    workflow_version TEXT NOT NULL,
    status TEXT NOT NULL,
    input TEXT NOT NULL,
    final_context TEXT,
    error_message TEXT,
    idempotency_key TEXT UNIQUE,
    task_count INTEGER NOT NULL,
    created_at ${bigint} NOT NULL,
    completed_at ${bigint}
  )`)
  yield* sql.unsafe(`CREATE INDEX sluice_executions_status ON sluice_executions (status)`)
  yield* sql.unsafe(`CREATE INDEX sluice_executions_created ON sluice_executions (created_at)`)
  yield* sql.unsafe(`CREATE TABLE sluice_tasks (
    execution_id TEXT NOT NULL,
    task_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    output TEXT,
    error TEXT,
    reason TEXT,
    started_at ${bigint},
    completed_at ${bigint},
    retry_at ${bigint},
    PRIMARY KEY (execution_id, task_id)
  )`)
  yield* sql.unsafe(`CREATE TABLE sluice_attempts (
    execution_id TEXT NOT NULL,
    task_id TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    status TEXT NOT NULL,
    error TEXT,
    started_at ${bigint} NOT NULL,
    completed_at ${bigint},
    PRIMARY KEY (execution_id, task_id, attempt)
  )`)
  yield* sql.unsafe(`CREATE TABLE sluice_events (
    seq ${serial},
    execution_id TEXT NOT NULL,
    task_id TEXT,
    type TEXT NOT NULL,
    at ${bigint} NOT NULL,
    data TEXT NOT NULL
  )`)
  yield* sql.unsafe(`CREATE INDEX sluice_events_execution ON sluice_events (execution_id, seq)`)
})

export const migrations = {
  "0001_init": init
}
