/**
 * The storage on `@effect/sql`, written against the `SqlClient` in the environment: SQLite and
 * PostgreSQL alike, with the dialect differences in its migrations and its write path. Commits
 * from many executions at once are grouped into one write (group commit).
 *
 * `Storage.layerSqlite` and `Storage.layerPostgres` build it on their own connections; use
 * `Storage.layerSql(options)` to put it on a `SqlClient` you provide.
 *
 * @since 0.2.0
 */
import type { SqlClient } from "@effect/sql"
import type { Effect } from "effect"
import type { InvalidOptionError, StorageError } from "./Errors.js"
import type { StorageService } from "./internal/storage/service.js"
import * as internal from "./internal/storage/sql/storage.js"

/**
 * @since 0.2.0
 * @category models
 */
export interface Options extends internal.Options {}

/**
 * The storage on the `SqlClient` in context. Runs the migrations first (serialized between
 * processes on PostgreSQL), unless read only.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (
  options: Options = {}
): Effect.Effect<StorageService, StorageError | InvalidOptionError, SqlClient.SqlClient> => internal.make(options)
