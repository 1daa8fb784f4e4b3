/** What the SQL storage's reads share: column schemas, and rows decoded with a schema. */
import type { SqlError } from "@effect/sql/SqlError"
import { Effect, Schema } from "effect"
import type { StorageError } from "../../../Errors.js"
import { storageError } from "../faults.js"

/** An integer column: PostgreSQL's driver gives BIGINTs (and counts) as strings. */
export const Int = Schema.Union(Schema.Number, Schema.NumberFromString)

/** The rows a statement gives, decoded with `schema`; a failure is a `StorageError` for `operation`. */
export const decodeRows = <A, I>(
  operation: string,
  schema: Schema.Schema<A, I>,
  run: Effect.Effect<ReadonlyArray<unknown>, SqlError>
): Effect.Effect<ReadonlyArray<A>, StorageError> =>
  run.pipe(
    Effect.flatMap((rows) => Schema.decodeUnknown(Schema.Array(schema))(rows)),
    Effect.mapError(storageError(operation))
  )
