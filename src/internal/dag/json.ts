/**
 * JSON values as sluice stores them: checked once when they enter a context, copied so that the
 * caller's object is never shared, and frozen so that tasks running in parallel can share one
 * copy without a defensive clone on every read.
 */
import { Schema } from "effect"
import { ContextValueError } from "../../Errors.js"

export type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [key: string]: Json }
export type JsonObject = { readonly [key: string]: Json }

export const emptyObject: JsonObject = Object.freeze({})

const describe = (value: unknown): string => {
  if (value === undefined) return "undefined (use delete to remove a key)"
  if (typeof value === "number") return `${value} (only finite numbers are JSON)`
  if (typeof value === "function") return "a function"
  if (typeof value === "symbol") return "a symbol"
  if (typeof value === "bigint") return "a bigint (store it as a string, or use a ContextKey with a Schema)"
  if (value instanceof Date) return "a Date (store an ISO string, or use a ContextKey with Schema.Date)"
  const name = (value as object).constructor?.name ?? "an object without prototype"
  return `an instance of ${name} (only plain objects and arrays are JSON)`
}

const isPlainObject = (value: object): boolean => {
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/** How deep a value may nest: deeper, a JSON encoder or decoder runs out of stack. */
export const MAX_DEPTH = 1000

/** Size limits on what enters a context, in bytes of JSON (estimated while it is checked). */
export interface SizeLimits {
  /** One value given to `set` (or one key of an input). Default 64 MiB. */
  readonly maxValueBytes: number
  /** Everything one attempt sets (or a whole input). Default 256 MiB. */
  readonly maxOutputBytes: number
}

export const defaultLimits: SizeLimits = { maxValueBytes: 64 * 2 ** 20, maxOutputBytes: 256 * 2 ** 20 }

/** Sets an own data property, `"__proto__"` included (assigning it would set the prototype). */
export const setOwn = (o: Record<string, Json>, k: string, v: Json): void => {
  if (k === "__proto__") Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true })
  else o[k] = v
}

const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k)

const pathOf = (segments: ReadonlyArray<string | number>): string => {
  let path = ""
  for (const s of segments) path += typeof s === "number" ? `[${s}]` : path === "" ? s : `.${s}`
  return path
}

/**
 * Checks that `value` round-trips through JSON and returns a frozen deep copy of it, with its
 * estimated size in bytes of JSON. Throws a `ContextValueError` naming the first offending path:
 * a value JSON cannot hold, a cycle, nesting deeper than `MAX_DEPTH`, or more than
 * `maxBytes`. Keys are data: `__proto__`, `constructor` and `prototype` stay own properties.
 */
export const toFrozenJsonSized = (
  key: string,
  value: unknown,
  maxBytes: number = defaultLimits.maxValueBytes
): { readonly value: Json; readonly bytes: number } => {
  const seen = new Set<object>()
  const segments: Array<string | number> = []
  let bytes = 0
  const fail = (detail: string): never => {
    throw new ContextValueError({ key, path: pathOf(segments), detail })
  }
  const count = (n: number) => {
    bytes += n
    if (bytes > maxBytes) fail(`larger than ${maxBytes} bytes of JSON (the limit for one value)`)
  }
  const visit = (v: unknown): Json => {
    switch (typeof v) {
      case "string":
        count(v.length + 2)
        return v
      case "boolean":
        count(5)
        return v
      case "number":
        if (Number.isFinite(v)) {
          count(8)
          return v
        }
        break
      case "object": {
        if (v === null) {
          count(4)
          return null
        }
        if (seen.has(v)) fail("a cycle (the value refers to itself)")
        if (segments.length >= MAX_DEPTH) fail(`nested deeper than ${MAX_DEPTH} levels`)
        if (Array.isArray(v)) {
          seen.add(v)
          count(2 + v.length)
          const out: Array<Json> = new Array(v.length)
          for (let i = 0; i < v.length; i++) {
            segments.push(i)
            out[i] = visit(v[i])
            segments.pop()
          }
          seen.delete(v)
          return Object.freeze(out)
        }
        if (!isPlainObject(v)) break
        seen.add(v)
        const keys = Object.keys(v)
        count(2 + keys.length)
        const out: Record<string, Json> = {}
        for (const k of keys) {
          count(k.length + 3)
          segments.push(k)
          setOwn(out, k, visit((v as Record<string, unknown>)[k]))
          segments.pop()
        }
        seen.delete(v)
        return Object.freeze(out)
      }
    }
    return fail(describe(v))
  }
  const out = visit(value)
  return { value: out, bytes }
}

