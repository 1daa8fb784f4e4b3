/**
 * Storage on `@effect/sql`, for SQLite and PostgreSQL alike (dialect differences are in the
 * migrations). All writes go through one writer fiber: batches committed by many executions at
 * once are merged and written in one transaction with multi-row statements (group commit).
 */
import { Reactivity } from "@effect/experimental"
import { Migrator, SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { SqliteClient } from "@effect/sql-sqlite-node"
import type { SqlError } from "@effect/sql/SqlError"
import { Deferred, Effect, Layer, Option, Queue, Redacted, Schema } from "effect"
import type { ParseError } from "effect/ParseResult"
import { StorageError } from "../../Errors.js"
import type {
  AttemptRow,
  Batch,
  EventRow,
  ExecutionRow,
  ExecutionUpdate,
  ListFilter,
  StorageService,
  TaskRow
} from "../../Storage.js"
import { Storage } from "../../Storage.js"
import type { ContextDelta } from "../../TaskContext.js"
import type { JsonObject } from "../json.js"
import { deepFreeze } from "../json.js"
import { migrations } from "./migrations.js"

export interface SqliteOptions {
  /** A file path, or `":memory:"`. */
  readonly filename: string
  /**
   * `"normal"` (default): a commit survives a crash of the process (SIGKILL included);
   * `"full"`: it also survives a crash of the machine, at the cost of an fsync per commit.
   */
  readonly synchronous?: "normal" | "full" | undefined
}

export interface PostgresOptions {
  readonly url: string
  readonly maxConnections?: number | undefined
}

const ROWS_PER_STATEMENT = 500

// ---------------------------------------------------------------------------------------------
// Row decoding: rows are decoded with Schema, never cast.

const Int = Schema.Union(Schema.Number, Schema.NumberFromString)
const NullableInt = Schema.NullOr(Int)
const JsonText = Schema.parseJson()
const NullableJsonText = Schema.NullOr(JsonText)

const ExecutionStatus = Schema.Literal("Pending", "Running", "Paused", "Completed", "Failed", "Cancelled")
const TaskStatus = Schema.Literal("Pending", "Running", "Retrying", "Completed", "Failed", "Skipped", "Cancelled")

const ExecutionSql = Schema.Struct({
  id: Schema.String,
  workflow_name: Schema.String,
  workflow_version: Schema.String,
  status: ExecutionStatus,
  input: JsonText,
  final_context: NullableJsonText,
  error_message: Schema.NullOr(Schema.String),
  idempotency_key: Schema.NullOr(Schema.String),
  task_count: Int,
  created_at: Int,
  completed_at: NullableInt
})

const TaskSql = Schema.Struct({
  execution_id: Schema.String,
  task_id: Schema.String,
  position: Int,
  status: TaskStatus,
  attempts: Int,
  output: NullableJsonText,
  error: Schema.NullOr(Schema.String),
  reason: Schema.NullOr(Schema.String),
  started_at: NullableInt,
  completed_at: NullableInt,
  retry_at: NullableInt
})

const AttemptSql = Schema.Struct({
  execution_id: Schema.String,
  task_id: Schema.String,
  attempt: Int,
  status: Schema.Literal("Running", "Completed", "Failed", "Interrupted"),
  error: Schema.NullOr(Schema.String),
  started_at: Int,
  completed_at: NullableInt
})

const EventSql = Schema.Struct({
  execution_id: Schema.String,
  task_id: Schema.NullOr(Schema.String),
  type: Schema.String,
  at: Int,
  data: JsonText
})

const toExecution = (r: typeof ExecutionSql.Type): ExecutionRow => ({
  id: r.id,
  workflowName: r.workflow_name,
  workflowVersion: r.workflow_version,
  status: r.status,
  input: deepFreeze(r.input as JsonObject),
  finalContext: r.final_context === null ? null : deepFreeze(r.final_context as JsonObject),
  errorMessage: r.error_message,
  idempotencyKey: r.idempotency_key,
  taskCount: r.task_count,
  createdAt: r.created_at,
  completedAt: r.completed_at
})

const toTask = (r: typeof TaskSql.Type): TaskRow => ({
  executionId: r.execution_id,
  taskId: r.task_id,
  position: r.position,
  status: r.status,
  attempts: r.attempts,
  output: r.output === null ? null : deepFreeze(r.output as never) as ContextDelta,
  error: r.error,
  reason: r.reason,
  startedAt: r.started_at,
  completedAt: r.completed_at,
  retryAt: r.retry_at
})

const toAttempt = (r: typeof AttemptSql.Type): AttemptRow => ({
  executionId: r.execution_id,
  taskId: r.task_id,
  attempt: r.attempt,
  status: r.status,
  error: r.error,
  startedAt: r.started_at,
  completedAt: r.completed_at
})

const toEvent = (r: typeof EventSql.Type): EventRow => ({
  executionId: r.execution_id,
  taskId: r.task_id,
  type: r.type,
  at: r.at,
  data: deepFreeze(r.data as JsonObject)
})

// ---------------------------------------------------------------------------------------------
// Writing

const lastByKey = <A>(rows: ReadonlyArray<A>, key: (row: A) => string): Array<A> => {
  const byKey = new Map<string, A>()
  for (const row of rows) byKey.set(key(row), row)
  return [...byKey.values()]
}

const mergeBatches = (batches: ReadonlyArray<Batch>): Batch => {
  if (batches.length === 1) return batches[0]
  const updates = new Map<string, ExecutionUpdate>()
  for (const b of batches) for (const u of b.executionUpdates) updates.set(u.id, { ...updates.get(u.id), ...u })
  return {
    executions: batches.flatMap((b) => b.executions),
    executionUpdates: [...updates.values()],
    tasks: batches.flatMap((b) => b.tasks),
    attempts: batches.flatMap((b) => b.attempts),
    attemptDeletes: batches.flatMap((b) => b.attemptDeletes),
    events: batches.flatMap((b) => b.events)
  }
}

const chunks = <A>(rows: ReadonlyArray<A>): Array<ReadonlyArray<A>> => {
  const out: Array<ReadonlyArray<A>> = []
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) out.push(rows.slice(i, i + ROWS_PER_STATEMENT))
  return out
}

