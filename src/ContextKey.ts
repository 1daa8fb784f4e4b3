/**
 * Typed keys for the task context. A `ContextKey` names a context entry and carries the Schema
 * that encodes values to JSON when they are set and decodes them when they are read, so Dates,
 * branded types and classes travel safely between tasks and through storage.
 *
 * @since 0.1.0
 */
import { ParseResult, Schema } from "effect"
import type * as Either from "effect/Either"

/**
 * @since 0.1.0
 * @category symbols
 */
export const TypeId: unique symbol = Symbol.for("sluice/ContextKey")

/**
 * @since 0.1.0
 * @category models
 */
export interface ContextKey<A> {
  readonly [TypeId]: typeof TypeId
  readonly name: string
  readonly schema: Schema.Schema<A, any>
  /** @internal */
  readonly encode: (value: A) => Either.Either<unknown, ParseResult.ParseError>
  /** @internal */
  readonly decode: (json: unknown) => Either.Either<A, ParseResult.ParseError>
}

/**
 * Makes a typed key: `ctx.set(key, value)` encodes with the schema, `ctx.get(key)` decodes.
 *
 * @example
 * const Joined = ContextKey.make("joined", Schema.Date)
 * // in a task: ctx.set(Joined, new Date()); later: ctx.get(Joined) is a Date again
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <A, I>(name: string, schema: Schema.Schema<A, I>): ContextKey<A> => ({
  [TypeId]: TypeId,
  name,
  schema,
  encode: Schema.encodeEither(schema),
  decode: Schema.decodeUnknownEither(schema)
})

/**
 * @since 0.1.0
 * @category guards
 */
export const isContextKey = (u: unknown): u is ContextKey<unknown> => typeof u === "object" && u !== null && TypeId in u

/** @internal */
export const formatError = (error: ParseResult.ParseError): string => ParseResult.TreeFormatter.formatErrorSync(error)
