/**
 * The SQL storage, on the `SqlClient` in context: migrations, queries, and the write path
 * (`write.ts`) unless the caller brings a faster one for its connection (`sqlite.ts` does for
 * files). Commits from many executions at once are grouped into one write (group commit).
 */
import { SqlClient } from "@effect/sql"
import { Effect, Either, Option, Schema } from "effect"
import { InvalidOptionError, StorageError } from "../../../Errors.js"
import { ExecutionStatus } from "../../../Status.js"
import type { StorageCodec } from "../../../StorageCodec.js"
import { deepFreeze, JsonObjectFromSelf } from "../../dag/json.js"
import { applyCodec } from "../codec.js"
import { storageError } from "../faults.js"
import * as GroupCommit from "../groupCommit.js"
import { Entries } from "../journal.js"
import type { Batch, FleetStorage, ListFilter, StorageService } from "../service.js"
import { ExecutionRow, WorkflowDefinition } from "../service.js"
import { makeBlobs } from "./blobs.js"
import { decodeRows, Int } from "./columns.js"
import { makeFootprint, makeReclaim } from "./footprint.js"
import { migrate } from "./migrations.js"
import type { Tables } from "./tables.js"
import { tables } from "./tables.js"
import { makeTime } from "./time.js"
import { executionColumns, executionParams, makeWrite } from "./write.js"

export interface Options {
  /** PostgreSQL only: keep every table in this schema (a tenant), created on first use. */
  readonly schema?: string | undefined
  /** Prefix of every table name; default `"sluice_"`. */
  readonly tablePrefix?: string | undefined
  /** Read only: no migration, and `commit` fails. For a process that inspects a runner's storage. */
  readonly readOnly?: boolean | undefined
  /** What every stored context and input passes through (see `StorageCodec`). */
  readonly codec?: StorageCodec | undefined
}

const JsonText = Schema.parseJson(JsonObjectFromSelf)

/** An execution row as the SQL table holds it, decoded to `ExecutionRow`. */
const ExecutionFromSql = Schema.transform(
  Schema.Struct({
    id: Schema.String,
    workflow_name: Schema.String,
    workflow_version: Schema.String,
    status: ExecutionStatus,
    input: JsonText,
    error_message: Schema.NullOr(Schema.String),
    idempotency_key: Schema.NullOr(Schema.String),
    task_count: Int,
    created_at: Int,
    completed_at: Schema.NullOr(Int)
  }),
  ExecutionRow,
  {
    strict: true,
    decode: (r) => ({
      id: r.id,
      workflowName: r.workflow_name,
      workflowVersion: r.workflow_version,
      status: r.status,
      input: deepFreeze(r.input),
      errorMessage: r.error_message,
      idempotencyKey: r.idempotency_key,
      taskCount: r.task_count,
      createdAt: r.created_at,
      completedAt: r.completed_at
    }),
    encode: (e) => ({
      id: e.id,
      workflow_name: e.workflowName,
      workflow_version: e.workflowVersion,
      status: e.status,
      input: e.input,
      error_message: e.errorMessage,
      idempotency_key: e.idempotencyKey,
      task_count: e.taskCount,
      created_at: e.createdAt,
      completed_at: e.completedAt
    })
  }
)

const DefinitionFromSql = Schema.Struct({ definition: Schema.parseJson(WorkflowDefinition) })
const JournalFromSql = Schema.Struct({ round: Int, body: Entries })
const IdFromSql = Schema.Struct({ id: Schema.String })

const failed = storageError

/** A write path of the caller's own, given the tables once they exist. */
export type Writer = (t: Tables) => Effect.Effect<(batch: Batch) => Effect.Effect<void, StorageError>, StorageError>

/**
 * The storage on the `SqlClient` in context. Runs the migrations first (serialized between
 * processes on PostgreSQL), unless read only.
 */
/** PostgreSQL: what several runners share, given the tables once they exist (see fleet.ts). */
export type MakeFleet = (t: Tables) => FleetStorage

