/**
 * The page at `/`: one HTML document, its script and style inline under a fresh nonce, with a
 * Content-Security-Policy that lets only them run (no inline handlers, nothing from elsewhere).
 */
import { HttpMiddleware, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect } from "effect"
import { randomBytes } from "node:crypto"
import { document } from "./document.js"

export const contentSecurityPolicy = (nonce: string) =>
  [
    "default-src 'self'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'"
  ].join("; ")

const page = Effect.sync(() => {
  const nonce = randomBytes(18).toString("base64")
  return HttpServerResponse.html(document(nonce)).pipe(
    HttpServerResponse.setHeaders({
      "content-security-policy": contentSecurityPolicy(nonce),
      "cache-control": "no-store"
    })
  )
})

/**
 * Answers `GET /` with the page, in front of the API: the bare document holds no data (the same
 * code for everyone), so it is served without the token, which it then asks for; everything
 * else goes to the API, where the token is checked.
 */
export const withPage = HttpMiddleware.make((app) =>
  Effect.flatMap(
    HttpServerRequest.HttpServerRequest,
    (request) => request.method === "GET" && request.url.split("?")[0] === "/" ? page : app
  )
)
