/**
 * The page at `/`: one HTML document, its script and style inline under a fresh nonce, with a
 * Content-Security-Policy that lets only them run (no inline handlers, nothing from elsewhere).
 */
import { HttpApiBuilder, HttpServerResponse } from "@effect/platform"
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

export const layerPage = HttpApiBuilder.Router.use((router) =>
  router.get(
    "/",
    Effect.sync(() => {
      const nonce = randomBytes(18).toString("base64")
      return HttpServerResponse.html(document(nonce)).pipe(
        HttpServerResponse.setHeaders({
          "content-security-policy": contentSecurityPolicy(nonce),
          "cache-control": "no-store"
        })
      )
    })
  )
)
