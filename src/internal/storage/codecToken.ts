/**
 * The stored form of an encoded value (see codec.ts): `{ "~sluice": "sluice1:<stages>:<data>" }`
 * in a JSON slot, a reference to a large value stored apart `{ "~sluice": "sluice1@<digest>" }`,
 * and the codec's sync halves between JSON text and that token.
 */
import { Either } from "effect"
import type { StorageCodec } from "../../StorageCodec.js"
import { CodecError, gzip } from "../../StorageCodec.js"
import { isJsonObject } from "../dag/json.js"

export const FIELD = "~sluice"
export const TOKEN = "sluice1:"
export const REF = "sluice1@"

export type Mutable = Record<string, unknown>

export const wrapped = (slot: unknown): string | undefined => {
  if (!isJsonObject(slot)) return undefined
  const token = slot[FIELD]
  return typeof token === "string" && (token.startsWith(TOKEN) || token.startsWith(REF)) &&
      Object.keys(slot).length === 1
    ? token
    : undefined
}

/** The codec's sync halves: JSON text to token and back (a `CodecError` is thrown, caught by `read`). */
export const tokens = (codec: StorageCodec) => {
  const stageIds = codec.stages.map((s) => s.id).join(".")
  const byId = new Map(codec.stages.map((s) => [s.id, s]))
  return {
    encode: (json: string): string => {
      if (codec.stages.length === 0) return `${TOKEN}:${json}`
      let bytes: Uint8Array = Buffer.from(json, "utf8")
      for (const stage of codec.stages) bytes = stage.encode(bytes)
      return `${TOKEN}${stageIds}:${Buffer.from(bytes).toString("base64")}`
    },
    decode: (token: string): string => {
      const colon = token.indexOf(":", TOKEN.length)
      if (colon < 0) throw new CodecError({ reason: "Corrupt", detail: "a stored value without its stages" })
      const ids = token.slice(TOKEN.length, colon)
      if (ids === "") return token.slice(colon + 1)
      let bytes: Uint8Array = Buffer.from(token.slice(colon + 1), "base64")
      for (const id of ids.split(".").reverse()) {
        // gzip needs no key: a value compressed before the codec changed still reads.
        const stage = byId.get(id) ?? (id === "gzip" ? gzip.stages[0] : undefined)
        if (stage === undefined) {
          throw new CodecError({
            reason: "UnknownKey",
            detail: `a stored value was encoded by the stage ${JSON.stringify(id)}, which the codec does not have`
          })
        }
        bytes = Either.getOrThrowWith(stage.decode(bytes), (e) => e)
      }
      return Buffer.from(bytes).toString("utf8")
    }
  }
}