export const make = (
  options: Options = {},
  writer?: Writer,
  makeFleet?: MakeFleet
): Effect.Effect<StorageService, StorageError | InvalidOptionError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const t = yield* Either.mapLeft(tables(options), (e) => new InvalidOptionError(e))
    if (t.schema !== undefined && sql.onDialectOrElse({ pg: () => false, orElse: () => true })) {
      return yield* new InvalidOptionError({
        option: "schema",
        detail: "only PostgreSQL has schemas (SQLite: a file per tenant)"
      })
    }
    const readOnly = options.readOnly === true
    if (!readOnly) {
      yield* migrate(sql, t).pipe(
        Effect.mapError(failed("migrate")),
        Effect.catchAllDefect((defect) => Effect.fail(failed("migrate")(defect)))
      )
    }
    const sqlWrite = makeWrite(sql, t)
    const write = writer === undefined
      ? (batch: Batch) => Effect.mapError(sqlWrite(batch), failed("commit"))
      : yield* writer(t)
    const commit = readOnly
      ? () =>
        Effect.fail(new StorageError({ operation: "commit", cause: new Error("this storage was opened read-only") }))
      : yield* GroupCommit.make(write)

    const first = <A>(rows: ReadonlyArray<A>) => Option.fromNullable(rows[0])

    const executions = (filter: ListFilter) => {
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
      return decodeRows(
        "list executions",
        ExecutionFromSql,
        sql`SELECT * FROM ${sql.literal(t.executions)} WHERE ${
          sql.and(conditions)
        } ORDER BY created_at DESC, id DESC ${limit}`
      )
    }

    const fleet = makeFleet === undefined || readOnly ? undefined : makeFleet(t)
    const service: StorageService = {
      readOnly,
      ...makeTime(sql, t, (batch) => Effect.asVoid(sqlWrite(batch))),
      fleet,
      blobs: makeBlobs(sql, t),
      footprint: makeFootprint(sql, t),
      reclaim: readOnly ? undefined : makeReclaim(sql, t),
      commit,
      reopen: (executionId, round, owner) =>
        sql.withTransaction(Effect.gen(function*() {
          const reopened = yield* sql<{ readonly token: number | string }>`UPDATE ${sql.literal(t.executions)}
            SET status = 'Running', error_message = NULL, completed_at = NULL${
            owner !== undefined
              ? sql`, owner = ${owner}, token = token + 1`
              // Several runners, none named: left to the workers (SQLite has no owner).
              : sql.onDialectOrElse({ pg: () => sql`, owner = NULL, token = token + 1`, orElse: () => sql`` })
          }
            WHERE id = ${executionId} AND status IN ('Completed', 'Failed', 'Cancelled')
            RETURNING ${owner === undefined ? sql`0` : sql`token`} AS token`
          if (reopened.length === 0) return Option.none<number>()
          yield* sqlWrite({ executions: [], executionUpdates: [], rounds: [round] })
          return Option.some(Number(reopened[0].token))
        })).pipe(Effect.mapError(failed("reopen execution"))),
      execution: (id) =>
        Effect.map(
          decodeRows(
            "read execution",
            ExecutionFromSql,
            sql`SELECT * FROM ${sql.literal(t.executions)} WHERE id = ${id}`
          ),
          first
        ),
      executionByIdempotencyKey: (key) =>
        Effect.map(
          decodeRows(
            "read execution",
            ExecutionFromSql,
            sql`SELECT * FROM ${sql.literal(t.executions)} WHERE idempotency_key = ${key}`
          ),
          first
        ),
      executions,
      journal: (id) =>
        Effect.map(
          decodeRows(
            "read journal",
            JournalFromSql,
            sql`SELECT round, body FROM ${sql.literal(t.journal)} WHERE execution_id = ${id} ORDER BY round`
          ),
          (rows) => ({ entries: rows.flatMap((row) => row.body), rounds: rows.at(-1)?.round ?? 0 })
        ),
      claim: (row, owner) =>
        Effect.gen(function*() {
          const values = executionParams(row)
          const record: Record<string, unknown> = Object.fromEntries(
            executionColumns.split(", ").map((column, i) => [column, values[i]])
          )
          if (owner !== undefined && fleet !== undefined) {
            record.owner = owner
            record.token = 1
          }
          const inserted = yield* decodeRows(
            "claim idempotency key",
            IdFromSql,
            sql`INSERT INTO ${sql.literal(t.executions)} ${
              sql.insert(record)
            } ON CONFLICT (idempotency_key) DO NOTHING RETURNING id`
          )
          if (inserted.length > 0) return Option.none()
          return yield* service.executionByIdempotencyKey(row.idempotencyKey ?? "")
        }),
      prune: (before, status) => {
        const statuses = status ?? ["Completed", "Failed", "Cancelled"]
        const finished = sql`completed_at < ${before} AND ${sql.in("status", statuses)}`
        const deleted = sql.onDialectOrElse({
          // One statement: the journal rows go with exactly the executions deleted.
          pg: () =>
            decodeRows(
              "prune",
              IdFromSql,
              sql`WITH gone AS (DELETE FROM ${sql.literal(t.executions)} WHERE ${finished} RETURNING id),
                rows AS (DELETE FROM ${sql.literal(t.journal)} WHERE execution_id IN (SELECT id FROM gone)),
                sigs AS (DELETE FROM ${sql.literal(t.signals)} WHERE execution_id IN (SELECT id FROM gone)),
                blobs AS (DELETE FROM ${sql.literal(t.blobs)} WHERE execution_id IN (SELECT id FROM gone)),
                fires AS (DELETE FROM ${sql.literal(t.fires)} WHERE execution_id IN (SELECT id FROM gone)
                  OR (execution_id IS NULL AND fired_at < ${before}))
                SELECT id FROM gone`
            ),
          // SQLite's one writer keeps the two statements of the transaction consistent.
          orElse: () =>
            sql.withTransaction(
              Effect.zipRight(
                Effect.zipRight(
                  sql`DELETE FROM ${sql.literal(t.journal)} WHERE execution_id IN
                  (SELECT id FROM ${sql.literal(t.executions)} WHERE ${finished})`,
                  Effect.zipRight(
                    Effect.zipRight(
                      sql`DELETE FROM ${sql.literal(t.signals)} WHERE execution_id IN
                      (SELECT id FROM ${sql.literal(t.executions)} WHERE ${finished})`,
                      sql`DELETE FROM ${sql.literal(t.blobs)} WHERE execution_id IN
                      (SELECT id FROM ${sql.literal(t.executions)} WHERE ${finished})`
                    ),
                    sql`DELETE FROM ${sql.literal(t.fires)} WHERE execution_id IN
                    (SELECT id FROM ${sql.literal(t.executions)} WHERE ${finished})
                    OR (execution_id IS NULL AND fired_at < ${before})`
                  )
                ),
                decodeRows(
                  "prune",
                  IdFromSql,
                  sql`DELETE FROM ${sql.literal(t.executions)} WHERE ${finished} RETURNING id`
                )
              )
            )
        })
        return deleted.pipe(
          Effect.map((rows) => rows.length),
          Effect.mapError(failed("prune"))
        )
      },
      saveWorkflow: (definition) =>
        readOnly ? Effect.void : sql`INSERT INTO ${sql.literal(t.workflows)} (name, version, definition, created_at)
            VALUES (${definition.name}, ${definition.version}, ${JSON.stringify(definition)}, ${Date.now()})
            ON CONFLICT (name, version) DO NOTHING`.pipe(Effect.asVoid, Effect.mapError(failed("save workflow"))),
      workflow: (name, version) =>
        Effect.map(
          decodeRows(
            "read workflow",
            DefinitionFromSql,
            sql`SELECT definition FROM ${sql.literal(t.workflows)} WHERE name = ${name} AND version = ${version}`
          ),
          (rows) => Option.map(first(rows), (row) => row.definition)
        )
    }
    return yield* applyCodec(service, options.codec)
  })