const json = (value: unknown): string | null => value === null ? null : JSON.stringify(value)

const writeBatch = (sql: SqlClient.SqlClient, batch: Batch): Effect.Effect<void, SqlError> =>
  Effect.gen(function*() {
    for (const chunk of chunks(batch.executions)) {
      yield* sql`INSERT INTO sluice_executions ${
        sql.insert(chunk.map((e) => ({
          id: e.id,
          workflow_name: e.workflowName,
          workflow_version: e.workflowVersion,
          status: e.status,
          input: JSON.stringify(e.input),
          final_context: json(e.finalContext),
          error_message: e.errorMessage,
          idempotency_key: e.idempotencyKey,
          task_count: e.taskCount,
          created_at: e.createdAt,
          completed_at: e.completedAt
        })))
      }`
    }
    for (const u of batch.executionUpdates) {
      yield* sql`UPDATE sluice_executions SET status = ${u.status}, final_context = ${json(u.finalContext)},
        error_message = ${u.errorMessage}, completed_at = ${u.completedAt} WHERE id = ${u.id}`
    }
    for (const chunk of chunks(lastByKey(batch.tasks, (t) => `${t.executionId}/${t.taskId}`))) {
      yield* sql`INSERT INTO sluice_tasks ${
        sql.insert(chunk.map((t) => ({
          execution_id: t.executionId,
          task_id: t.taskId,
          position: t.position,
          status: t.status,
          attempts: t.attempts,
          output: json(t.output),
          error: t.error,
          reason: t.reason,
          started_at: t.startedAt,
          completed_at: t.completedAt,
          retry_at: t.retryAt
        })))
      } ON CONFLICT (execution_id, task_id) DO UPDATE SET status = excluded.status, attempts = excluded.attempts,
        output = excluded.output, error = excluded.error, reason = excluded.reason, started_at = excluded.started_at,
        completed_at = excluded.completed_at, retry_at = excluded.retry_at`
    }
    for (const chunk of chunks(lastByKey(batch.attempts, (a) => `${a.executionId}/${a.taskId}/${a.attempt}`))) {
      yield* sql`INSERT INTO sluice_attempts ${
        sql.insert(chunk.map((a) => ({
          execution_id: a.executionId,
          task_id: a.taskId,
          attempt: a.attempt,
          status: a.status,
          error: a.error,
          started_at: a.startedAt,
          completed_at: a.completedAt
        })))
      } ON CONFLICT (execution_id, task_id, attempt) DO UPDATE SET status = excluded.status, error = excluded.error,
        started_at = excluded.started_at, completed_at = excluded.completed_at`
    }
    for (const d of batch.attemptDeletes) {
      yield* sql`DELETE FROM sluice_attempts WHERE execution_id = ${d.executionId} AND task_id = ${d.taskId}
        AND attempt = ${d.attempt}`
    }
    for (const chunk of chunks(batch.events)) {
      yield* sql`INSERT INTO sluice_events ${
        sql.insert(chunk.map((e) => ({
          execution_id: e.executionId,
          task_id: e.taskId,
          type: e.type,
          at: e.at,
          data: JSON.stringify(e.data)
        })))
      }`
    }
  })

