/**
 * Payload codecs: what every stored context and input passes through on its way to the storage
 * (`Storage.layerSqlite({ …, codec })`, `Storage.layerPostgres`, `Storage.layerFromUrl(url,
 * { codec })`, `DefaultRunner.make(url, { codec })`).
 *
 * ```ts
 * const codec = StorageCodec.compose(
 *   StorageCodec.gzip,
 *   StorageCodec.encrypt({ keyId: "2026-12", key: process.env.SLUICE_KEY!, previousKeys: { "2026-06": oldKey } })
 * )
 * ```
 *
 * A stored value names the stages that wrote it (and the encryption key's id), so a value keeps
 * decoding after the codec changes: rows written before a codec was set are read as they are,
 * a key id given in `previousKeys` still decrypts, gzip always decompresses. What is encoded:
 * executions' inputs, what tasks write to the context (journal), map items' results, signal
 * payloads, schedules' definitions, and on PostgreSQL the attempts offered between runners and
 * their outcomes. Task ids, statuses, times and error messages stay readable (the operator
 * surface lists them).
 *
 * @since 0.6.0
 */
import { Data, Either } from "effect"
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto"
import { gunzipSync, gzipSync } from "node:zlib"
import { InvalidOptionError } from "./Errors.js"

/**
 * A stored value the storage's codec cannot read: its key id was not given (`UnknownKey`), the
 * key does not open it or it was altered (`Authentication`), or it is not what a codec wrote
 * (`Corrupt`). Reads fail with a `StorageError` whose `cause` is this error.
 *
 * @since 0.6.0
 * @category errors
 */
export class CodecError extends Data.TaggedError("CodecError")<{
  readonly reason: "UnknownKey" | "Authentication" | "Corrupt"
  readonly keyId?: string | undefined
  readonly detail: string
}> {
  override get message(): string {
    return `cannot decode a stored value (${this.reason}): ${this.detail}`
  }
}

/**
 * One step of a codec, on bytes. `id` is stored with each value it encoded.
 *
 * @since 0.6.0
 * @category models
 */
export interface Stage {
  readonly id: string
  readonly encode: (bytes: Uint8Array) => Uint8Array
  readonly decode: (bytes: Uint8Array) => Either.Either<Uint8Array, CodecError>
}

/**
 * A codec: stages applied in order when a value is written, in reverse when it is read.
 *
 * @since 0.6.0
 * @category models
 */
export interface StorageCodec {
  readonly _tag: "StorageCodec"
  readonly stages: ReadonlyArray<Stage>
  /** A problem with the codec's options: the storage layer fails with it. */
  readonly invalid?: InvalidOptionError | undefined
  /**
   * Context values whose encoded form is larger are stored once apart from the journal (a claim
   * check) and referenced by a digest: a 50 MB value is written once, whatever carries it
   * (offered attempts on PostgreSQL, a rerun's rounds). Default 256 KiB.
   */
  readonly largeValueBytes: number
  /** The secret of the digests that name large values (none: a plain SHA-256). */
  readonly digestKey?: Uint8Array | undefined
}

const make = (
  stages: ReadonlyArray<Stage>,
  extra: Partial<Pick<StorageCodec, "invalid" | "largeValueBytes" | "digestKey">> = {}
): StorageCodec => ({ _tag: "StorageCodec", stages, largeValueBytes: 256 * 1024, ...extra })

/**
 * No transformation: values are stored as JSON, with large values stored apart.
 *
 * @since 0.6.0
 * @category constructors
 */
export const identity: StorageCodec = make([])

const gzipStage: Stage = {
  id: "gzip",
  encode: (bytes) => gzipSync(bytes, { level: 6 }),
  decode: (bytes) =>
    Either.try({
      try: () => gunzipSync(bytes),
      catch: (cause) => new CodecError({ reason: "Corrupt", detail: `not gzip data (${String(cause)})` })
    })
}

/**
 * Compresses every value with gzip (`node:zlib`).
 *
 * @since 0.6.0
 * @category constructors
 */
export const gzip: StorageCodec = make([gzipStage])

/** A key as given: 32 bytes, or their hex (64 characters) or base64 (44 characters) spelling. */
export type Key = Uint8Array | string

const keyBytes = (key: Key): Uint8Array | undefined => {
  if (key instanceof Uint8Array) return key.length === 32 ? key : undefined
  if (typeof key !== "string") return undefined
  if (/^[0-9a-fA-F]{64}$/.test(key)) return Buffer.from(key, "hex")
  const bytes = Buffer.from(key, "base64")
  return bytes.length === 32 && /^[A-Za-z0-9+/_-]{43}=?$/.test(key) ? bytes : undefined
}

const keyIdPattern = /^[A-Za-z0-9._-]{1,64}$/

const IV = 12
const TAG = 16

