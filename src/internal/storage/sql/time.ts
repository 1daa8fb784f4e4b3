/**
 * What time and waiting need of the SQL storage: signals sent to executions, schedules and their
 * fires. A fire is one transaction: the schedule advanced only if it is where the firing runner
 * read it (compare and set), the fire rows, and the executions they start, written by the same
 * write path as any commit (so on PostgreSQL the workers are told of them).
 */
import type { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import { Effect, Schema } from "effect"
import { ExecutionStatus } from "../../../Status.js"
import { storageError } from "../faults.js"
import type { Batch, FireWithStatus, ScheduleRow, ScheduleStorage, SignalRow, StorageService } from "../service.js"
import { decodeRows, Int } from "./columns.js"
import type { Tables } from "./tables.js"

const SignalFromSql = Schema.Struct({
  execution_id: Schema.String,
  name: Schema.String,
  payload: Schema.parseJson(),
  sent_at: Int
})

const ScheduleFromSql = Schema.Struct({
  id: Schema.String,
  kind: Schema.Literal("cron", "poll"),
  spec: Schema.String,
  paused: Int,
  declared: Int,
  next_at: Int,
  updated_at: Int
})

const FireFromSql = Schema.Struct({
  schedule_id: Schema.String,
  scheduled_at: Int,
  execution_id: Schema.NullOr(Schema.String),
  skipped: Schema.NullOr(Schema.String),
  fired_at: Int,
  input_key: Schema.NullOr(Schema.String),
  status: Schema.NullOr(ExecutionStatus)
})
const Count = Schema.Struct({ n: Int })

/** Raised inside a fire's transaction to roll it back: another runner fired first. */
class Taken {
  readonly _tag = "Taken"
}

export const makeTime = (
  sql: SqlClient.SqlClient,
  t: Tables,
  write: (batch: Batch) => Effect.Effect<void, SqlError>
): Pick<StorageService, "putSignal" | "signals" | "schedules"> => {
  const putSignal = (s: SignalRow) =>
    Effect.map(
      decodeRows(
        "store signal",
        Count,
        sql`INSERT INTO ${sql.literal(t.signals)} (execution_id, name, payload, sent_at)
          VALUES (${s.executionId}, ${s.name}, ${JSON.stringify(s.payload)}, ${s.sentAt})
          ON CONFLICT (execution_id, name) DO NOTHING RETURNING 1 AS n`
      ),
      (inserted) => inserted.length > 0
    )

  const signals = (executionId: string) =>
    Effect.map(
      decodeRows(
        "read signals",
        SignalFromSql,
        sql`SELECT * FROM ${sql.literal(t.signals)} WHERE execution_id = ${executionId} ORDER BY sent_at`
      ),
      (found) =>
        found.map((r): SignalRow => ({
          executionId: r.execution_id,
          name: r.name,
          payload: r.payload,
          sentAt: r.sent_at
        }))
    )

  const schedule = (r: typeof ScheduleFromSql.Type): ScheduleRow => ({
    id: r.id,
    kind: r.kind,
    spec: r.spec,
    paused: r.paused !== 0,
    declared: r.declared !== 0,
    nextAt: r.next_at,
    updatedAt: r.updated_at
  })

  const schedules: ScheduleStorage = {
    list: Effect.map(
      decodeRows("read schedules", ScheduleFromSql, sql`SELECT * FROM ${sql.literal(t.schedules)} ORDER BY id`),
      (found) => found.map(schedule)
    ),
    put: (row, options) =>
      sql`INSERT INTO ${sql.literal(t.schedules)} AS stored (id, kind, spec, paused, declared, next_at, updated_at)
        VALUES (${row.id}, ${row.kind}, ${row.spec}, ${row.paused ? 1 : 0}, ${row.declared ? 1 : 0}, ${row.nextAt},
          ${row.updatedAt})
        ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, spec = EXCLUDED.spec, paused = EXCLUDED.paused,
          declared = EXCLUDED.declared, updated_at = EXCLUDED.updated_at,
          next_at = CASE WHEN ${options?.keepNextAt === true ? 1 : 0} = 1 THEN stored.next_at ELSE EXCLUDED.next_at END`
        .pipe(
          Effect.asVoid,
          Effect.mapError(storageError("store schedule"))
        ),
    remove: (id) =>
      sql.withTransaction(
        Effect.zipRight(
          sql`DELETE FROM ${sql.literal(t.fires)} WHERE schedule_id = ${id}`,
          sql`DELETE FROM ${sql.literal(t.schedules)} WHERE id = ${id} RETURNING id`
        )
      ).pipe(
        Effect.map((deleted) => deleted.length > 0),
        Effect.mapError(storageError("remove schedule"))
      ),
    fire: (fire) =>
      sql.withTransaction(
        Effect.gen(function*() {
          const advanced = yield* sql`UPDATE ${sql.literal(t.schedules)} SET next_at = ${fire.nextAt}
            WHERE id = ${fire.scheduleId} AND next_at = ${fire.expectedNextAt} RETURNING id`
          if (advanced.length === 0) return yield* Effect.fail(new Taken())
          for (const f of fire.fires) {
            const inserted = yield* sql`INSERT INTO ${sql.literal(t.fires)}
              (schedule_id, scheduled_at, execution_id, skipped, fired_at, input_key)
              VALUES (${f.scheduleId}, ${f.scheduledAt}, ${f.executionId}, ${f.skipped}, ${f.firedAt}, ${f.inputKey})
              ON CONFLICT (schedule_id, scheduled_at) DO NOTHING RETURNING schedule_id`
            if (inserted.length === 0) return yield* Effect.fail(new Taken())
          }
          yield* write(fire.batch)
          return true
        })
      ).pipe(
        Effect.catchIf((e): e is Taken => e instanceof Taken, () => Effect.succeed(false)),
        Effect.mapError(storageError("fire schedule"))
      ),
    fires: (scheduleId, limit) =>
      Effect.map(
        decodeRows(
          "read fires",
          FireFromSql,
          sql`SELECT f.*, e.status FROM ${sql.literal(t.fires)} f
            LEFT JOIN ${sql.literal(t.executions)} e ON e.id = f.execution_id
            WHERE f.schedule_id = ${scheduleId} ORDER BY f.scheduled_at DESC LIMIT ${limit}`
        ),
        (found) =>
          found.map((r): FireWithStatus => ({
            scheduleId: r.schedule_id,
            scheduledAt: r.scheduled_at,
            executionId: r.execution_id,
            skipped: r.skipped,
            firedAt: r.fired_at,
            inputKey: r.input_key,
            status: r.status
          }))
      )
  }
  return { putSignal, signals, schedules }
}
