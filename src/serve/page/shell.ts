/**
 * The page's script, part 2: the frame (header, navigation, storage footprint, live marker), the
 * token form, and hash routing: `#/` executions, `#/executions/<id>`, `#/schedules`.
 */
export const shell = String.raw`
function frame(active) {
  const footprint = h("span", { class: "footprint", id: "footprint" })
  const header = h("header", { class: "top" },
    h("a", { class: "brand", href: "#/" }, "sluice"),
    h("nav", {},
      h("a", { href: "#/", class: active === "executions" ? "active" : null }, "Executions"),
      h("a", { href: "#/schedules", class: active === "schedules" ? "active" : null }, "Schedules")),
    h("span", { class: "spacer" }),
    footprint,
    h("span", { class: "live", id: "live" }, "offline"))
  const main = h("main", {}, h("div", { class: "error", id: "error", role: "alert", hidden: true }))
  clear(app)
  app.append(header, main)
  footprintShown = []
  refreshFootprint()
  return main
}

/** What to do with each footprint read (the header's, and the list's counts): set by frame(). */
let footprintShown = []
function showFootprint(f) {
  const el = document.getElementById("footprint")
  if (el) {
    el.textContent = "Stored: " + (f.total === undefined ? "unknown" : f.total) + " execution" +
      (f.total === 1 ? "" : "s") + " · " + fmtBytes(f.bytes)
  }
  for (const show of footprintShown) show(f)
}
/**
 * Reads /api/storage at most once a second, however often it is called (every event asks): a
 * call within the second is put off to its end, and calls meanwhile are one.
 */
const refreshFootprint = (() => {
  let last = 0, timer = null
  const read = () => {
    timer = null
    last = Date.now()
    api("/api/storage").then(showFootprint, () => {})
  }
  return () => {
    if (timer !== null) return
    const wait = last + 1000 - Date.now()
    if (wait <= 0) read()
    else timer = setTimeout(read, wait)
  }
})()

function showToken(message) {
  state.generation++
  stopAll()
  clear(app)
  const input = h("input", { type: "password", name: "token", id: "token", autocomplete: "off", required: true })
  const form = h("form", { class: "token card", id: "token-form" },
    h("h1", {}, "sluice"),
    h("label", { for: "token" }, "This server needs its access token (sluice serve --token)."),
    input,
    message ? h("div", { class: "error", role: "alert", id: "token-error" }, message) : null,
    h("button", { type: "submit" }, "Open"))
  form.addEventListener("submit", (event) => {
    event.preventDefault()
    state.token = input.value
    sessionStorage.setItem(TOKEN_KEY, input.value)
    route()
  })
  app.append(form)
  input.focus()
}

function stopAll() {
  for (const stop of state.stop.splice(0)) stop()
}

function parseHash() {
  const hash = location.hash.replace(/^#/, "") || "/"
  const [path, query] = hash.split("?")
  return { parts: path.split("/").filter((p) => p !== "").map(decodeURIComponent), params: new URLSearchParams(query || "") }
}

/** Draws the page the hash names; a route that a newer one overtook (while it waited) draws nothing. */
async function route() {
  const generation = ++state.generation
  stopAll()
  const { parts, params } = parseHash()
  try {
    await api("/api/server")
  } catch (e) {
    if (generation !== state.generation) return
    if (e instanceof AuthError) return showToken(state.token ? "The server refused the token." : null)
    throw e
  }
  if (generation !== state.generation) return
  if (parts[0] === "executions" && parts[1] !== undefined) return executionPage(parts[1])
  if (parts[0] === "schedules") return schedulesPage()
  return listPage(params)
}
`