/** `toFrozenJsonSized`, the value alone. */
export const toFrozenJson = (key: string, value: unknown, maxBytes?: number): Json =>
  toFrozenJsonSized(key, value, maxBytes).value

/** A whole context given as input: a plain object whose values are all JSON, within the limits. */
export const toFrozenJsonObject = (value: unknown, limits: SizeLimits = defaultLimits): JsonObject => {
  if (value === undefined) return emptyObject
  if (typeof value !== "object" || value === null || Array.isArray(value) || !isPlainObject(value)) {
    throw new ContextValueError({ key: "(input)", path: "", detail: "the input context must be a plain object" })
  }
  const out: Record<string, Json> = {}
  let total = 0
  for (const k of Object.keys(value)) {
    const checked = toFrozenJsonSized(k, (value as Record<string, unknown>)[k], limits.maxValueBytes)
    total += checked.bytes
    if (total > limits.maxOutputBytes) {
      throw new ContextValueError({
        key: "(input)",
        path: "",
        detail: `larger than ${limits.maxOutputBytes} bytes of JSON (the limit for a whole input)`
      })
    }
    setOwn(out, k, checked.value)
  }
  return Object.freeze(out)
}

/** Values already checked (read back from storage) only need freezing. */
export const deepFreeze = <A extends Json>(value: A): A => {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const v of Object.values(value)) deepFreeze(v)
  }
  return value
}

/** An object, not an array nor null: a JSON object when it came from JSON. */
export const isJsonObject = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v)

/** Structural equality of JSON values, used to drop duplicates when arrays concatenate. */
export const jsonEquals = (a: Json, b: Json): boolean => {
  if (a === b) return true
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (!jsonEquals(a[i], b[i])) return false
    return true
  }
  if (Array.isArray(b)) return false
  const ka = Object.keys(a)
  if (ka.length !== Object.keys(b).length) return false
  for (const k of ka) {
    if (!hasOwn(b, k) || !jsonEquals((a as JsonObject)[k], (b as JsonObject)[k])) return false
  }
  return true
}

/**
 * Merges the value of a later dependency into an earlier one (README, "Context flow"): objects merge
 * recursively, arrays concatenate without duplicates, anything else: the later value wins.
 * Unchanged branches are shared, not copied.
 */
export const mergeJson = (earlier: Json, later: Json): Json => {
  if (earlier === later) return earlier
  if (Array.isArray(earlier) && Array.isArray(later)) {
    const out: Array<Json> = [...earlier]
    for (const item of later) if (!out.some((existing) => jsonEquals(existing, item))) out.push(item)
    return Object.freeze(out)
  }
  if (isJsonObject(earlier) && isJsonObject(later)) return mergeObjects(earlier, later)
  return later
}

export const mergeObjects = (earlier: JsonObject, later: JsonObject): JsonObject => {
  if (earlier === later) return earlier
  const laterKeys = Object.keys(later)
  if (laterKeys.length === 0) return earlier
  if (Object.keys(earlier).length === 0) return later
  const out: Record<string, Json> = { ...earlier }
  for (const k of laterKeys) setOwn(out, k, hasOwn(earlier, k) ? mergeJson(earlier[k], later[k]) : later[k])
  return Object.freeze(out)
}

/**
 * Merges contexts in the given order (the first is the earliest), as `mergeObjects` one after the
 * other would, into one accumulator: linear in the keys, where merging pairwise copied the
 * growing result each time (1,000 leaves of one key each: 500,000 key copies).
 */
export const mergeAll = (contexts: Iterable<JsonObject>): JsonObject => {
  let first: JsonObject | undefined
  let out: Record<string, Json> | undefined
  for (const c of contexts) {
    const keys = Object.keys(c)
    if (keys.length === 0) continue
    if (first === undefined) {
      first = c
      continue
    }
    out ??= { ...first }
    for (const k of keys) setOwn(out, k, hasOwn(out, k) ? mergeJson(out[k], c[k]) : c[k])
  }
  return out !== undefined ? Object.freeze(out) : first ?? emptyObject
}

/**
 * JSON read back from storage: it came out of `JSON.parse`, so it is JSON by construction; only
 * its outer shape is checked.
 */
export const JsonObjectFromSelf: Schema.Schema<JsonObject> = Schema.declare(
  isJsonObject,
  { identifier: "JsonObject" }
)
