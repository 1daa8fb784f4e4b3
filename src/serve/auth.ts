/**
 * The bearer token (`sluice serve --token`): when the server has one, every endpoint of the API
 * (events and the OpenAPI document included) asks for `Authorization: Bearer <token>`, and a
 * missing or wrong one is 401. Without a token, everything is open (the server binds 127.0.0.1
 * by default).
 */
import { HttpApiMiddleware, HttpApiSecurity, OpenApi } from "@effect/platform"
import { Effect, Layer, Redacted } from "effect"
import { createHash, timingSafeEqual } from "node:crypto"
import { Unauthorized } from "./errors.js"

export class Authorization extends HttpApiMiddleware.Tag<Authorization>()("sluice/serve/Authorization", {
  failure: Unauthorized,
  security: {
    bearer: HttpApiSecurity.bearer.pipe(
      HttpApiSecurity.annotate(OpenApi.Description, "Required when the server was started with a token (--token).")
    )
  }
}) {}

const digest = (s: string) => createHash("sha256").update(s).digest()

/** Compares in constant time (digests first, so that the lengths do not show either). */
export const tokenMatches = (expected: string, given: string): boolean =>
  timingSafeEqual(digest(expected), digest(given))

export const layerAuthorization = (token: string | undefined): Layer.Layer<Authorization> =>
  Layer.succeed(Authorization, {
    bearer: (given) =>
      token === undefined || tokenMatches(token, Redacted.value(given))
        ? Effect.void
        : Effect.fail(new Unauthorized({ message: "a valid bearer token is required" }))
  })
