/**
 * The schema, as numbered forward-only migrations run by the `@effect/sql` Migrator. Times are
 * epoch milliseconds; JSON is stored as text in both dialects. Executions are rows (listed and
 * filtered); what happens inside one is its journal; workflow definitions are kept per version.
 */
import { Migrator, SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import { Effect } from "effect"
import type { Tables } from "./tables.js"
import { churned } from "./tables.js"

const init = (t: Tables) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const bigint = sql.onDialectOrElse({ pg: () => "BIGINT", orElse: () => "INTEGER" })
    const serial = sql.onDialectOrElse({ pg: () => "BIGSERIAL PRIMARY KEY", orElse: () => "INTEGER PRIMARY KEY" })
    yield* sql.unsafe(`CREATE TABLE ${t.executions} (
      id TEXT PRIMARY KEY,
      workflow_name TEXT NOT NULL,
      workflow_version TEXT NOT NULL,
      status TEXT NOT NULL,
      input TEXT NOT NULL,
      error_message TEXT,
      idempotency_key TEXT UNIQUE,
      task_count INTEGER NOT NULL,
      created_at ${bigint} NOT NULL,
      completed_at ${bigint}
    )`)
    yield* sql.unsafe(`CREATE INDEX ${t.index("executions_status")} ON ${t.executions} (status)`)
    yield* sql.unsafe(`CREATE INDEX ${t.index("executions_created")} ON ${t.executions} (created_at)`)
    // One row per round of an execution: the JSON array of the transitions it committed.
    // Appending is one INSERT, atomic on its own; readers fold the rows in round order. A round
    // is stored once: a commit retried after its outcome was lost stores nothing twice.
    yield* sql.unsafe(`CREATE TABLE ${t.journal} (
      seq ${serial},
      execution_id TEXT NOT NULL,
      round INTEGER NOT NULL,
      body TEXT NOT NULL
    )`)
    yield* sql.unsafe(`CREATE UNIQUE INDEX ${t.index("journal_round")} ON ${t.journal} (execution_id, round)`)
    // SQLite: one statement commits a whole group (rows travel as one JSON parameter); this view's
    // triggers send each row where it belongs. A single statement is atomic on its own.
    yield* sql.onDialectOrElse({
      pg: () => Effect.void,
      orElse: () =>
        Effect.all([
          sql.unsafe(
            `CREATE VIEW ${t.writes} (kind, execution_id, round, body) AS SELECT NULL, NULL, NULL, NULL WHERE 0`
          ),
          sql.unsafe(`CREATE TRIGGER ${t.index("writes_create")} INSTEAD OF INSERT ON ${t.writes}
            WHEN NEW.kind = 'create' BEGIN
              INSERT INTO ${t.executions} (id, workflow_name, workflow_version, status, input,
                error_message, idempotency_key, task_count, created_at, completed_at)
              SELECT NEW.execution_id, NEW.body ->> 0, NEW.body ->> 1, NEW.body ->> 2, NEW.body -> 3,
                NEW.body ->> 4, NEW.body ->> 5, NEW.body ->> 6, NEW.body ->> 7, NEW.body ->> 8
              WHERE NOT EXISTS (SELECT 1 FROM ${t.executions} WHERE id = NEW.execution_id);
            END`),
          sql.unsafe(`CREATE TRIGGER ${t.index("writes_update")} INSTEAD OF INSERT ON ${t.writes}
            WHEN NEW.kind = 'update' BEGIN
              UPDATE ${t.executions} SET status = NEW.body ->> 0, error_message = NEW.body ->> 1,
                completed_at = NEW.body ->> 2
              WHERE id = NEW.execution_id;
            END`),
          sql.unsafe(`CREATE TRIGGER ${t.index("writes_round")} INSTEAD OF INSERT ON ${t.writes}
            WHEN NEW.kind = 'round' BEGIN
              INSERT INTO ${t.journal} (execution_id, round, body)
              SELECT NEW.execution_id, NEW.round, NEW.body
              WHERE NOT EXISTS (SELECT 1 FROM ${t.journal} WHERE execution_id = NEW.execution_id AND round = NEW.round);
            END`)
        ], { discard: true })
    })
    yield* sql.unsafe(`CREATE TABLE ${t.workflows} (
      name TEXT NOT NULL,
      version TEXT NOT NULL,
      definition TEXT NOT NULL,
      created_at ${bigint} NOT NULL,
      PRIMARY KEY (name, version)
    )`)
  })

