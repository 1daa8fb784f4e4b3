/**
 * The API's errors, each with its HTTP status, and how sluice's typed errors map onto them: an
 * unknown execution or schedule is 404, bad input 400, a signal nothing waits for 409, a storage
 * failure 500. (A request that does not match an endpoint's schemas is 400 by `HttpApi` itself.)
 */
import { HttpApiSchema } from "@effect/platform"
import { Effect, Schema } from "effect"
import type {
  ContextValueError,
  ExecutionNotFoundError,
  InvalidOptionError,
  ScheduleError,
  SignalError,
  StorageError
} from "../Errors.js"

/** 404: no execution or schedule with that id. */
export class NotFound extends Schema.TaggedError<NotFound>()(
  "NotFound",
  { message: Schema.String },
  HttpApiSchema.annotations({ status: 404 })
) {}

/** 400: a value the runner refuses (a duration, a payload, an option). */
export class BadRequest extends Schema.TaggedError<BadRequest>()(
  "BadRequest",
  { message: Schema.String },
  HttpApiSchema.annotations({ status: 400 })
) {}

/** 409: the request does not fit the execution's state (a signal nothing waits for, sent twice). */
export class Conflict extends Schema.TaggedError<Conflict>()(
  "Conflict",
  { message: Schema.String },
  HttpApiSchema.annotations({ status: 409 })
) {}

/** 401: no bearer token, or the wrong one. */
export class Unauthorized extends Schema.TaggedError<Unauthorized>()(
  "Unauthorized",
  { message: Schema.String },
  HttpApiSchema.annotations({ status: 401 })
) {}

/** 500: the storage failed. */
export class StorageFailure extends Schema.TaggedError<StorageFailure>()(
  "StorageFailure",
  { message: Schema.String },
  HttpApiSchema.annotations({ status: 500 })
) {}

/** What the runner's operations fail with, as far as the API is concerned. */
export type RunnerError =
  | ExecutionNotFoundError
  | StorageError
  | SignalError
  | ContextValueError
  | InvalidOptionError
  | ScheduleError

export type ApiError = NotFound | BadRequest | Conflict | StorageFailure

/** One mapping from the runner's errors to the API's. */
export const toApiError = (error: RunnerError): ApiError => {
  const message = error.message
  switch (error._tag) {
    case "ExecutionNotFoundError":
      return new NotFound({ message })
    case "ScheduleError":
      return error.reason === "NotFound" ? new NotFound({ message }) : new BadRequest({ message })
    case "SignalError":
      return error.reason === "InvalidPayload" ? new BadRequest({ message }) : new Conflict({ message })
    case "ContextValueError":
    case "InvalidOptionError":
      return new BadRequest({ message })
    case "StorageError":
      return new StorageFailure({ message })
  }
}

/** The API errors one runner error can become (so that each endpoint declares only its own). */
export type ApiErrorOf<E> = E extends ExecutionNotFoundError ? NotFound
  : E extends StorageError ? StorageFailure
  : E extends SignalError ? BadRequest | Conflict
  : E extends ContextValueError | InvalidOptionError ? BadRequest
  : E extends ScheduleError ? NotFound | BadRequest
  : never

/** A runner operation with its errors mapped for the API. */
export const mapped = <A, E extends RunnerError, R>(
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, ApiErrorOf<E>, R> => Effect.mapError(effect, (e) => toApiError(e) as ApiErrorOf<E>)
