/**
 * PostgreSQL connection glue: `@effect/sql-pg` on a URL, connection failures reported with
 * their cause, then the SQL storage on that client, with what several runners on one database
 * share (sql/fleet.ts; LISTEN/NOTIFY through the client).
 */
import { Reactivity } from "@effect/experimental"
import { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import type { Scope } from "effect"
import { Effect, Redacted } from "effect"
import type { InvalidOptionError } from "../../Errors.js"
import { StorageError } from "../../Errors.js"
import type { StorageCodec } from "../../StorageCodec.js"
import type { StorageService } from "./service.js"
import * as Fleet from "./sql/fleet.js"
import * as SqlStorage from "./sql/storage.js"

export interface PostgresOptions {
  readonly url: string
  readonly maxConnections?: number | undefined
  /** Keep every table in this schema (a tenant), created on first use. */
  readonly schema?: string | undefined
  /** Prefix of every table name; default `"sluice_"`. */
  readonly tablePrefix?: string | undefined
  /** Open to read only: no migration, and `commit` fails. */
  readonly readOnly?: boolean | undefined
  /** What every stored context and input passes through (see `StorageCodec`). */
  readonly codec?: StorageCodec | undefined
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
    return yield* Effect.provideService(
      SqlStorage.make(
        { schema: options.schema, tablePrefix: options.tablePrefix, readOnly, codec: options.codec },
        undefined,
        (t) => Fleet.make(client, client.listen, t)
      ),
      SqlClient.SqlClient,
      client
    )
  }).pipe(Effect.provideServiceEffect(Reactivity.Reactivity, Reactivity.make))
