/**
 * What a browser must not be able to do to the server for a page elsewhere: in front of the page
 * and the API alike, a request is refused when
 *
 * - its `Host` is not one of the server's own names (403): a page whose domain was made to
 *   resolve to 127.0.0.1 (DNS rebinding) sends its own domain, and would otherwise read the API;
 * - it changes something (POST, PUT, PATCH, DELETE) and its `Origin` is another site (403): a
 *   page elsewhere can send a form to the server, but not read the answer;
 * - it has a body that is not `application/json` (415): a form or `text/plain` is what a page
 *   elsewhere can send without asking first (CORS), JSON is not.
 *
 * The names: `localhost`, `127.0.0.1`, `[::1]` and the bound host, each with the bound port. A
 * server bound to a host that is not loopback (`0.0.0.0`, a LAN address) with a token accepts any
 * `Host` (its clients reach it by names it cannot know, and the token, which a rebinding page
 * does not have, guards the data); without a token, only those names.
 */
import { HttpMiddleware, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect } from "effect"
import { isIP } from "node:net"

export interface GuardOptions {
  /** The bound host, as given (`127.0.0.1`, `::1`, `0.0.0.0`, a name). */
  readonly host: string
  /** The bound port. */
  readonly port: number
  readonly token?: string | undefined
}

/** 127.0.0.0/8, ::1 (also as IPv4-mapped), `localhost`: reachable from this machine only. */
export const isLoopback = (host: string): boolean => {
  const h = host.replace(/^\[(.*)\]$/, "$1").toLowerCase()
  if (h === "localhost" || h.endsWith(".localhost")) return true
  if (isIP(h) === 4) return h.startsWith("127.")
  if (isIP(h) === 6) return h === "::1" || h === "0:0:0:0:0:0:0:1" || h.startsWith("::ffff:127.")
  return false
}

/** A host as it stands in a URL (`[::1]` for an IPv6 address). */
export const urlHost = (host: string): string => host.includes(":") && !host.startsWith("[") ? `[${host}]` : host

/** `host[:port]` in one spelling: lower case, the port always there (80 when left out). */
const normalize = (hostHeader: string): string => {
  const h = hostHeader.trim().toLowerCase()
  return /:\d+$/.test(h) && !h.endsWith("]") ? h : `${h}:80`
}

/** Whether a `Host` header names this server (see the module's comment for the rule). */
export const hostAllowed = (options: GuardOptions, hostHeader: string | undefined): boolean => {
  if (hostHeader === undefined || hostHeader.trim() === "") return false
  if (!isLoopback(options.host) && options.token !== undefined) return true
  const names = ["localhost", "127.0.0.1", "[::1]", urlHost(options.host.toLowerCase())]
  return names.map((n) => `${n}:${options.port}`).includes(normalize(hostHeader))
}

/** Whether an `Origin` header is the server's own origin: the same host and port as `Host`. */
export const sameOrigin = (origin: string, hostHeader: string): boolean => {
  try {
    const url = new URL(origin)
    if (url.protocol !== "http:" && url.protocol !== "https:") return false
    const port = url.port !== "" ? url.port : url.protocol === "https:" ? "443" : "80"
    return normalize(`${url.hostname}:${port}`) === normalize(hostHeader)
  } catch {
    return false
  }
}

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"])

const refuse = (status: number, _tag: string, message: string) =>
  Effect.succeed(HttpServerResponse.unsafeJson({ _tag, message }, { status }))

const hasBody = (headers: Readonly<Record<string, string | undefined>>): boolean => {
  const length = headers["content-length"]
  return headers["transfer-encoding"] !== undefined || (length !== undefined && length.trim() !== "0")
}

const isJson = (contentType: string | undefined): boolean =>
  contentType !== undefined && contentType.split(";")[0].trim().toLowerCase() === "application/json"

/** The checks above, in front of `app` (the page and the API). */
export const guard = (options: GuardOptions) =>
  HttpMiddleware.make((app) =>
    Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
      const headers = request.headers
      const host = headers.host
      if (host === undefined || !hostAllowed(options, host)) {
        return refuse(403, "Forbidden", `this server does not answer for host "${host ?? ""}"`)
      }
      const origin = headers.origin
      if (UNSAFE.has(request.method) && origin !== undefined && !sameOrigin(origin, host)) {
        return refuse(403, "Forbidden", `requests from ${origin} may not change anything here`)
      }
      if (hasBody(headers) && !isJson(headers["content-type"])) {
        return refuse(415, "UnsupportedMediaType", "a request's body must be application/json")
      }
      return app
    })
  )
