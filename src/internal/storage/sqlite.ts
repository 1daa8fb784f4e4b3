/**
 * SQLite connection glue: `@effect/sql-sqlite-node` on a file (WAL journal) or `:memory:`, the
 * durability setting, and the one-runner-per-file lock, then the SQL storage on that client.
 *
 * The lock is a second, tiny SQLite database beside the file (`<file>.lock`), held in exclusive
 * locking mode for as long as the storage is open: the operating system releases it when the
 * process dies, whatever the way. It guards writers only: a process may open the file read-only
 * (`readOnly: true`) while a runner holds it, and WAL lets it read beside the writer.
 */
import { Reactivity } from "@effect/experimental"
import { SqlClient } from "@effect/sql"
import { SqliteClient } from "@effect/sql-sqlite-node"
import type { Scope } from "effect"
import { Effect } from "effect"
import type { InvalidOptionError } from "../../Errors.js"
import { StorageError } from "../../Errors.js"
import type { StorageCodec } from "../../StorageCodec.js"
import type { StorageService } from "./service.js"
import { openWriter } from "./sql/sqliteWriter.js"
import * as SqlStorage from "./sql/storage.js"

export interface SqliteOptions {
  /** A file path, or `":memory:"`. */
  readonly filename: string
  /**
   * `"normal"` (default): a commit survives a crash of the process (SIGKILL included);
   * `"full"`: it also survives a crash of the machine, at the cost of an fsync per commit.
   */
  readonly synchronous?: "normal" | "full" | undefined
  /** Open to read only, beside a runner that holds the file (list, get, history). */
  readonly readOnly?: boolean | undefined
  /** Prefix of every table name; default `"sluice_"`. */
  readonly tablePrefix?: string | undefined
  /** What every stored context and input passes through (see `StorageCodec`). */
  readonly codec?: StorageCodec | undefined
}

/** SQLITE_BUSY while taking the lock: another process holds it. */
const isBusy = (cause: unknown): boolean => {
  const text = (u: unknown) => {
    try {
      return String(u)
    } catch {
      return ""
    }
  }
  const inner = (cause as { cause?: unknown } | null)?.cause
  return /SQLITE_BUSY|database is locked/.test(text(inner ?? cause)) ||
    (inner as { code?: unknown } | null)?.code === "SQLITE_BUSY"
}

const IN_USE = "the database file is in use by another sluice runner process (one runner per SQLite file; " +
  "to inspect it beside that runner, open it with readOnly: true)"

/** Holds `<filename>.lock` until the scope closes. */
const lockFile = (filename: string) =>
  Effect.gen(function*() {
    const failed = (cause: unknown) =>
      new StorageError({ operation: `lock ${filename}`, cause: isBusy(cause) ? new Error(IN_USE) : cause })
    const lock = yield* SqliteClient.make({ filename: `${filename}.lock`, disableWAL: true }).pipe(
      Effect.catchAllDefect((d) => Effect.fail(failed(d)))
    )
    const run = (statement: string) => Effect.mapError(lock.unsafe(statement), failed)
    // A runner that is just stopping releases it within a second; longer means another runner.
    yield* run("PRAGMA busy_timeout = 1000")
    yield* run("PRAGMA locking_mode = EXCLUSIVE")
    // The exclusive lock is taken by the first write and kept until the connection closes.
    yield* run("BEGIN IMMEDIATE")
    yield* run("CREATE TABLE IF NOT EXISTS sluice_lock (held INTEGER)")
    yield* run("COMMIT")
  })

export const make = (
  options: SqliteOptions
): Effect.Effect<StorageService, StorageError | InvalidOptionError, Scope.Scope> =>
  Effect.gen(function*() {
    const { filename } = options
    const readOnly = options.readOnly === true
    const failed = (operation: string) => (cause: unknown) =>
      new StorageError({ operation: `${operation} ${filename}`, cause })
    if (filename !== ":memory:" && !readOnly) yield* lockFile(filename)
    const client = yield* SqliteClient.make({ filename, readonly: readOnly, disableWAL: readOnly }).pipe(
      Effect.catchAllDefect((d) => Effect.fail(failed("open")(d)))
    )
    const pragma = (statement: string) => client.unsafe(statement).pipe(Effect.mapError(failed("configure")))
    yield* pragma(`PRAGMA busy_timeout = 2000`)
    if (!readOnly) yield* pragma(`PRAGMA synchronous = ${options.synchronous === "full" ? "FULL" : "NORMAL"}`)
    // A file's commits go through a connection of their own (see sql/sqliteWriter.ts); `:memory:`
    // is one database per connection, so its commits stay on the client's.
    const writer = filename === ":memory:" || readOnly
      ? undefined
      : yield* openWriter(filename, options.synchronous ?? "normal")
    return yield* Effect.provideService(
      SqlStorage.make({ readOnly, tablePrefix: options.tablePrefix, codec: options.codec }, writer),
      SqlClient.SqlClient,
      client
    )
  }).pipe(Effect.provideServiceEffect(Reactivity.Reactivity, Reactivity.make))
