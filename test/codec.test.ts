/**
 * Payload codecs through the public API, on a SQLite file and on PostgreSQL: with an encryption
 * codec no stored byte holds a known marker (inputs, task outputs, a large value stored apart,
 * signal payloads, map results, a schedule's input), everything reads back; a wrong key is a
 * typed error; keys rotate; rows written before the codec still read; bad options are typed.
 */
import { describe, expect, it } from "@effect/vitest"
import Database from "better-sqlite3"
import { Cause, Effect, Exit, Layer, Option } from "effect"
import { randomBytes } from "node:crypto"
import { existsSync, readFileSync, statSync } from "node:fs"
import { join } from "node:path"
import type { StorageCodec as Codec } from "sluice"
import { CronSchedule, Storage, StorageCodec, Task, Workflow } from "sluice"
import { freshDatabaseUrl, pgAllText, pgQuery, postgresAvailable } from "./support/postgres.js"
import { withRunnerOn } from "./support/runner.js"
import { tempDir } from "./support/storage.js"

const MARKER = "MARKER-7f3a9c"
const big = `${MARKER}-big-`.repeat(40_000) // ~600 KB: stored apart

const keyA = randomBytes(32)
const keyB = randomBytes(32)
const encryptA = StorageCodec.encrypt({ key: keyA, keyId: "a" })

interface Place {
  readonly name: string
  /** A storage that opens the same database each time, with a codec. */
  readonly open: (codec?: Codec.StorageCodec) => Layer.Layer<Storage, unknown>
  /** Every byte stored, as text. */
  readonly raw: Effect.Effect<string, unknown>
  /** The total size of the stored payload columns. */
  readonly sizes: Effect.Effect<number, unknown>
  /** How many large values are stored apart. */
  readonly blobCount: Effect.Effect<number, unknown>
}

const sqliteFile = Effect.map(tempDir, (dir): Place => {
  const filename = join(dir, "sluice.db")
  return {
    name: "sqlite file",
    open: (codec) => Storage.layerSqlite({ filename, codec }),
    raw: Effect.sync(() =>
      [filename, `${filename}-wal`].filter((f) => existsSync(f)).map((f) => readFileSync(f).toString("latin1")).join(
        ""
      )
    ),
    sizes: Effect.sync(() => statSync(filename).size),
    blobCount: Effect.sync(() => {
      const db = new Database(filename, { readonly: true })
      try {
        return (db.prepare("SELECT count(*) AS n FROM sluice_blobs").get() as { n: number }).n
      } finally {
        db.close()
      }
    })
  }
})

const postgres = Effect.map(freshDatabaseUrl, ({ url }): Place => ({
  name: "postgres",
  open: (codec) => Storage.layerPostgres({ url, codec }),
  raw: Effect.map(pgAllText(url), ({ tables, text }) => {
    expect(tables).toContain("sluice_blobs")
    return text
  }),
  sizes: Effect.map(
    pgQuery<{ t: string }>(
      url,
      `SELECT (SELECT coalesce(sum(length(body)), 0) FROM sluice_journal)
        + (SELECT coalesce(sum(length(body)), 0) FROM sluice_blobs) AS t`
    ),
    (rows) => Number(rows[0]?.t)
  ),
  blobCount: Effect.map(
    pgQuery<{ n: string }>(url, `SELECT count(*) AS n FROM sluice_blobs`),
    (rows) => Number(rows[0]?.n)
  )
}))

const places = [
  { name: "sqlite file", make: sqliteFile },
  ...((await postgresAvailable()) ? [{ name: "postgres", make: postgres }] : [])
]

const approval = Task.waitForSignal({ id: "approval", signal: "approved" })
const write = Task.make({ id: "write", run: (ctx) => (ctx.set("secret", `${MARKER}-out`), ctx.set("big", big)) })
const items = Task.map({
  id: "items",
  dependencies: [write],
  over: () => [1, 2, 3],
  run: (n: number) => Effect.succeed(`${MARKER}-item-${n}`)
})
const read = Task.make({
  id: "read",
  dependencies: [approval, items, write],
  run: (ctx) => ctx.set("seen", (ctx.get("big") as string).length)
})
const secret = Workflow.make({ name: "secret", tasks: [approval, write, items, read] })
const nightly = CronSchedule.make({
  id: "nightly",
  workflow: secret,
  cron: "0 2 * * *",
  input: { s: `${MARKER}-cron` }
})

