/**
 * Where executions live. The runner writes every transition through `commit` (one batch, one
 * transaction) before it acts on it, and reads executions back after a restart.
 *
 * Implementations: `layerMemory` (fast, gone with the process), `layerSqlite` (a file or
 * `:memory:`), `layerPostgres`, `layerSql` (the SQL storage on a `SqlClient` you provide);
 * `layerFromUrl` picks one from a URL.
 *
 * @since 0.1.0
 */
import type { SqlClient } from "@effect/sql"
import { Context, Effect, Layer } from "effect"
import type { InvalidOptionError, InvalidStorageUrlError, StorageError } from "./Errors.js"
import { applyCodec } from "./internal/storage/codec.js"
import * as memory from "./internal/storage/memory.js"
import type { PostgresOptions } from "./internal/storage/postgres.js"
import * as postgres from "./internal/storage/postgres.js"
import type { StorageService } from "./internal/storage/service.js"
import type { SqliteOptions } from "./internal/storage/sqlite.js"
import * as sqlite from "./internal/storage/sqlite.js"
import { parseStorageUrl } from "./internal/storage/url.js"
import * as SqlStorage from "./SqlStorage.js"
import type { StorageCodec } from "./StorageCodec.js"

export type { AttemptRow, Entry as JournalEntry, TaskRow } from "./internal/storage/journal.js"
export type {
  Adopted,
  Batch,
  BlobRow,
  BlobStorage,
  ExecutionRow,
  ExecutionUpdate,
  Fence,
  Fire,
  FireRow,
  FireWithStatus,
  FleetStorage,
  Footprint,
  ListFilter,
  Ownership,
  Round,
  ScheduleRow,
  ScheduleStorage,
  SignalRow,
  StorageService,
  WorkflowDefinition
} from "./internal/storage/service.js"
export { emptyBatch, Fenced, isFenced } from "./internal/storage/service.js"
export type { PostgresOptions, SqliteOptions }

/**
 * The storage service. Pick an implementation with one of its layers:
 * `Storage.layerFromUrl(url)`, `Storage.layerSqlite({ filename })`,
 * `Storage.layerPostgres({ url })`, `Storage.layerMemory`.
 *
 * @since 0.1.0
 * @category tags
 */
export class Storage extends Context.Tag("sluice/Storage")<Storage, StorageService>() {
  /** Storage in process memory: fastest, and gone with the process. */
  static readonly layerMemory: Layer.Layer<Storage> = Layer.sync(Storage, memory.make)

  /**
   * SQLite through `@effect/sql-sqlite-node`: `":memory:"` or a file path (WAL journal). Runs
   * the migrations when it starts. One runner per file; `readOnly: true` opens a file that a
   * runner holds, to read it.
   */
  static layerSqlite(options: SqliteOptions): Layer.Layer<Storage, StorageError | InvalidOptionError> {
    return Layer.scoped(Storage, sqlite.make(options))
  }

  /**
   * PostgreSQL through `@effect/sql-pg`. Runs the migrations when it starts (serialized between
   * processes); `schema` keeps everything in that PostgreSQL schema (a tenant).
   */
  static layerPostgres(options: PostgresOptions): Layer.Layer<Storage, StorageError | InvalidOptionError> {
    return Layer.scoped(Storage, postgres.make(options))
  }

  /** The SQL storage on the `SqlClient` you provide (SQLite or PostgreSQL). */
  static layerSql(
    options: SqlStorage.Options = {}
  ): Layer.Layer<Storage, StorageError | InvalidOptionError, SqlClient.SqlClient> {
    return Layer.effect(Storage, SqlStorage.make(options))
  }

  /**
   * Storage from a URL: `sqlite://:memory:`, `sqlite://relative.db`, `sqlite:///absolute.db`,
   * a bare file path, `postgres://…` / `postgresql://…` (with `?schema=tenant` for a tenant),
   * or `memory://`. An unusable URL fails the layer with `InvalidStorageUrlError`. `codec`: what
   * every stored context and input passes through (see `StorageCodec`).
   */
  static layerFromUrl(
    url: string,
    options: { readonly codec?: StorageCodec | undefined } = {}
  ): Layer.Layer<Storage, StorageError | InvalidStorageUrlError | InvalidOptionError> {
    const { codec } = options
    return Layer.unwrapEffect(Effect.map(parseStorageUrl(url), (target) => {
      switch (target._tag) {
        case "Memory":
          return codec === undefined
            ? Storage.layerMemory
            : Layer.effect(Storage, Effect.suspend(() => applyCodec(memory.make(), codec)))
        case "Sqlite":
          return Storage.layerSqlite({ filename: target.filename, codec })
        case "Postgres":
          return Storage.layerPostgres({ url: target.url, schema: target.schema, codec })
      }
    }))
  }
}

/** @since 0.1.0 @category layers */
export const layerMemory: Layer.Layer<Storage> = Storage.layerMemory
/** @since 0.1.0 @category layers */
export const layerSqlite = (options: SqliteOptions) => Storage.layerSqlite(options)
/** @since 0.1.0 @category layers */
export const layerPostgres = (options: PostgresOptions) => Storage.layerPostgres(options)
/** @since 0.2.0 @category layers */
export const layerSql = (options?: SqlStorage.Options) => Storage.layerSql(options)
/** @since 0.1.0 @category layers */
export const layerFromUrl = (url: string, options?: { readonly codec?: StorageCodec | undefined }) =>
  Storage.layerFromUrl(url, options)
