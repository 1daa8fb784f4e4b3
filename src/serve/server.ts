/**
 * The web view's server (`sluice serve`): the HTTP JSON API, its OpenAPI document, live events
 * and the page, on a runner and its storage.
 */
import { Layer } from "effect"
import type { Runner } from "../Runner.js"
import type { Storage } from "../Storage.js"

export interface ServerOptions {
  readonly port: number
  readonly host?: string | undefined
  readonly token?: string | undefined
}

/** Serves until its scope closes; prints `listening on http://<host>:<port>` once bound. */
export const layerServer = (_options: ServerOptions): Layer.Layer<never, unknown, Runner | Storage> => Layer.empty