/** Runs the workflow to its end on `layer`: input, outputs, a large value, a signal, map results. */
const runSecret = (layer: Layer.Layer<Storage, unknown>) =>
  withRunnerOn(layer, { workflows: [secret], schedules: [nightly] }, (runner) =>
    Effect.gen(function*() {
      const handle = yield* runner.submit(secret, { card: `${MARKER}-in` })
      yield* runner.signal(handle.executionId, "approved", { by: `${MARKER}-sig` })
      return yield* handle.result
    }))

for (const place of places) {
  describe(`payload codecs: ${place.name}`, () => {
    it.scopedLive("with an encryption codec no stored byte holds the marker, and everything reads back", () =>
      Effect.gen(function*() {
        const where = yield* place.make
        const codec = StorageCodec.compose(StorageCodec.gzip, encryptA)
        const result = yield* runSecret(where.open(codec))
        expect(result.status).toBe("Completed")
        expect(result.finalContext).toMatchObject({
          card: `${MARKER}-in`,
          secret: `${MARKER}-out`,
          approved: { by: `${MARKER}-sig` },
          items: [1, 2, 3].map((n) => `${MARKER}-item-${n}`),
          seen: big.length
        })
        const raw = yield* where.raw
        expect(raw.length).toBeGreaterThan(1000)
        expect(raw).not.toContain(MARKER)
        // Read back by a new runner: the journal, the input, the large value, the schedule.
        const again = yield* withRunnerOn(
          where.open(codec),
          { workflows: [secret] },
          (r) => Effect.all({ result: r.result(result.executionId), schedules: r.listSchedules() })
        )
        expect(again.result.finalContext).toEqual(result.finalContext)
        expect(again.schedules.map((s) => s.id)).toEqual(["nightly"])
      }))

    it.scopedLive("without a codec the marker is stored in clear (what the test above looks for)", () =>
      Effect.gen(function*() {
        const where = yield* place.make
        expect((yield* runSecret(where.open())).status).toBe("Completed")
        expect(yield* where.raw).toContain(`${MARKER}-in`)
      }))

    it.scopedLive("a large value is stored once, apart from the journal", () =>
      Effect.gen(function*() {
        const where = yield* place.make
        const plain = yield* place.make
        const spread = Workflow.make({
          name: "spread",
          tasks: [
            write,
            ...[1, 2, 3, 4].map((i) =>
              Task.make({ id: `copy${i}`, dependencies: [write], run: (ctx) => ctx.set(`b${i}`, big) })
            )
          ]
        })
        yield* withRunnerOn(where.open(StorageCodec.identity), [spread], (r) => r.execute(spread))
        yield* withRunnerOn(plain.open(), [spread], (r) => r.execute(spread))
        // Five tasks wrote the same 600 KB value: once with the claim check, five times without.
        const [once, fives] = [yield* where.sizes, yield* plain.sizes]
        expect(fives).toBeGreaterThan(5 * big.length)
        expect(once).toBeLessThan(2 * big.length)
        // Pruned with its execution.
        const pruned = yield* withRunnerOn(where.open(StorageCodec.identity), [spread], (r) =>
          Effect.zipRight(Effect.sleep("5 millis"), r.prune({ olderThan: 0 })))
        expect(pruned).toBe(1)
        expect(yield* where.blobCount).toBe(0)
      }))

    it.scopedLive("a wrong key is a typed error; rotation reads old values under previousKeys", () =>
      Effect.gen(function*() {
        const where = yield* place.make
        const first = yield* runSecret(where.open(encryptA))
        const readWith = (codec: Codec.StorageCodec, executionId = first.executionId) =>
          Effect.exit(
            Effect.flatMap(Storage, (s) => s.execution(executionId)).pipe(
              Effect.provide(where.open(codec))
            )
          )
        const wrongKey = yield* readWith(StorageCodec.encrypt({ key: keyB, keyId: "a" }))
        expect(Exit.isFailure(wrongKey)).toBe(true)
        const error = Exit.isFailure(wrongKey) ? Option.getOrThrow(Cause.failureOption(wrongKey.cause)) : undefined
        expect(error).toMatchObject({ _tag: "StorageError" })
        const cause = (error as { cause: unknown }).cause
        expect(StorageCodec.isCodecError(cause) && cause.reason).toBe("Authentication")
        const unknownId = yield* readWith(StorageCodec.encrypt({ key: keyB, keyId: "b" }))
        expect(Exit.isFailure(unknownId) && Option.getOrThrow(Cause.failureOption(unknownId.cause))).toMatchObject({
          cause: { _tag: "CodecError", reason: "UnknownKey", keyId: "a" }
        })
        // Rotated: b writes, a still reads.
        const rotated = StorageCodec.encrypt({ key: keyB, keyId: "b", previousKeys: { a: keyA } })
        const second = yield* runSecret(where.open(rotated))
        const both = yield* withRunnerOn(
          where.open(rotated),
          [secret],
          (r) => Effect.all([r.result(first.executionId), r.result(second.executionId)])
        )
        expect(both.map((x) => x.finalContext.card)).toEqual([`${MARKER}-in`, `${MARKER}-in`])
        // Only b given: the second reads, the first does not.
        const onlyB = StorageCodec.encrypt({ key: keyB, keyId: "b" })
        expect(Exit.isSuccess(yield* readWith(onlyB, second.executionId))).toBe(true)
        expect(Exit.isFailure(yield* readWith(onlyB))).toBe(true)
      }))

    it.scopedLive("rows written before a codec was set still read", () =>
      Effect.gen(function*() {
        const where = yield* place.make
        const before = yield* runSecret(where.open())
        const after = yield* withRunnerOn(where.open(encryptA), [secret], (r) => r.result(before.executionId))
        expect(after.finalContext).toEqual(before.finalContext)
      }))
  })
}

