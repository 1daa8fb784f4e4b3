/**
 * A storage with a payload codec (StorageCodec.ts): every context and input on its way in is
 * encoded, on its way out decoded, above any storage. The stored rows keep their shape, so the
 * storages, their SQL and their write paths do not change:
 *
 * - a JSON slot holds `{ "~sluice": "sluice1:<stages>:<data>" }` (stages: the ids that encoded
 *   it, `gzip.aes`; data: base64, or the JSON itself with no stage); a string slot (a schedule's
 *   definition) the token alone. A slot not in that form was written without a codec: read as is.
 * - Claim check: a context value whose JSON is over the codec's threshold is stored once per
 *   execution in the storage's `blobs` (encoded), and its place holds `{ "~sluice":
 *   "sluice1@<digest>" }`; the digest is keyed by the encryption key, so equal values share a row
 *   and nothing about a value shows without the key.
 * - A map's results (`ItemsDone.done`) are encoded together, as `[[-1, <slot>]]`.
 */
import { Effect, Option } from "effect"
import { createHash, createHmac } from "node:crypto"
import { InvalidOptionError, StorageError } from "../../Errors.js"
import type { StorageCodec } from "../../StorageCodec.js"
import { CodecError } from "../../StorageCodec.js"
import type { JsonObject } from "../dag/json.js"
import { deepFreeze, isJsonObject } from "../dag/json.js"
import type { Mutable } from "./codecToken.js"
import { FIELD, REF, TOKEN, tokens, wrapped } from "./codecToken.js"
import type { Entry } from "./journal.js"
import type {
  Batch,
  BlobRow,
  ExecutionRow,
  FleetStorage,
  QueuedTask,
  Round,
  ScheduleStorage,
  StorageService,
  TaskOutcome
} from "./service.js"