const aesStage = (current: { id: string; key: Uint8Array }, keys: ReadonlyMap<string, Uint8Array>): Stage => {
  const header = Buffer.from(current.id, "utf8")
  return {
    id: "aes",
    // [id length][id][iv][tag][ciphertext]
    encode: (bytes) => {
      const iv = randomBytes(IV)
      const cipher = createCipheriv("aes-256-gcm", current.key, iv)
      const body = Buffer.concat([cipher.update(bytes), cipher.final()])
      return Buffer.concat([Buffer.of(header.length), header, iv, cipher.getAuthTag(), body])
    },
    decode: (bytes) => {
      const length = bytes[0] ?? 0
      if (bytes.length < 1 + length + IV + TAG) {
        return Either.left(new CodecError({ reason: "Corrupt", detail: "too short for AES-256-GCM" }))
      }
      const keyId = Buffer.from(bytes.subarray(1, 1 + length)).toString("utf8")
      const key = keys.get(keyId)
      if (key === undefined) {
        return Either.left(
          new CodecError({
            reason: "UnknownKey",
            keyId,
            detail: `written with key id ${JSON.stringify(keyId)}, which the codec was not given (known: ${
              [...keys.keys()].map((k) => JSON.stringify(k)).join(", ")
            }); pass it in previousKeys`
          })
        )
      }
      const at = 1 + length
      return Either.try({
        try: () => {
          const decipher = createDecipheriv("aes-256-gcm", key, bytes.subarray(at, at + IV))
          decipher.setAuthTag(bytes.subarray(at + IV, at + IV + TAG))
          return Buffer.concat([decipher.update(bytes.subarray(at + IV + TAG)), decipher.final()])
        },
        catch: () =>
          new CodecError({
            reason: "Authentication",
            keyId,
            detail: `the key given for id ${
              JSON.stringify(keyId)
            } does not open the value (a wrong key, or altered data)`
          })
      })
    }
  }
}

/**
 * Encrypts every value with AES-256-GCM (`node:crypto`), under `key` (32 bytes, or their hex or
 * base64 spelling), stored with `keyId`. Rotation: give the new key and id, and the old ones in
 * `previousKeys`; values are written under the new key and read under whichever wrote them. A
 * bad key or key id fails the storage layer with `InvalidOptionError`; a value whose key is not
 * given, or that the key does not open, fails its read with a `CodecError`.
 *
 * @since 0.6.0
 * @category constructors
 */
export const encrypt = (options: {
  readonly key: Key
  readonly keyId: string
  readonly previousKeys?: Readonly<Record<string, Key>> | undefined
}): StorageCodec => {
  const invalid = (option: string, detail: string) => make([], { invalid: new InvalidOptionError({ option, detail }) })
  if (typeof options.keyId !== "string" || !keyIdPattern.test(options.keyId)) {
    return invalid("codec.keyId", `must match ${keyIdPattern.source}, got ${JSON.stringify(options.keyId)}`)
  }
  const keys = new Map<string, Uint8Array>()
  for (const [id, given] of [...Object.entries(options.previousKeys ?? {}), [options.keyId, options.key] as const]) {
    const bytes = keyBytes(given)
    if (bytes === undefined) {
      return invalid(
        id === options.keyId ? "codec.key" : `codec.previousKeys.${id}`,
        "must be 32 bytes: a Uint8Array, or 64 hex characters, or 44 base64 characters"
      )
    }
    if (!keyIdPattern.test(id)) return invalid("codec.previousKeys", `key id ${JSON.stringify(id)} is not valid`)
    keys.set(id, bytes)
  }
  const key = keys.get(options.keyId)!
  return make([aesStage({ id: options.keyId, key }, keys)], { digestKey: key })
}

/**
 * Codecs one after the other: `compose(gzip, encrypt(…))` compresses, then encrypts.
 *
 * @since 0.6.0
 * @category combinators
 */
export const compose = (...codecs: ReadonlyArray<StorageCodec>): StorageCodec =>
  make(codecs.flatMap((c) => c.stages), {
    invalid: codecs.find((c) => c.invalid !== undefined)?.invalid,
    largeValueBytes: Math.min(...codecs.map((c) => c.largeValueBytes), 256 * 1024),
    digestKey: codecs.find((c) => c.digestKey !== undefined)?.digestKey
  })

/**
 * The same codec with another threshold for values stored apart (bytes, at least 1 KiB).
 *
 * @since 0.6.0
 * @category combinators
 */
export const withLargeValues = (codec: StorageCodec, largeValueBytes: number): StorageCodec =>
  Number.isInteger(largeValueBytes) && largeValueBytes >= 1024
    ? { ...codec, largeValueBytes }
    : {
      ...codec,
      invalid: new InvalidOptionError({
        option: "codec.largeValueBytes",
        detail: `must be an integer of at least 1024, got ${String(largeValueBytes)}`
      })
    }

/**
 * Whether an error (a `StorageError`'s `cause`) is a `CodecError`.
 *
 * @since 0.6.0
 * @category guards
 */
export const isCodecError = (error: unknown): error is CodecError =>
  typeof error === "object" && error !== null && (error as { _tag?: unknown })._tag === "CodecError"
