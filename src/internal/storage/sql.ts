/**
 * Storage on `@effect/sql`, for SQLite and PostgreSQL alike (dialect differences are in the
 * migrations and the journal insert). All writes go through one writer at a time: batches
 * committed by many executions at once are merged and written together (group commit).
 */
import { Reactivity } from "@effect/experimental"
import { Migrator, SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { SqliteClient } from "@effect/sql-sqlite-node"
import type { SqlError } from "@effect/sql/SqlError"
import { Deferred, Effect, FiberId, Layer, Option, Redacted, Schema } from "effect"
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

// Journal bodies: the rows as JSON, without their execution id (a column of its own).
const TaskBody = Schema.Struct({
  taskId: Schema.String,
  position: Schema.Number,
  status: TaskStatus,
  attempts: Schema.Number,
  output: Schema.NullOr(Schema.Struct({
    set: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
    deleted: Schema.Array(Schema.String)
  })),
  error: Schema.NullOr(Schema.String),
  reason: Schema.NullOr(Schema.String),
  startedAt: Schema.NullOr(Schema.Number),
  completedAt: Schema.NullOr(Schema.Number),
  retryAt: Schema.NullOr(Schema.Number)
})

const AttemptBody = Schema.Struct({
  taskId: Schema.String,
  attempt: Schema.Number,
  status: Schema.Literal("Running", "Completed", "Failed", "Interrupted"),
  error: Schema.NullOr(Schema.String),
  startedAt: Schema.Number,
  completedAt: Schema.NullOr(Schema.Number)
})

const ForgetBody = Schema.Struct({ taskId: Schema.String, attempt: Schema.Number })

const EventBody = Schema.Struct({
  taskId: Schema.NullOr(Schema.String),
  type: Schema.String,
  at: Schema.Number,
  data: Schema.Record({ key: Schema.String, value: Schema.Unknown })
})

/** What one round changed in one execution: task rows, attempt rows, attempts to forget, events. */
const RoundBody = Schema.parseJson(Schema.Struct({
  t: Schema.optional(Schema.Array(TaskBody)),
  a: Schema.optional(Schema.Array(AttemptBody)),
  f: Schema.optional(Schema.Array(ForgetBody)),
  e: Schema.optional(Schema.Array(EventBody))
}))

const JournalSql = Schema.Struct({ body: Schema.String })

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

// ---------------------------------------------------------------------------------------------
// Writing

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

const chunksOf = <A>(rows: ReadonlyArray<A>, size: number): Array<ReadonlyArray<A>> => {
  const out: Array<ReadonlyArray<A>> = []
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size))
  return out
}

const json = (value: unknown): string | null => value === null ? null : JSON.stringify(value)

interface Round {
  t?: Array<Omit<TaskRow, "executionId">>
  a?: Array<Omit<AttemptRow, "executionId">>
  f?: Array<{ taskId: string; attempt: number }>
  e?: Array<Omit<EventRow, "executionId">>
}

/**
 * A batch's journal entries: one per execution it touches, holding everything the round changed
 * there, as one JSON array of [execution_id, kind, body] triples. One row per execution and
 * round keeps the database's work per round small, whatever the number of tasks it moved.
 */
const journalEntries = (batch: Batch): string | undefined => {
  const rounds = new Map<string, Round>()
  const round = (id: string): Round => {
    let r = rounds.get(id)
    if (r === undefined) rounds.set(id, r = {})
    return r
  }
  for (const { executionId, ...row } of batch.tasks) (round(executionId).t ??= []).push(row)
  for (const { executionId, ...row } of batch.attempts) (round(executionId).a ??= []).push(row)
  for (const { executionId, ...row } of batch.attemptDeletes) (round(executionId).f ??= []).push(row)
  for (const { executionId, ...row } of batch.events) (round(executionId).e ??= []).push(row)
  if (rounds.size === 0) return undefined
  const entries: Array<[string, string, string]> = []
  for (const [id, r] of rounds) entries.push([id, "round", JSON.stringify(r)])
  return JSON.stringify(entries)
}

/**
 * The journal insert: the rows travel as one JSON parameter, so that the statement text, and
 * its prepared statement, is the same whatever the number of rows.
 */
const insertJournal = (sql: SqlClient.SqlClient, entries: string): Effect.Effect<unknown, SqlError> =>
  sql.onDialectOrElse({
    pg: () =>
      sql.unsafe(
        `INSERT INTO sluice_journal (execution_id, kind, body)
         SELECT e->>0, e->>1, e->>2 FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS t(e, n) ORDER BY n`,
        [entries]
      ),
    orElse: () =>
      sql.unsafe(
        `INSERT INTO sluice_journal (execution_id, kind, body)
         SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(?) ORDER BY key`,
        [entries]
      )
  })