export const withCodec = (storage: StorageService, codec: StorageCodec): StorageService => {
  const { decode, encode } = tokens(codec)
  const blobs = storage.blobs
  const threshold = codec.largeValueBytes
  const digestOf = (json: string) =>
    codec.digestKey === undefined
      ? createHash("sha256").update(json).digest("base64url")
      : createHmac("sha256", codec.digestKey).update(json).digest("base64url")
  /** Large values this process has stored (or read): not sent again. Bounded: cleared when full. */
  const known = new Set<string>()
  /** Large values read, decoded, by execution and digest; bounded by their JSON size. */
  const cache = new Map<string, unknown>()
  let cached = 0

  /** One write's encoding: the large values it stores apart, stored before the write. */
  class Writing {
    readonly blobs: Array<BlobRow> = []
    value(value: unknown): JsonObject {
      return { [FIELD]: encode(JSON.stringify(value)) }
    }
    /** A context object: its large values stored apart. */
    object(executionId: string, value: JsonObject): JsonObject {
      if (blobs === undefined) return this.value(value)
      let text = "{"
      for (const key in value) {
        let json = JSON.stringify(value[key])
        if (json.length > threshold) {
          const digest = digestOf(json)
          const id = `${executionId}\u0000${digest}`
          if (!known.has(id) && !this.blobs.some((b) => b.executionId === executionId && b.digest === digest)) {
            this.blobs.push({ executionId, digest, body: encode(json) })
          }
          json = JSON.stringify({ [FIELD]: `${REF}${digest}` })
        }
        text += `${text.length === 1 ? "" : ","}${JSON.stringify(key)}:${json}`
      }
      return { [FIELD]: encode(`${text}}`) }
    }
    input(executionId: string, value: unknown): unknown {
      return isJsonObject(value) ? this.object(executionId, value) : this.value(value)
    }
    entry(executionId: string, entry: Entry): Entry {
      if (entry._tag === "TaskCompleted" && entry.output !== undefined) {
        return { ...entry, output: { ...entry.output, set: this.object(executionId, entry.output.set) } }
      }
      if (entry._tag === "ItemsDone") return { ...entry, done: [[-1, this.value(entry.done)]] }
      return entry
    }
    round(r: Round): Round {
      return { ...r, entries: r.entries.map((e) => this.entry(r.executionId, e)) }
    }
    execution(e: ExecutionRow): ExecutionRow {
      return { ...e, input: this.object(e.id, e.input) }
    }
    batch(b: Batch): Batch {
      return {
        ...b,
        executions: b.executions.map((e) => this.execution(e)),
        rounds: b.rounds.map((r) => this.round(r)),
        ...(b.offers === undefined ? {} : {
          offers: b.offers.map((o) => ({ ...o, input: this.input(o.executionId, o.input) }))
        })
      }
    }
    outcome(executionId: string, o: TaskOutcome): TaskOutcome {
      return {
        ...o,
        ...(o.delta === undefined ? {} : { delta: { ...o.delta, set: this.object(executionId, o.delta.set) } }),
        ...(o.value === undefined ? {} : { value: this.value(o.value) })
      }
    }
    /** Stores the large values, then writes. */
    then<A, E>(write: Effect.Effect<A, E>): Effect.Effect<A, E | StorageError> {
      if (this.blobs.length === 0 || blobs === undefined) return write
      const rows = this.blobs
      return Effect.zipRight(
        Effect.tap(blobs.put(rows), () =>
          Effect.sync(() => {
            if (known.size > 100_000) known.clear()
            for (const r of rows) known.add(`${r.executionId}\u0000${r.digest}`)
          })),
        write
      )
    }
  }

  /** One read's decoding: slots decoded at once, large values fetched together at the end. */
  class Reading {
    readonly refs: Array<{ readonly executionId: string; readonly into: Mutable; readonly key: string }> = []
    /** Objects decoded: frozen once their large values are in place (as every storage's reads). */
    readonly decoded: Array<JsonObject> = []
    value(slot: unknown): unknown {
      const token = wrapped(slot)
      return token === undefined || !token.startsWith(TOKEN) ? slot : JSON.parse(decode(token))
    }
    object<A>(executionId: string, slot: A): A {
      const token = wrapped(slot)
      if (token === undefined || !token.startsWith(TOKEN)) return slot
      const value = JSON.parse(decode(token)) as Mutable
      this.decoded.push(value as JsonObject)
      for (const key in value) {
        const ref = wrapped(value[key])
        if (ref?.startsWith(REF)) this.refs.push({ executionId, into: value, key })
      }
      return value as A
    }
    input(executionId: string, slot: unknown): unknown {
      return isJsonObject(slot) ? this.object(executionId, slot) : slot
    }
    entry(executionId: string, entry: Entry): Entry {
      if (entry._tag === "TaskCompleted" && entry.output !== undefined) {
        const set = this.object(executionId, entry.output.set)
        return set === entry.output.set ? entry : { ...entry, output: { ...entry.output, set } }
      }
      if (entry._tag === "ItemsDone" && entry.done.length === 1 && entry.done[0]![0] === -1) {
        return { ...entry, done: this.value(entry.done[0]![1]) as ReadonlyArray<readonly [number, unknown]> }
      }
      return entry
    }
    execution(row: ExecutionRow): ExecutionRow {
      const input = this.object(row.id, row.input)
      return input === row.input ? row : { ...row, input }
    }
    outcome(executionId: string, o: TaskOutcome): TaskOutcome {
      return {
        ...o,
        ...(o.delta === undefined ? {} : { delta: { ...o.delta, set: this.object(executionId, o.delta.set) } }),
        ...(o.value === undefined ? {} : { value: this.value(o.value) })
      }
    }
    /** Fetches the large values referred to, and puts them in place. */
    done(): Effect.Effect<void, StorageError> {
      const missing = new Map<string, Set<string>>()
      for (const r of this.refs) {
        const digest = wrapped(r.into[r.key])!.slice(REF.length)
        if (!cache.has(`${r.executionId}\u0000${digest}`)) {
          missing.set(r.executionId, (missing.get(r.executionId) ?? new Set()).add(digest))
        }
      }
      const fetch = blobs === undefined || missing.size === 0 ? Effect.void : Effect.forEach(
        missing,
        ([executionId, digests]) =>
          Effect.flatMap(blobs.get(executionId, [...digests]), (rows) =>
            guard(() => {
              if (cached > 64 * 1024 * 1024) {
                cache.clear()
                cached = 0
              }
              for (const row of rows) {
                const json = decode(row.body)
                cached += json.length
                cache.set(`${executionId}\u0000${row.digest}`, deepFreeze(JSON.parse(json)))
              }
            })),
        { discard: true }
      )
      return Effect.flatMap(fetch, () =>
        guard(() => {
          for (const r of this.refs) {
            const digest = wrapped(r.into[r.key])!.slice(REF.length)
            const id = `${r.executionId}\u0000${digest}`
            if (!cache.has(id)) {
              throw new CodecError({ reason: "Corrupt", detail: `a large value (${digest}) is missing` })
            }
            r.into[r.key] = cache.get(id)
          }
          for (const value of this.decoded) deepFreeze(value)
        }))
    }
  }

  const guard = <A>(f: () => A): Effect.Effect<A, StorageError> =>
    Effect.try({ try: f, catch: (cause) => new StorageError({ operation: "decode a stored value", cause }) })

  /** A read whose rows are decoded by `f` (large values fetched after it). */
  const read = <A, B>(rows: Effect.Effect<A, StorageError>, f: (r: Reading, rows: A) => B) =>
    Effect.flatMap(rows, (a) => {
      const reading = new Reading()
      return Effect.flatMap(guard(() => f(reading, a)), (b) => Effect.as(reading.done(), b))
    })
  const rows = (r: Reading, list: ReadonlyArray<ExecutionRow>) => list.map((row) => r.execution(row))
  const optionalRow = (r: Reading, row: Option.Option<ExecutionRow>) => Option.map(row, (e) => r.execution(e))

  const schedules: ScheduleStorage = {
    ...storage.schedules,
    list: read(
      storage.schedules.list,
      (_, list) => list.map((s) => s.spec.startsWith(TOKEN) ? { ...s, spec: decode(s.spec) } : s)
    ),
    put: (row, options) => storage.schedules.put({ ...row, spec: encode(row.spec) }, options),
    fire: (fire) => {
      const w = new Writing()
      const batch = w.batch(fire.batch)
      return w.then(storage.schedules.fire({ ...fire, batch }))
    }
  }

  const fleet: FleetStorage | undefined = storage.fleet === undefined ? undefined : {
    ...storage.fleet,
    claim: (runnerId, workflows, limit) =>
      read(
        storage.fleet!.claim(runnerId, workflows, limit),
        (r, list) => list.map((q): QueuedTask => ({ ...q, input: r.input(q.executionId, q.input) }))
      ),
    report: (executionId, claim, outcome) => {
      const w = new Writing()
      return w.then(storage.fleet!.report(executionId, claim, w.outcome(executionId, outcome)))
    },
    outcomes: (executionId) =>
      read(storage.fleet!.outcomes(executionId), (r, list) => list.map((o) => r.outcome(executionId, o))),
    offered: (executionId) =>
      read(
        storage.fleet!.offered(executionId),
        (r, list) => list.map((o) => o.outcome === null ? o : { ...o, outcome: r.outcome(executionId, o.outcome) })
      )
  }

  return {
    ...storage,
    schedules,
    fleet,
    commit: (batch) => {
      const w = new Writing()
      return Effect.suspend(() => w.then(storage.commit(w.batch(batch))))
    },
    reopen: (executionId, round, owner) => {
      const w = new Writing()
      return Effect.suspend(() => w.then(storage.reopen(executionId, w.round(round), owner)))
    },
    claim: (row, owner) => {
      const w = new Writing()
      return Effect.suspend(() =>
        w.then(read(storage.claim(w.execution(row), owner), (r, existing) => optionalRow(r, existing)))
      )
    },
    execution: (id) => read(storage.execution(id), optionalRow),
    executionByIdempotencyKey: (key) => read(storage.executionByIdempotencyKey(key), optionalRow),
    executions: (filter) => read(storage.executions(filter), rows),
    journal: (executionId) =>
      read(storage.journal(executionId), (r, journal) => ({
        ...journal,
        entries: journal.entries.map((e) => r.entry(executionId, e))
      })),
    putSignal: (signal) => storage.putSignal({ ...signal, payload: new Writing().value(signal.payload) }),
    signals: (executionId) =>
      read(storage.signals(executionId), (r, list) => list.map((s) => ({ ...s, payload: r.value(s.payload) })))
  }
}

/** The storage with `codec` applied (none: as it is); a codec built with bad options fails here. */
export const applyCodec = (
  storage: StorageService,
  codec: StorageCodec | undefined
): Effect.Effect<StorageService, InvalidOptionError> => {
  if (codec === undefined) return Effect.succeed(storage)
  if (typeof codec !== "object" || codec === null || codec._tag !== "StorageCodec") {
    return Effect.fail(
      new InvalidOptionError({
        option: "codec",
        detail: "must be a StorageCodec (StorageCodec.encrypt, gzip, compose)"
      })
    )
  }
  return codec.invalid === undefined ? Effect.succeed(withCodec(storage, codec)) : Effect.fail(codec.invalid)
}