interface Pending {
  readonly batch: Batch
  readonly done: Deferred.Deferred<void, StorageError>
}

const storageError = (operation: string) => (cause: unknown) => new StorageError({ operation, cause })

/** Builds the service on the `SqlClient` in context; runs migrations first. */
export const make = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* runMigrations(sql)

  const queue = yield* Queue.unbounded<Pending>()
  const writer = Effect.gen(function*() {
    const first = yield* Queue.take(queue)
    const rest = yield* Queue.takeAll(queue)
    const pending = rest.length === 0 ? [first] : [first, ...rest]
    const exit = yield* Effect.exit(
      sql.withTransaction(writeBatch(sql, mergeBatches(pending.map((p) => p.batch)))).pipe(
        Effect.mapError(storageError("commit"))
      )
    )
    for (const p of pending) Deferred.unsafeDone(p.done, exit)
  }).pipe(Effect.forever)
  yield* Effect.forkScoped(writer)

  const commit = (batch: Batch): Effect.Effect<void, StorageError> =>
    Effect.flatMap(
      Deferred.make<void, StorageError>(),
      (done) => Effect.zipRight(Queue.offer(queue, { batch, done }), Deferred.await(done))
    )

  const query = <S extends Schema.Schema.AnyNoContext, A>(
    operation: string,
    schema: S,
    run: Effect.Effect<ReadonlyArray<unknown>, SqlError>,
    to: (row: S["Type"]) => A
  ): Effect.Effect<Array<A>, StorageError> =>
    run.pipe(
      Effect.flatMap((rows) =>
        Schema.decodeUnknown(Schema.Array(schema))(rows) as Effect.Effect<ReadonlyArray<S["Type"]>, ParseError>
      ),
      Effect.map((rows) => rows.map(to)),
      Effect.mapError(storageError(operation))
    )

  const service: StorageService = {
    commit,
    execution: (id) =>
      Effect.map(
        query("read execution", ExecutionSql, sql`SELECT * FROM sluice_executions WHERE id = ${id}`, toExecution),
        (rows) => Option.fromNullable(rows[0])
      ),
    executionByIdempotencyKey: (key) =>
      Effect.map(
        query(
          "read execution",
          ExecutionSql,
          sql`SELECT * FROM sluice_executions WHERE idempotency_key = ${key}`,
          toExecution
        ),
        (rows) => Option.fromNullable(rows[0])
      ),
    executions: (filter: ListFilter) => {
      const statuses = filter.status === undefined
        ? undefined
        : typeof filter.status === "string"
        ? [filter.status]
        : filter.status
      const conditions = [
        ...(filter.workflowName === undefined ? [] : [sql`workflow_name = ${filter.workflowName}`]),
        ...(statuses === undefined ? [] : [statuses.length === 0 ? sql`1 = 0` : sql.in("status", statuses)])
      ]
      const limit = filter.limit === undefined ? sql`` : sql`LIMIT ${filter.limit}`
      return query(
        "list executions",
        ExecutionSql,
        sql`SELECT * FROM sluice_executions WHERE ${sql.and(conditions)} ORDER BY created_at DESC, id DESC ${limit}`,
        toExecution
      )
    },
    tasks: (id) =>
      query(
        "read tasks",
        TaskSql,
        sql`SELECT * FROM sluice_tasks WHERE execution_id = ${id} ORDER BY position`,
        toTask
      ),
    attempts: (id) =>
      query(
        "read attempts",
        AttemptSql,
        sql`SELECT * FROM sluice_attempts WHERE execution_id = ${id} ORDER BY task_id, attempt`,
        toAttempt
      ),
    events: (id) =>
      query(
        "read events",
        EventSql,
        sql`SELECT execution_id, task_id, type, at, data FROM sluice_events WHERE execution_id = ${id} ORDER BY seq`,
        toEvent
      )
  }
  return service
})