/**
 * PostgreSQL: several runners share the database. An execution has an owner (a runner) and a
 * fencing token counted up by every adoption, and may carry a control asked of its owner; each
 * runner has a row whose lease (`expires_at`, by the database's clock) its heartbeat renews; the
 * queue holds attempts an owner offered to the others, until it records their outcome.
 */
const fleet = (t: Tables) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql.onDialectOrElse({
      pg: () =>
        Effect.all([
          sql.unsafe(`ALTER TABLE ${t.executions} ADD COLUMN owner TEXT, ADD COLUMN token BIGINT NOT NULL DEFAULT 0,
            ADD COLUMN requested TEXT`),
          sql.unsafe(`CREATE INDEX ${t.index("executions_unfinished")} ON ${t.executions} (created_at)
            WHERE status IN ('Pending', 'Running', 'Paused')`),
          sql.unsafe(`CREATE TABLE ${t.runners} (
            id TEXT PRIMARY KEY,
            expires_at TIMESTAMPTZ NOT NULL,
            worker BOOLEAN NOT NULL,
            workflows JSONB NOT NULL
          )`),
          sql.unsafe(`CREATE TABLE ${t.queue} (
            execution_id TEXT NOT NULL,
            task_id TEXT NOT NULL,
            attempt INTEGER NOT NULL,
            workflow_name TEXT NOT NULL,
            workflow_version TEXT NOT NULL,
            input TEXT NOT NULL,
            offered_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            claimed_by TEXT,
            claims INTEGER NOT NULL DEFAULT 0,
            outcome TEXT,
            PRIMARY KEY (execution_id, task_id, attempt)
          )`),
          sql.unsafe(`CREATE INDEX ${t.index("queue_open")} ON ${t.queue} (offered_at) WHERE claimed_by IS NULL`)
        ], { discard: true }),
      orElse: () => Effect.void
    })
  })

/**
 * Time and waiting: signals sent to executions (one per name), schedules (cron or poll, with the
 * next time each is due), and their fires, keyed by (schedule, scheduled time): a time fires once.
 */
const time = (t: Tables) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const bigint = sql.onDialectOrElse({ pg: () => "BIGINT", orElse: () => "INTEGER" })
    yield* sql.unsafe(`CREATE TABLE ${t.signals} (
      execution_id TEXT NOT NULL,
      name TEXT NOT NULL,
      payload TEXT NOT NULL,
      sent_at ${bigint} NOT NULL,
      PRIMARY KEY (execution_id, name)
    )`)
    yield* sql.unsafe(`CREATE TABLE ${t.schedules} (
      id TEXT PRIMARY KEY,
      kind TEXT NOT NULL,
      spec TEXT NOT NULL,
      paused INTEGER NOT NULL,
      declared INTEGER NOT NULL,
      next_at ${bigint} NOT NULL,
      updated_at ${bigint} NOT NULL
    )`)
    yield* sql.unsafe(`CREATE TABLE ${t.fires} (
      schedule_id TEXT NOT NULL,
      scheduled_at ${bigint} NOT NULL,
      execution_id TEXT,
      skipped TEXT,
      fired_at ${bigint} NOT NULL,
      input_key TEXT,
      PRIMARY KEY (schedule_id, scheduled_at)
    )`)
  })

/**
 * PostgreSQL: concurrency keys shared by runners (a row per slot taken, limits set at run time)
 * and rate limits' token buckets.
 */
