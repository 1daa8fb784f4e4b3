/**
 * PostgreSQL connection glue: `@effect/sql-pg` on a URL, connection failures reported with
 * their cause, the one-runner-per-database lock, then the SQL storage on that client.
 *
 * Until runners can share a PostgreSQL database, a second runner on the same database (and
 * schema) is refused: the storage holds a session advisory lock on a connection of its own for
 * as long as it is open, and PostgreSQL releases it when that connection ends.
 */
import { Reactivity } from "@effect/experimental"
import { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import type { Scope } from "effect"
import { Effect, Redacted } from "effect"
import type { InvalidOptionError } from "../../Errors.js"
import { StorageError } from "../../Errors.js"
import type { StorageService } from "./service.js"
import * as SqlStorage from "./sql/storage.js"

export interface PostgresOptions {
  readonly url: string
  readonly maxConnections?: number | undefined
  /** Keep every table in this schema (a tenant), created on first use. */
  readonly schema?: string | undefined
  /** Prefix of every table name; default `"sluice_"`. */
  readonly tablePrefix?: string | undefined
  /** Open to read only: no migration, no lock, and `commit` fails. */
  readonly readOnly?: boolean | undefined
}

/** The URL without its password, for messages. */
const safeUrl = (url: string): string => {
  try {
    const parsed = new URL(url)
    if (parsed.password !== "") parsed.password = "***"
    return parsed.toString()
  } catch {
    return "(unparsable URL)"
  }
}

const holdRunnerLock = (client: PgClient.PgClient, key: string) =>
  Effect.gen(function*() {
    const failed = (cause: unknown) => new StorageError({ operation: "lock", cause })
    const connection = yield* Effect.mapError(client.reserve, failed)
    const rows = yield* Effect.mapError(
      connection.execute("SELECT pg_try_advisory_lock(hashtext($1)) AS locked", [key], undefined),
      failed
    )
    if ((rows[0] as { locked?: unknown } | undefined)?.locked !== true) {
      return yield* failed(
        new Error(
          "another sluice runner is using this database (one runner per PostgreSQL database and schema until " +
            "runners can share one)"
        )
      )
    }
  })

export const make = (
  options: PostgresOptions
): Effect.Effect<StorageService, StorageError | InvalidOptionError, Scope.Scope> =>
  Effect.gen(function*() {
    const where = safeUrl(options.url)
    const client = yield* PgClient.make({
      url: Redacted.make(options.url),
      maxConnections: options.maxConnections ?? 8
    }).pipe(Effect.mapError((cause) => new StorageError({ operation: `connect to ${where}`, cause })))
    const readOnly = options.readOnly === true
    if (!readOnly) yield* holdRunnerLock(client, `sluice_runner:${options.schema ?? ""}:${options.tablePrefix ?? ""}`)
    return yield* Effect.provideService(
      SqlStorage.make({ schema: options.schema, tablePrefix: options.tablePrefix, readOnly }),
      SqlClient.SqlClient,
      client
    )
  }).pipe(Effect.provideServiceEffect(Reactivity.Reactivity, Reactivity.make))
