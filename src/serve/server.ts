/**
 * The web view's server (`sluice serve`): the HTTP JSON API, its OpenAPI document, live events
 * and the page, on a runner and its storage.
 */
import { HttpApiBuilder, HttpMiddleware, HttpServer, HttpServerResponse } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { Console, Context, Deferred, Effect, Layer } from "effect"
import { createServer } from "node:http"
import type { Runner } from "../Runner.js"
import type { Storage } from "../Storage.js"
import { SluiceApi } from "./api.js"
import { layerAuthorization } from "./auth.js"
import { EventHub, layerEventHub } from "./events.js"
import { guard, urlHost } from "./guard.js"
import { layerHandlers } from "./handlers.js"
import { withPage } from "./page/route.js"

export interface ServerOptions {
  readonly port: number
  /** Default `127.0.0.1`. */
  readonly host?: string | undefined
  /**
   * When set, every request needs `Authorization: Bearer <token>` (401 otherwise), but the bare
   * page document at `/`, which holds no data and asks for the token. On a host that is not
   * loopback, it also lets requests name the server by any `Host` (see `guard.ts`).
   */
  readonly token?: string | undefined
}

/** Headers on every response. */
const hardened = HttpMiddleware.make((app) =>
  Effect.map(app, (response) =>
    HttpServerResponse.setHeaders(response, {
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
      "x-frame-options": "DENY"
    }))
)

/**
 * Serves until its scope closes: binds `host` (default 127.0.0.1) on `port` (0: any free one)
 * and, once bound, prints one line `listening on http://<host>:<port>` to stdout. Closing it
 * ends the open event streams, then closes the server. Every request, the page's included, goes
 * through `guard` first (its `Host`, its `Origin`, its body's type), which needs the bound port.
 */
export const layerServer = (options: ServerOptions): Layer.Layer<never, unknown, Runner | Storage> =>
  Layer.scopedDiscard(Effect.gen(function*() {
    const host = options.host ?? "127.0.0.1"
    const scope = yield* Effect.scope
    const hub = yield* Layer.buildWithScope(layerEventHub, scope)
    const api = HttpApiBuilder.api(SluiceApi).pipe(
      Layer.provide(layerHandlers),
      Layer.provide(layerAuthorization(options.token))
    )
    const server = yield* Layer.buildWithScope(
      NodeHttpServer.layer(createServer, { port: options.port, host }),
      scope
    )
    const address = Context.get(server, HttpServer.HttpServer).address
    const port = address._tag === "TcpAddress" ? address.port : options.port
    const guarded = guard({ host, port, token: options.token })
    const http = HttpApiBuilder.serve((app) => hardened(guarded(withPage(app)))).pipe(
      Layer.provide(api),
      Layer.provide(Layer.succeedContext(hub)),
      Layer.provide(Layer.succeedContext(server))
    )
    yield* Layer.buildWithScope(http, scope)
    // Added last, so run first on close: the streams end, and the server can close.
    yield* Effect.addFinalizer(() => Deferred.succeed(Context.get(hub, EventHub).closing, undefined))
    yield* Console.log(`listening on http://${urlHost(host)}:${port}`)
  }))
