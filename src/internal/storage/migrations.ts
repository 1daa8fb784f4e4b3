/**
 * The schema, as numbered forward-only migrations run by the `@effect/sql` Migrator.
 * Times are epoch milliseconds; JSON is stored as text in both dialects. Executions are rows
 * (listed and filtered); what happens inside one is a journal.
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
  // Everything that happens inside an execution, appended in order: one row per round of the
  // runner (its task rows, attempt rows, attempts to forget and events, as JSON). A commit is
  // one INSERT here, atomic on its own; readers fold the rounds (the last row for a task wins).
  yield* sql.unsafe(`CREATE TABLE sluice_journal (
    seq ${serial},
    execution_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    body TEXT NOT NULL
  )`)
  yield* sql.unsafe(`CREATE INDEX sluice_journal_execution ON sluice_journal (execution_id, seq)`)
})

export const migrations = {
  "0001_init": init
}