describe("payload codecs: options", () => {
  it.effect("bad keys and bad codecs fail the storage layer with InvalidOptionError", () =>
    Effect.gen(function*() {
      const fails = (codec: unknown) =>
        Effect.flip(Effect.provide(Storage, Storage.layerFromUrl("sqlite://:memory:", { codec: codec as never })))
      expect(yield* fails(StorageCodec.encrypt({ key: randomBytes(31), keyId: "k" }))).toMatchObject({
        _tag: "InvalidOptionError",
        option: "codec.key"
      })
      expect(yield* fails(StorageCodec.encrypt({ key: "not a key", keyId: "k" }))).toMatchObject({
        option: "codec.key"
      })
      expect(yield* fails(StorageCodec.encrypt({ key: keyA, keyId: "has space" }))).toMatchObject({
        option: "codec.keyId"
      })
      expect(yield* fails({ encode: () => "" })).toMatchObject({ _tag: "InvalidOptionError", option: "codec" })
      expect(yield* fails(StorageCodec.withLargeValues(StorageCodec.gzip, 10))).toMatchObject({
        option: "codec.largeValueBytes"
      })
    }))

  it.effect("a key may be given as hex or base64; memory storage takes a codec too", () =>
    Effect.gen(function*() {
      for (const key of [keyA.toString("hex"), keyA.toString("base64")]) {
        const layer = Storage.layerFromUrl("memory://", { codec: StorageCodec.encrypt({ key, keyId: "k" }) })
        const result = yield* withRunnerOn(layer, [secret], (r) =>
          Effect.gen(function*() {
            const h = yield* r.submit(secret, { card: "x" })
            yield* r.signal(h.executionId, "approved", 1)
            return yield* h.result
          }))
        expect(result.finalContext.card).toBe("x")
      }
    }))
})
