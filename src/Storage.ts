/**
 * Where executions live. The runner writes every transition through `commit` (one batch, one
 * transaction) before it acts on it, and reads executions back after a restart.
 *
 * Implementations: `layerMemory` (fast, gone with the process), `layerSqlite` (a file or
 * `:memory:`), `layerPostgres`; `layerFromUrl` picks one from a URL.
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer } from "effect"
import type * as Option from "effect/Option"
import type { InvalidStorageUrlError, StorageError } from "./Errors.js"
import type { JsonObject } from "./internal/json.js"
import type { ExecutionStatus, TaskStatus } from "./internal/rules.js"
import * as memory from "./internal/storage/memory.js"
import * as sql from "./internal/storage/sql.js"
import { parseStorageUrl } from "./internal/storage/url.js"
import type { ContextDelta } from "./TaskContext.js"

/**
 * @since 0.1.0
 * @category rows
 */
export interface ExecutionRow {
  readonly id: string
  readonly workflowName: string
  readonly workflowVersion: string
  readonly status: ExecutionStatus
  readonly input: JsonObject
  readonly finalContext: JsonObject | null
  readonly errorMessage: string | null
  readonly idempotencyKey: string | null
  readonly taskCount: number
  readonly createdAt: number
  readonly completedAt: number | null
}

/**
 * The fields of an execution that change after it is created.
 *
 * @since 0.1.0
 * @category rows
 */
export type ExecutionUpdate = Pick<ExecutionRow, "id" | "status" | "finalContext" | "errorMessage" | "completedAt">

/**
 * One task of one execution. Tasks that never left `Pending` have no row. `output` holds what
 * the task changed in its context; its output context is its input (rebuilt from its
 * dependencies) with these changes applied.
 *
 * @since 0.1.0
 * @category rows
 */
export interface TaskRow {
  readonly executionId: string
  readonly taskId: string
  /** Position in the workflow's topological order. */
  readonly position: number
  readonly status: TaskStatus
  readonly attempts: number
  readonly output: ContextDelta | null
  readonly error: string | null
  readonly reason: string | null
  readonly startedAt: number | null
  readonly completedAt: number | null
  /** When a waiting retry is due. */
  readonly retryAt: number | null
}

/**
 * @since 0.1.0
 * @category rows
 */
export interface AttemptRow {
  readonly executionId: string
  readonly taskId: string
  readonly attempt: number
  readonly status: "Running" | "Completed" | "Failed" | "Interrupted"
  readonly error: string | null
  readonly startedAt: number
  readonly completedAt: number | null
}

/**
 * @since 0.1.0
 * @category rows
 */
export interface EventRow {
  readonly executionId: string
  readonly taskId: string | null
  readonly type: string
  readonly at: number
  /** The event's other fields. */
  readonly data: JsonObject
}

/**
 * Everything one round of the runner changed, committed atomically.
 * Rows with the same key within a batch: the last one wins.
 *
 * @since 0.1.0
 * @category rows
 */
export interface Batch {
  readonly executions: ReadonlyArray<ExecutionRow>
  readonly executionUpdates: ReadonlyArray<ExecutionUpdate>
  readonly tasks: ReadonlyArray<TaskRow>
  readonly attempts: ReadonlyArray<AttemptRow>
  /** Attempts to forget: interrupted by a shutdown, so they do not count. */
  readonly attemptDeletes: ReadonlyArray<Pick<AttemptRow, "executionId" | "taskId" | "attempt">>
  readonly events: ReadonlyArray<EventRow>
}

/**
 * @since 0.1.0
 * @category rows
 */
export interface ListFilter {
  readonly workflowName?: string | undefined
  readonly status?: ExecutionStatus | ReadonlyArray<ExecutionStatus> | undefined
  readonly limit?: number | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface StorageService {
  readonly commit: (batch: Batch) => Effect.Effect<void, StorageError>
  readonly execution: (id: string) => Effect.Effect<Option.Option<ExecutionRow>, StorageError>
  readonly executionByIdempotencyKey: (key: string) => Effect.Effect<Option.Option<ExecutionRow>, StorageError>
  /** Newest first. */
  readonly executions: (filter: ListFilter) => Effect.Effect<ReadonlyArray<ExecutionRow>, StorageError>
  readonly tasks: (executionId: string) => Effect.Effect<ReadonlyArray<TaskRow>, StorageError>
  readonly attempts: (executionId: string) => Effect.Effect<ReadonlyArray<AttemptRow>, StorageError>
  /** In the order they were committed. */
  readonly events: (executionId: string) => Effect.Effect<ReadonlyArray<EventRow>, StorageError>
}

/**
 * An empty batch, to build on.
 *
 * @since 0.1.0
 * @category rows
 */
export const emptyBatch: Batch = {
  executions: [],
  executionUpdates: [],
  tasks: [],
  attempts: [],
  attemptDeletes: [],
  events: []
}

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
   * the migrations when it starts.
   */
  static layerSqlite(options: sql.SqliteOptions): Layer.Layer<Storage, StorageError> {
    return sql.layerSqlite(options)
  }

  /** PostgreSQL through `@effect/sql-pg`. Runs the migrations when it starts. */
  static layerPostgres(options: sql.PostgresOptions): Layer.Layer<Storage, StorageError> {
    return sql.layerPostgres(options)
  }

  /**
   * Storage from a URL: `sqlite://:memory:`, `sqlite://relative.db`, `sqlite:///absolute.db`,
   * a bare file path, `postgres://…` / `postgresql://…`, or `memory://`. An unusable URL fails
   * the layer with `InvalidStorageUrlError`.
   */
  static layerFromUrl(url: string): Layer.Layer<Storage, StorageError | InvalidStorageUrlError> {
    return Layer.unwrapEffect(Effect.map(parseStorageUrl(url), (target) => {
      switch (target._tag) {
        case "Memory":
          return Storage.layerMemory
        case "Sqlite":
          return Storage.layerSqlite({ filename: target.filename })
        case "Postgres":
          return Storage.layerPostgres({ url: target.url })
      }
    }))
  }
}

/**
 * @since 0.1.0
 * @category layers
 */
export const layerMemory: Layer.Layer<Storage> = Storage.layerMemory
/**
 * @since 0.1.0
 * @category layers
 */
export const layerSqlite = (options: SqliteOptions): Layer.Layer<Storage, StorageError> => Storage.layerSqlite(options)
/**
 * @since 0.1.0
 * @category layers
 */
export const layerPostgres = (options: PostgresOptions): Layer.Layer<Storage, StorageError> =>
  Storage.layerPostgres(options)
/**
 * @since 0.1.0
 * @category layers
 */
export const layerFromUrl = (url: string): Layer.Layer<Storage, StorageError | InvalidStorageUrlError> =>
  Storage.layerFromUrl(url)

/**
 * @since 0.1.0
 * @category models
 */
export type SqliteOptions = sql.SqliteOptions
/**
 * @since 0.1.0
 * @category models
 */
export type PostgresOptions = sql.PostgresOptions