const runMigrations = (sql: SqlClient.SqlClient) => {
  const migrate = Migrator.make({})({ loader: Migrator.fromRecord(migrations), table: "sluice_migrations" })
  // Many runners may boot at once on one PostgreSQL: one migrates, the others wait for it. The
  // migrations table is made under the lock too, or two runners could race to create it.
  const serialized = sql.onDialectOrElse({
    pg: () =>
      sql.withTransaction(
        Effect.all([
          sql`SELECT pg_advisory_xact_lock(hashtext('sluice_migrations'))`,
          sql`CREATE TABLE IF NOT EXISTS sluice_migrations (
            migration_id integer primary key,
            created_at timestamp with time zone not null default now(),
            name text not null
          )`,
          migrate
        ], { discard: true })
      ),
    orElse: () => Effect.asVoid(migrate)
  })
  return serialized.pipe(
    Effect.provideService(SqlClient.SqlClient, sql),
    Effect.mapError(storageError("migrate")),
    Effect.catchAllDefect((defect) => Effect.fail(new StorageError({ operation: "migrate", cause: defect })))
  )
}

/** SQLITE_BUSY while opening: another process holds the file. */
const isBusy = (cause: unknown): boolean =>
  /SQLITE_BUSY|database is locked/.test(String((cause as { cause?: unknown })?.cause ?? cause)) ||
  (cause as { code?: unknown })?.code === "SQLITE_BUSY"

export const layerSqlite = (options: SqliteOptions): Layer.Layer<Storage, StorageError> =>
  Layer.scoped(
    Storage,
    Effect.gen(function*() {
      const { filename } = options
      const inMemory = filename === ":memory:"
      const failed = (operation: string) => (cause: unknown) =>
        new StorageError({
          operation: `${operation} ${filename}`,
          cause: isBusy(cause)
            ? new Error(
              "the database file is in use by another sluice runner process (one runner per SQLite file; PostgreSQL lets runners share work)"
            )
            : cause
        })
      const client = yield* SqliteClient.make({ filename }).pipe(
        Effect.catchAllDefect((d) => Effect.fail(failed("open")(d)))
      )
      const pragma = (statement: string) => client.unsafe(statement).pipe(Effect.mapError(failed("configure")))
      yield* pragma(`PRAGMA synchronous = ${options.synchronous === "full" ? "FULL" : "NORMAL"}`)
      yield* pragma(`PRAGMA busy_timeout = 2000`)
      if (!inMemory) {
        // One runner per file: this connection holds the file's lock until it closes (the OS
        // releases it if the process dies), so a second runner fails here instead of racing.
        yield* pragma(`PRAGMA locking_mode = EXCLUSIVE`)
        yield* pragma(`BEGIN IMMEDIATE`)
        yield* pragma(`COMMIT`)
      }
      return yield* Effect.provideService(make, SqlClient.SqlClient, client)
    })
  ).pipe(Layer.provide(Reactivity.layer))

export const layerPostgres = (options: PostgresOptions): Layer.Layer<Storage, StorageError> =>
  Layer.scoped(
    Storage,
    Effect.gen(function*() {
      const client = yield* PgClient.make({
        url: Redacted.make(options.url),
        maxConnections: options.maxConnections ?? 8
      }).pipe(Effect.mapError(storageError("connect")))
      return yield* Effect.provideService(make, SqlClient.SqlClient, client)
    })
  ).pipe(Layer.provide(Reactivity.layer))
