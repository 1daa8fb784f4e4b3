/**
 * Measuring: medians of repeated runs after a warm-up, and the engines under test (sluice on
 * each storage, each on a fresh storage: a fresh file, a fresh PostgreSQL database).
 */
import { Effect, Layer, ManagedRuntime } from "effect"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { RunnerService, StorageCodec } from "sluice"
import { Runner, Storage } from "sluice"
import { freshDatabaseUrl, layerPostgresFresh, PG_ADMIN_URL, reachable } from "../test/support/postgres.js"

export interface Stats {
  readonly median: number
  readonly min: number
  readonly max: number
  readonly runs: number
}

export const stats = (samples: ReadonlyArray<number>): Stats => {
  const sorted = [...samples].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  const median = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
  return { median, min: sorted[0], max: sorted[sorted.length - 1], runs: sorted.length }
}

/**
 * Runs `once` after `warmup` unmeasured runs, `reps` times; milliseconds. `between`, untimed,
 * follows every run (to leave each run the same state as the first).
 */
export const measure = async (
  once: () => Promise<unknown>,
  reps: number,
  warmup = 1,
  between?: () => Promise<unknown>
): Promise<Stats> => {
  for (let i = 0; i < warmup; i++) {
    await once()
    await between?.()
  }
  const samples: Array<number> = []
  // No forced GC between samples: measured here, a gc() before each run doubles the time of the
  // run after it (V8 starts again from a cold, shrunk young generation).
  for (let i = 0; i < reps; i++) {
    const start = performance.now()
    await once()
    samples.push(performance.now() - start)
    await between?.()
  }
  return stats(samples)
}

export const fmt = (x: number, digits = 2) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(digits))

// ---------------------------------------------------------------------------------------------
// Storages and engines

// The tests' own PostgreSQL helpers: the same server, a fresh database per storage.
export const postgres = await reachable()
if (!postgres) console.warn(`PostgreSQL not reachable at ${PG_ADMIN_URL}: its rows are left out`)

const scratch = mkdtempSync(join(tmpdir(), "sluice-bench-"))
let files = 0
export const scratchDir = scratch
export const freshFile = (prefix = "bench") => join(scratch, `${prefix}-${files++}.db`)

export type StorageName = "memory" | "sqlite :memory:" | "sqlite file" | "postgres"

export const storageLayer = (name: StorageName, codec?: StorageCodec.StorageCodec): Layer.Layer<Storage, unknown> => {
  switch (name) {
    case "memory":
      return codec === undefined ? Storage.layerMemory : Storage.layerFromUrl("memory://", { codec })
    case "sqlite :memory:":
      return Storage.layerSqlite({ filename: ":memory:", codec })
    case "sqlite file":
      return Storage.layerSqlite({ filename: freshFile(), codec })
    case "postgres":
      return codec === undefined
        ? layerPostgresFresh
        : Layer.unwrapScoped(Effect.map(freshDatabaseUrl, ({ url }) => Storage.layerPostgres({ url, codec })))
  }
}

/** The storages of a section: PostgreSQL when it is reachable. */
export const storageNames = (names: ReadonlyArray<StorageName>): Array<StorageName> =>
  names.filter((n) => n !== "postgres" || postgres)

export interface Engine {
  readonly name: string
  readonly run: <A, E>(f: (runner: RunnerService) => Effect.Effect<A, E>) => Promise<A>
  readonly dispose: () => Promise<void>
}

export const engine = (storage: StorageName, maxConcurrentTasks: number, codec?: StorageCodec.StorageCodec): Engine => {
  const runtime = ManagedRuntime.make(
    Runner.layer({ maxConcurrentTasks }).pipe(Layer.provide(storageLayer(storage, codec)))
  )
  return {
    name: `sluice ${storage}`,
    run: (f) => runtime.runPromise(Effect.flatMap(Runner, f)),
    dispose: () => runtime.dispose()
  }
}