const writeBatch = (sql: SqlClient.SqlClient, batch: Batch): Effect.Effect<void, SqlError> => {
  const entries = journalEntries(batch)
  const journal = entries === undefined ? [] : [insertJournal(sql, entries)]
  const executions: Array<Effect.Effect<unknown, SqlError>> = [
    ...chunksOf(batch.executions, 200).map((chunk) =>
      sql`INSERT INTO sluice_executions ${
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
    ),
    ...batch.executionUpdates.map((u) =>
      sql`UPDATE sluice_executions SET status = ${u.status}, final_context = ${json(u.finalContext)},
        error_message = ${u.errorMessage}, completed_at = ${u.completedAt} WHERE id = ${u.id}`
    )
  ]
  const statements = [...executions, ...journal]
  if (statements.length === 0) return Effect.void
  // A single statement is atomic on its own: most rounds need no explicit transaction.
  if (statements.length === 1) return Effect.asVoid(statements[0])
  return sql.withTransaction(Effect.all(statements, { discard: true }))
}

interface Pending {
  readonly batch: Batch
  readonly done: Deferred.Deferred<void, StorageError>
}

const storageError = (operation: string) => (cause: unknown) => new StorageError({ operation, cause })

/** Builds the service on the `SqlClient` in context; runs migrations first. */
export const make = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* runMigrations(sql)

  // Group commit with a leader: a caller that gets the writer's permit writes every batch
  // waiting at that moment (its own included) in one go; callers whose batch was written by
  // that leader find it done. Uncontended, a commit runs inline, without a hop to another fiber.
  const waiting: Array<Pending> = []
  const writer = yield* Effect.makeSemaphore(1)
  const writeWaiting = Effect.suspend(() => {
    if (waiting.length === 0) return Effect.void
    const group = waiting.splice(0)
    return writeBatch(sql, mergeBatches(group.map((p) => p.batch))).pipe(
      Effect.mapError(storageError("commit")),
      Effect.exit,
      Effect.map((exit) => {
        for (const p of group) Deferred.unsafeDone(p.done, exit)
      })
    )
  })

  const commit = (batch: Batch): Effect.Effect<void, StorageError> =>
    Effect.suspend(() => {
      const done = Deferred.unsafeMake<void, StorageError>(FiberId.none)
      waiting.push({ batch, done })
      // Uninterruptible: a leader stopped half-way would leave the others of its group waiting.
      return Effect.zipRight(writer.withPermits(1)(Effect.uninterruptible(writeWaiting)), Deferred.await(done))
    })

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

  /** The rounds of one execution, in the order they were written. */
  const rounds = (id: string) =>
    query(
      "read journal",
      JournalSql,
      sql`SELECT body FROM sluice_journal WHERE execution_id = ${id} ORDER BY seq`,
      (row) => row.body
    )

  /** Folds an execution's rounds; a body that does not decode is a storage fault, reported as such. */
  const fold = <A>(operation: string, id: string, f: (rounds: ReadonlyArray<typeof RoundBody.Type>) => A) =>
    Effect.flatMap(
      rounds(id),
      (bodies) =>
        Effect.try({ try: () => f(bodies.map((b) => Schema.decodeSync(RoundBody)(b))), catch: storageError(operation) })
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
      fold("read tasks", id, (rounds) => {
        const byTask = new Map<string, TaskRow>()
        for (const round of rounds) {
          for (const row of round.t ?? []) {
            byTask.set(row.taskId, {
              executionId: id,
              ...row,
              output: row.output === null ? null : deepFreeze(row.output as never)
            })
          }
        }
        return [...byTask.values()].sort((a, b) => a.position - b.position)
      }),
    attempts: (id) =>
      fold("read attempts", id, (rounds) => {
        const byAttempt = new Map<string, AttemptRow>()
        for (const round of rounds) {
          for (const row of round.a ?? []) {
            byAttempt.set(`${row.taskId}\u0000${row.attempt}`, { executionId: id, ...row })
          }
          for (const { attempt, taskId } of round.f ?? []) byAttempt.delete(`${taskId}\u0000${attempt}`)
        }
        return [...byAttempt.values()].sort((a, b) =>
          a.taskId === b.taskId ? a.attempt - b.attempt : a.taskId < b.taskId ? -1 : 1
        )
      }),
    events: (id) =>
      fold(
        "read events",
        id,
        (rounds) =>
          rounds.flatMap((round) =>
            (round.e ?? []).map((row): EventRow => ({
              executionId: id,
              ...row,
              data: deepFreeze(row.data as JsonObject)
            }))
          )
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
