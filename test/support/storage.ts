/** The storages every behaviour test runs against: one suite, each implementation. */
import type { Scope } from "effect"
import { Effect, Layer } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Storage } from "sluice"
import { freshDatabaseUrl, layerPostgresFresh, postgresAvailable } from "./postgres.js"

export interface StorageCase {
  readonly name: string
  /** A fresh, empty storage each time it is built. */
  readonly layer: Layer.Layer<Storage, unknown>
  /**
   * For storages that outlive a runner: a fresh storage, as a layer that opens the same storage
   * each time it is built (a restart). Cleaned up with the scope.
   */
  readonly persistent?: Effect.Effect<Layer.Layer<Storage, unknown>, unknown, Scope.Scope> | undefined
}

/** A SQLite file in a fresh temporary directory, removed when the layer closes. */
export const tempDir = Effect.acquireRelease(
  Effect.sync(() => mkdtempSync(join(tmpdir(), "sluice-test-"))),
  (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
)

export const layerSqliteTempFile: Layer.Layer<Storage, unknown> = Layer.unwrapScoped(
  Effect.map(tempDir, (dir) => Storage.layerSqlite({ filename: join(dir, "sluice.db") }))
)

const pg = await postgresAvailable()

export const storageCases: ReadonlyArray<StorageCase> = [
  { name: "memory", layer: Storage.layerMemory },
  { name: "sqlite :memory:", layer: Storage.layerSqlite({ filename: ":memory:" }) },
  {
    name: "sqlite file",
    layer: layerSqliteTempFile,
    persistent: Effect.map(tempDir, (dir) => Storage.layerSqlite({ filename: join(dir, "sluice.db") }))
  },
  ...(pg
    ? [{
      name: "postgres",
      layer: layerPostgresFresh,
      persistent: Effect.map(freshDatabaseUrl, ({ url }) => Storage.layerPostgres({ url }))
    }]
    : [])
]

/** The storages whose executions outlive the runner (restart and recovery tests). */
export const persistentCases = storageCases.filter((c) => c.persistent !== undefined)