const keys = (t: Tables) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql.onDialectOrElse({
      pg: () =>
        Effect.all([
          sql.unsafe(`CREATE TABLE ${t.slots} (
            id BIGSERIAL PRIMARY KEY,
            name TEXT NOT NULL,
            key TEXT NOT NULL,
            holder TEXT NOT NULL
          )`),
          sql.unsafe(`CREATE INDEX ${t.index("slots_key")} ON ${t.slots} (name, key)`),
          sql.unsafe(`CREATE TABLE ${t.buckets} (
            name TEXT NOT NULL,
            key TEXT NOT NULL,
            tokens DOUBLE PRECISION NOT NULL,
            at TIMESTAMPTZ NOT NULL,
            PRIMARY KEY (name, key)
          )`),
          sql.unsafe(`CREATE TABLE ${t.keyLimits} (
            name TEXT NOT NULL,
            key TEXT NOT NULL,
            lim INTEGER NOT NULL,
            PRIMARY KEY (name, key)
          )`)
        ], { discard: true }),
      orElse: () => Effect.void
    })
  })

/** Large values stored apart from the journal, per execution (see blobs.ts). */
const blobs = (t: Tables) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql.unsafe(`CREATE TABLE ${t.blobs} (
      execution_id TEXT NOT NULL,
      digest TEXT NOT NULL,
      body TEXT NOT NULL,
      PRIMARY KEY (execution_id, digest)
    )`)
  })

/**
 * PostgreSQL: the tables that retention empties are vacuumed after 2% of their rows died, not
 * the default 20%, so that pruning keeps them from growing (a soak of 20,000 executions left
 * 49,000 dead journal rows behind at the default).
 */
const vacuum = (t: Tables) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql.onDialectOrElse({
      pg: () =>
        Effect.forEach(
          churned(t),
          (table) =>
            sql.unsafe(
              `ALTER TABLE ${table} SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_threshold = 500)`
            ),
          { discard: true }
        ),
      orElse: () => Effect.void
    })
  })

/**
 * Runs the migrations. On PostgreSQL many runners may boot at once: one migrates under an
 * advisory lock while the others wait, and the migrations table is created under the lock too
 * (the Migrator's own check-then-create would race). The search path points at the tenant's
 * schema, so that the Migrator finds its table there.
 */
export const migrate = (sql: SqlClient.SqlClient, t: Tables): Effect.Effect<void, unknown> => {
  const run = Migrator.make({})({
    loader: Migrator.fromRecord({
      "0001_init": init(t),
      "0002_fleet": fleet(t),
      "0003_time": time(t),
      "0004_keys": keys(t),
      "0005_blobs": blobs(t),
      "0006_vacuum": vacuum(t)
    }),
    table: t.migrations
  })
  const onPg = () => {
    const lockKey = `sluice_migrations:${t.schema ?? ""}:${t.prefix}`
    const statements: Array<Effect.Effect<unknown, SqlError>> = [
      sql`SELECT pg_advisory_xact_lock(hashtext(${lockKey}))`
    ]
    if (t.schema !== undefined) {
      statements.push(sql.unsafe(`CREATE SCHEMA IF NOT EXISTS "${t.schema}"`))
      statements.push(sql.unsafe(`SET LOCAL search_path TO "${t.schema}"`))
    }
    statements.push(sql.unsafe(`CREATE TABLE IF NOT EXISTS ${qualified(t, t.migrations)} (
      migration_id integer primary key,
      created_at timestamp with time zone not null default now(),
      name text not null
    )`))
    return sql.withTransaction(Effect.zipRight(Effect.all(statements, { discard: true }), run))
  }
  return sql.onDialectOrElse({ pg: onPg, orElse: () => run }).pipe(
    Effect.asVoid,
    Effect.provideService(SqlClient.SqlClient, sql)
  )
}

const qualified = (t: Tables, table: string) => t.schema === undefined ? `"${table}"` : `"${t.schema}"."${table}"`
