/**
 * The page's script, part 1: building DOM from data (text nodes only: nothing a task wrote is
 * ever parsed as HTML), the token, the API with its bearer header, server-sent events read
 * with fetch (EventSource cannot send a header), formatting.
 */
export const core = String.raw`
const TOKEN_KEY = "sluice.token"
const app = document.getElementById("app")
/** generation: bumped by each route; what an older route started stops and draws nothing. */
const state = { token: sessionStorage.getItem(TOKEN_KEY), stop: [], route: "", generation: 0 }

/** An element; children are nodes or text (always text nodes); props never take handlers as strings. */
function h(tag, props, ...children) {
  const el = document.createElement(tag)
  setProps(el, props)
  appendAll(el, children)
  return el
}
const SVG_NS = "http://www.w3.org/2000/svg"
function s(tag, props, ...children) {
  const el = document.createElementNS(SVG_NS, tag)
  setProps(el, props)
  appendAll(el, children)
  return el
}
function setProps(el, props) {
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue
    if (key === "on") for (const [name, fn] of Object.entries(value)) el.addEventListener(name, fn)
    else if (key.startsWith("on")) throw new Error("handlers are added with 'on: {...}'")
    else el.setAttribute(key, String(value))
  }
}
function appendAll(el, children) {
  for (const child of children.flat(4)) {
    if (child === undefined || child === null || child === false) continue
    el.append(child instanceof Node ? child : document.createTextNode(String(child)))
  }
}
function clear(el) { while (el.firstChild) el.removeChild(el.firstChild) }

class AuthError extends Error {}
class HttpError extends Error {
  constructor(status, message) { super(message); this.status = status }
}
function authHeaders(extra) {
  const headers = new Headers(extra || {})
  if (state.token) headers.set("authorization", "Bearer " + state.token)
  return headers
}
async function api(path, init) {
  const response = await fetch(path, { ...(init || {}), headers: authHeaders(init && init.headers) })
  if (response.status === 401) throw new AuthError("unauthorized")
  const text = await response.text()
  const body = text === "" ? undefined : JSON.parse(text)
  if (!response.ok) throw new HttpError(response.status, (body && body.message) || response.statusText)
  return body
}
/** A POST, always as JSON (the server refuses any other body, and a bodiless one says the same). */
function post(path, payload) {
  const headers = { "content-type": "application/json" }
  return api(path, payload === undefined
    ? { method: "POST", headers }
    : { method: "POST", headers, body: JSON.stringify(payload) })
}
/** A client error (4xx): asking again would get the same answer. */
function isFinal(e) { return e instanceof HttpError && e.status >= 400 && e.status < 500 }

/**
 * Reads server-sent events from path until stopped; reconnects if the server drops the stream.
 * A 4xx answer (an unknown execution) ends it: onFailure(error), or showError. A stream started
 * by an older route than the current one stops itself.
 */
function subscribe(path, onEvent, onReady, onFailure) {
  const abort = new AbortController()
  const generation = state.generation
  let stopped = false
  const current = () => !stopped && generation === state.generation
  const run = async () => {
    while (current()) {
      try {
        const response = await fetch(path, { headers: authHeaders(), signal: abort.signal })
        if (!current()) break
        if (response.status === 401) return showToken("The server refused the token.")
        if (response.status >= 400 && response.status < 500) {
          const text = await response.text()
          let message = response.statusText
          try { message = JSON.parse(text).message || message } catch (e) { /* not JSON */ }
          stop()
          return (onFailure || showError)(new HttpError(response.status, message))
        }
        if (!response.ok || response.body === null) throw new Error("events: " + response.status)
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
        let buffer = ""
        for (;;) {
          const { value, done } = await reader.read()
          if (done || !current()) break
          buffer += value
          let cut
          while ((cut = buffer.indexOf("\n\n")) >= 0) {
            const block = buffer.slice(0, cut)
            buffer = buffer.slice(cut + 2)
            let name = "message", data = ""
            for (const line of block.split("\n")) {
              if (line.startsWith("event: ")) name = line.slice(7)
              else if (line.startsWith("data: ")) data += line.slice(6)
            }
            if (data === "") continue
            if (name === "ready") { setLive(true); onReady() } else onEvent(name, JSON.parse(data))
          }
        }
      } catch (e) {
        if (!current()) break
      }
      if (!current()) break
      setLive(false)
      await new Promise((resolve) => setTimeout(resolve, 1000))
    }
    stop()
  }
  const stop = () => {
    if (stopped) return
    stopped = true
    abort.abort()
    if (generation === state.generation) setLive(false)
  }
  state.stop.push(stop)
  run()
  return stop
}
function setLive(on) {
  const el = document.getElementById("live")
  if (el) { el.classList.toggle("on", on); el.textContent = on ? "live" : "offline" }
}

/**
 * Runs load() on each call to the returned function (never two at once: calls meanwhile are one
 * more run). Once a newer route is drawn, it runs no more, and what it failed with is not shown.
 */
function coalesced(load) {
  const generation = state.generation
  let running = false, again = false
  const go = async () => {
    if (generation !== state.generation) return
    if (running) { again = true; return }
    running = true
    try { await load() } catch (e) { if (generation === state.generation) showError(e) }
    running = false
    if (again) { again = false; go() }
  }
  return go
}

function fmtTime(iso) { return iso ? new Date(iso).toLocaleString() : "" }
function fmtClock(iso) { return iso ? new Date(iso).toLocaleTimeString() : "" }
function fmtDuration(ms) {
  if (ms === undefined || ms === null) return ""
  if (ms < 1000) return Math.round(ms) + " ms"
  if (ms < 60000) return (ms / 1000).toFixed(1) + " s"
  if (ms < 3600000) return Math.floor(ms / 60000) + " min " + Math.round((ms % 60000) / 1000) + " s"
  return (ms / 3600000).toFixed(1) + " h"
}
function fmtBytes(n) {
  if (n === undefined || n === null) return "unknown size"
  const units = ["B", "KiB", "MiB", "GiB", "TiB"]
  let i = 0
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++ }
  return (i === 0 ? n : n.toFixed(1)) + " " + units[i]
}
function badge(status) { return h("span", { class: "badge " + status, "data-status": status }, status) }
function json(value) { return h("pre", { class: "json mono" }, JSON.stringify(value, null, 2)) }

function showError(e) {
  if (e instanceof AuthError) return showToken("The server refused the token.")
  const box = document.getElementById("error")
  if (!box) return
  box.hidden = false
  box.textContent = e instanceof Error ? e.message : String(e)
}
function hideError() {
  const box = document.getElementById("error")
  if (box) { box.hidden = true; box.textContent = "" }
}
`
