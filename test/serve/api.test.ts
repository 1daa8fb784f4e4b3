/**
 * `layerServer` for real: a runner on a SQLite file (and on PostgreSQL when reachable) with the
 * server in this process, asked over HTTP with `fetch`.
 */
import { Chunk, Effect, Layer, Schema, Stream } from "effect"
import { request } from "node:http"
import { CronSchedule, Task, Workflow } from "sluice"
import { Storage } from "sluice"
import { afterEach, describe, expect, it } from "vitest"
import { eventStream, makeEventHub } from "../../src/serve/events.js"
import { hostAllowed, sameOrigin } from "../../src/serve/guard.js"
import { contentSecurityPolicy } from "../../src/serve/page/route.js"
import type { Served } from "../fixtures/serve-harness.js"
import { bearer, eventually, gate, getJson, readEvents, startServer } from "../fixtures/serve-harness.js"
import { freshDatabaseUrl, postgresAvailable } from "../support/postgres.js"
import { layerSqliteTempFile } from "../support/storage.js"

const pg = await postgresAvailable()

/** A request as any client may send it: `Host` and `Origin` as given (fetch sets its own Host). */
const raw = (
  url: string,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {}
): Promise<{ status: number; body: any }> =>
  new Promise((resolve, reject) => {
    const { hostname, port } = new URL(url)
    const req = request({ host: hostname, port, path, method: init.method ?? "GET", headers: init.headers }, (res) => {
      let text = ""
      res.setEncoding("utf8")
      res.on("data", (chunk) => (text += chunk))
      res.on("end", () => {
        let body: unknown = text === "" ? undefined : text
        try {
          body = JSON.parse(text)
        } catch {
          // not JSON (the page): the text
        }
        resolve({ status: res.statusCode ?? 0, body })
      })
    })
    req.on("error", reject)
    req.end(init.body)
  })

/** extract → (left, right: waits on `hold`) → join; `left` writes a value. */
const makeWorkflows = () => {
  const hold = gate()
  const extract = Task.make({ id: "extract", run: (ctx) => ctx.set("rows", [1, 2, 3]) })
  const left = Task.make({ id: "left", dependencies: [extract], run: (ctx) => ctx.set("left", "<b>data</b>") })
  const right = Task.make({ id: "right", dependencies: [extract], run: () => hold.wait() })
  const join = Task.make({ id: "join", dependencies: [left, right], run: (ctx) => ctx.set("joined", true) })
  const held = Workflow.make({ name: "held", tasks: [extract, left, right, join] })
  const quick = Workflow.make({ name: "quick", tasks: [Task.make({ id: "only", run: () => {} })] })
  const approval = Workflow.make({
    name: "approval",
    tasks: [Task.waitForSignal({ id: "decision", signal: "approved", schema: Schema.Struct({ by: Schema.String }) })]
  })
  const nightly = CronSchedule.make({ id: "nightly", workflow: quick, cron: "0 2 * * *" })
  return { hold, workflows: [held, quick, approval], schedules: [nightly] }
}

const storages: ReadonlyArray<{ name: string; layer: Layer.Layer<Storage, unknown> }> = [
  { name: "sqlite file", layer: layerSqliteTempFile },
  ...(pg
    ? [{
      name: "postgres",
      layer: Layer.unwrapScoped(Effect.map(freshDatabaseUrl, ({ url }) => Storage.layerPostgres({ url })))
    }]
    : [])
]

if (!pg) it.skip("serve API on PostgreSQL (PostgreSQL not reachable: SKIPPED)", () => {})

for (const storage of storages) {
  describe(`serve API: ${storage.name}`, () => {
    let served: Served | undefined
    afterEach(async () => {
      await served?.close()
      served = undefined
    })
    const start = async (token?: string) => {
      const setup = makeWorkflows()
      served = await startServer({ storage: storage.layer, ...setup, token })
      return { ...setup, served }
    }

    it("prints one line with the address it bound, on 127.0.0.1 by default", async () => {
      const { served } = await start()
      expect(served.printed.filter((l) => l.startsWith("listening on "))).toHaveLength(1)
      expect(served.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      expect(Number(new URL(served.url).port)).toBeGreaterThan(0)
    })

    it("lists executions, filtered by status and workflow, in pages", async () => {
      const { served } = await start()
      const running = await Effect.runPromise(served.runner.submit("held"))
      for (let i = 0; i < 3; i++) await Effect.runPromise(served.runner.execute("quick"))
      const all = await getJson(served.url, "/api/executions")
      expect(all.status).toBe(200)
      expect(all.body.executions).toHaveLength(4)
      const byStatus = await getJson(served.url, "/api/executions?status=Running")
      expect(byStatus.body.executions.map((e: any) => e.executionId)).toEqual([running.executionId])
      const byWorkflow = await getJson(served.url, "/api/executions?workflow=quick")
      expect(byWorkflow.body.executions.map((e: any) => e.workflowName)).toEqual(["quick", "quick", "quick"])
      const first = await getJson(served.url, "/api/executions?limit=2&offset=0")
      const second = await getJson(served.url, "/api/executions?limit=2&offset=2")
      expect(first.body).toMatchObject({ limit: 2, offset: 0, hasMore: true })
      expect(second.body).toMatchObject({ limit: 2, offset: 2, hasMore: false })
      const ids = [...first.body.executions, ...second.body.executions].map((e: any) => e.executionId)
      expect(new Set(ids)).toEqual(new Set(all.body.executions.map((e: any) => e.executionId)))
    })

    it("gets one execution: tasks with dependencies, levels, what each wrote, attempts, progress", async () => {
      const { served } = await start()
      const handle = await Effect.runPromise(served.runner.submit("held"))
      await eventually(async () =>
        (await getJson(served.url, `/api/executions/${handle.executionId}`)).body.progress.finished === 2
      )
      const { body, status } = await getJson(served.url, `/api/executions/${handle.executionId}`)
      expect(status).toBe(200)
      expect(body).toMatchObject({ executionId: handle.executionId, workflowName: "held", status: "Running" })
      const task = (id: string) => body.tasks.find((t: any) => t.taskId === id)
      expect(task("join")).toMatchObject({ dependencies: ["left", "right"], level: 2, status: "Pending" })
      expect(task("left")).toMatchObject({ level: 1, status: "Completed", wrote: { left: "<b>data</b>" } })
      expect(task("right")).toMatchObject({ status: "Running", attempts: 1 })
      expect(task("right").attemptList).toMatchObject([{ attempt: 1, status: "Running" }])
      expect(body.progress).toEqual({ finished: 2, total: 4 })
      const history = await getJson(served.url, `/api/executions/${handle.executionId}/history`)
      expect(history.body[0]._tag).toBe("ExecutionStarted")
      const attempts = await getJson(served.url, `/api/executions/${handle.executionId}/attempts`)
      expect(attempts.body.map((a: any) => a.taskId).sort()).toEqual(["extract", "left", "right"])
    })

    it("serves its OpenAPI document, naming every path", async () => {
      const { served } = await start()
      const { body, status } = await getJson(served.url, "/openapi.json")
      expect(status).toBe(200)
      expect(body.openapi).toMatch(/^3\./)
      expect(Object.keys(body.paths)).toEqual(expect.arrayContaining([
        "/api/executions",
        "/api/executions/{id}",
        "/api/executions/{id}/history",
        "/api/executions/{id}/attempts",
        "/api/executions/{id}/cancel",
        "/api/executions/{id}/pause",
        "/api/executions/{id}/resume",
        "/api/executions/{id}/signals/{signal}",
        "/api/executions/{id}/events",
        "/api/events",
        "/api/prune",
        "/api/schedules",
        "/api/schedules/{id}/pause",
        "/api/schedules/{id}/resume",
        "/api/storage"
      ]))
    })

    it("cancels, pauses and resumes an execution", async () => {
      const { served } = await start()
      const paused = await Effect.runPromise(served.runner.submit("held"))
      const pause = await getJson(served.url, `/api/executions/${paused.executionId}/pause`, { method: "POST" })
      expect(pause.body).toEqual({ executionId: paused.executionId, status: "Paused" })
      const resume = await getJson(served.url, `/api/executions/${paused.executionId}/resume`, { method: "POST" })
      expect(resume.body.status).toBe("Running")
      const cancel = await getJson(served.url, `/api/executions/${paused.executionId}/cancel`, { method: "POST" })
      expect(cancel).toMatchObject({ status: 200, body: { status: "Cancelled" } })
      expect((await Effect.runPromise(served.runner.get(paused.executionId))).status).toBe("Cancelled")
    })

    it("sends a signal with its JSON payload; a second one is a conflict, a bad payload bad input", async () => {
      const { served } = await start()
      const handle = await Effect.runPromise(served.runner.submit("approval"))
      const path = `/api/executions/${handle.executionId}/signals/approved`
      const post = (body: unknown) =>
        getJson(served.url, path, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body)
        })
      expect((await post({ by: 42 })).status).toBe(400)
      expect((await post({ by: "grace" })).status).toBe(200)
      const result = await Effect.runPromise(handle.result)
      expect(result.finalContext).toEqual({ approved: { by: "grace" } })
      expect((await post({ by: "grace" })).status).toBe(409)
    })

    it("answers 404 for an unknown execution, 400 for bad input", async () => {
      const { served } = await start()
      for (const path of ["/api/executions/nope", "/api/executions/nope/history", "/api/executions/nope/events"]) {
        const { status, body } = await getJson(served.url, path)
        expect([path, status, body._tag]).toEqual([path, 404, "NotFound"])
      }
      expect((await getJson(served.url, "/api/executions/nope/cancel", { method: "POST" })).status).toBe(404)
      expect((await getJson(served.url, "/api/schedules/nope/pause", { method: "POST" })).status).toBe(404)
      expect((await getJson(served.url, "/api/executions?status=Bogus")).status).toBe(400)
      expect((await getJson(served.url, "/api/executions?limit=0")).status).toBe(400)
      const prune = await getJson(served.url, "/api/prune", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ olderThan: "-5 days" })
      })
      expect(prune).toMatchObject({ status: 400, body: { _tag: "BadRequest" } })
    })

    it("prunes finished executions older than a duration", async () => {
      const { served } = await start()
      await Effect.runPromise(served.runner.execute("quick"))
      const prune = (olderThan: string) =>
        getJson(served.url, "/api/prune", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ olderThan })
        })
      expect((await prune("1 day")).body).toEqual({ pruned: 0 })
      expect((await prune("0 millis")).body).toEqual({ pruned: 1 })
      expect((await getJson(served.url, "/api/executions")).body.executions).toEqual([])
    })

    it("lists, pauses and resumes schedules", async () => {
      const { served } = await start()
      const list = await getJson(served.url, "/api/schedules")
      expect(list.body).toMatchObject([{ id: "nightly", kind: "cron", workflow: "quick", paused: false }])
      const paused = await getJson(served.url, "/api/schedules/nightly/pause", { method: "POST" })
      expect(paused.body).toMatchObject({ id: "nightly", paused: true })
      const resumed = await getJson(served.url, "/api/schedules/nightly/resume", { method: "POST" })
      expect(resumed.body).toMatchObject({ id: "nightly", paused: false })
    })

    it("says how much is stored", async () => {
      const { served } = await start()
      await Effect.runPromise(served.runner.execute("quick"))
      await Effect.runPromise(served.runner.submit("held"))
      const { body } = await getJson(served.url, "/api/storage")
      expect(body).toMatchObject({ executions: { Completed: 1, Running: 1 }, total: 2 })
      expect(body.bytes).toBeGreaterThan(0)
    })

    it("streams an execution's events: a task completing arrives as TaskCompleted", async () => {
      const { hold, served } = await start()
      const handle = await Effect.runPromise(served.runner.submit("held"))
      const events = await readEvents(served.url, `/api/executions/${handle.executionId}/events`)
      try {
        expect(events.status).toBe(200)
        expect(events.headers.get("content-type")).toMatch(/^text\/event-stream/)
        await events.next((e) => e.event === "ready")
        hold.open()
        const completed = await events.next((e) => e.event === "TaskCompleted" && e.data.taskId === "right")
        expect(completed.data).toMatchObject({ executionId: handle.executionId, attempt: 1 })
        const finished = await events.next((e) => e.event === "ExecutionFinished")
        expect(finished.data.status).toBe("Completed")
      } finally {
        events.close()
      }
    })

    it("lets an event stream go when its client does, and ends open streams when it closes", async () => {
      const { served } = await start()
      const streams = async () => (await getJson(served.url, "/api/server")).body.streams as number
      const one = await readEvents(served.url, "/api/events")
      const two = await readEvents(served.url, "/api/events")
      await one.next((e) => e.event === "ready")
      await two.next((e) => e.event === "ready")
      expect(await streams()).toBe(2)
      one.close()
      await eventually(async () => (await streams()) === 1)
      const ended = two.end()
      await served.close()
      await ended // the server ended the stream: a client reading it sees its end
    })
  })
}

describe("serve API with a token", () => {
  let served: Served | undefined
  afterEach(async () => {
    await served?.close()
    served = undefined
  })

  it("refuses every request without the token or with a wrong one (401), takes the right one", async () => {
    served = await startServer({ storage: Storage.layerMemory, ...makeWorkflows(), token: "s3cret" })
    const paths = ["/api/executions", "/openapi.json", "/api/storage", "/api/schedules", "/api/events"]
    for (const path of paths) {
      expect([path, (await fetch(`${served.url}${path}`)).status]).toEqual([path, 401])
      const wrong = await fetch(`${served.url}${path}`, bearer("wrong"))
      expect([path, wrong.status]).toEqual([path, 401])
      await wrong.body?.cancel()
    }
    const cancel = await fetch(`${served.url}/api/executions/x/cancel`, { method: "POST" })
    expect(cancel.status).toBe(401)
    expect((await getJson(served.url, "/api/executions", bearer("s3cret"))).status).toBe(200)
    expect((await getJson(served.url, "/openapi.json", bearer("s3cret"))).status).toBe(200)
    const events = await readEvents(served.url, "/api/events", bearer("s3cret"))
    expect(events.status).toBe(200)
    events.close()
  })

  it("serves the bare page (no data in it) without the token, under a Content-Security-Policy with a nonce", async () => {
    served = await startServer({ storage: Storage.layerMemory, ...makeWorkflows(), token: "s3cret" })
    const response = await fetch(`${served.url}/`)
    expect(response.status).toBe(200)
    const csp = response.headers.get("content-security-policy") ?? ""
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1]
    expect(nonce).toBeDefined()
    expect(csp).toBe(contentSecurityPolicy(nonce!))
    expect(csp).not.toContain("unsafe-inline")
    const html = await response.text()
    expect(html).toContain(`<script nonce="${nonce}">`)
    const again = await fetch(`${served.url}/`)
    expect(again.headers.get("content-security-policy")).not.toBe(csp)
  })
})

describe("serve API against other sites (CSRF, DNS rebinding)", () => {
  let served: Served | undefined
  afterEach(async () => {
    await served?.close()
    served = undefined
  })

  it("refuses a form or a request from another origin that would change something (403, 415)", async () => {
    served = await startServer({ storage: Storage.layerMemory, ...makeWorkflows() })
    await Effect.runPromise(served.runner.execute("quick"))
    const host = new URL(served.url).host
    const form = { "content-type": "application/x-www-form-urlencoded" }
    const fromEvil = await raw(served.url, "/api/prune", {
      method: "POST",
      headers: { ...form, origin: "https://evil.example" },
      body: "olderThan=0+millis"
    })
    expect(fromEvil).toMatchObject({ status: 403, body: { _tag: "Forbidden" } })
    const asForm = await raw(served.url, "/api/prune", { method: "POST", headers: form, body: "olderThan=0+millis" })
    expect(asForm).toMatchObject({ status: 415, body: { _tag: "UnsupportedMediaType" } })
    const asText = await raw(served.url, "/api/prune", {
      method: "POST",
      headers: { "content-type": "text/plain", origin: `http://${host}` },
      body: JSON.stringify({ olderThan: "0 millis" })
    })
    expect(asText.status).toBe(415)
    const json = { "content-type": "application/json" }
    const jsonFromEvil = await raw(served.url, "/api/prune", {
      method: "POST",
      headers: { ...json, origin: "http://evil.example" },
      body: JSON.stringify({ olderThan: "0 millis" })
    })
    expect(jsonFromEvil.status).toBe(403)
    const cancelFromNull = await raw(served.url, "/api/executions/x/cancel", {
      method: "POST",
      headers: { origin: "null" }
    })
    expect(cancelFromNull.status).toBe(403)
    expect((await getJson(served.url, "/api/executions")).body.executions).toHaveLength(1) // nothing pruned
    const own = await raw(served.url, "/api/prune", {
      method: "POST",
      headers: { ...json, origin: `http://${host}` },
      body: JSON.stringify({ olderThan: "0 millis" })
    })
    expect(own).toMatchObject({ status: 200, body: { pruned: 1 } })
  })

  it("answers only for its own names: another Host is 403, the page included (DNS rebinding)", async () => {
    served = await startServer({ storage: Storage.layerMemory, ...makeWorkflows() })
    const port = new URL(served.url).port
    for (const path of ["/", "/api/executions", "/api/server", "/openapi.json"]) {
      const evil = await raw(served.url, path, { headers: { host: `evil.example:${port}` } })
      expect([path, evil.status, evil.body?._tag]).toEqual([path, 403, "Forbidden"])
      const otherPort = await raw(served.url, path, { headers: { host: "127.0.0.1:1" } })
      expect([path, otherPort.status]).toEqual([path, 403])
    }
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`]) {
      const ok = await raw(served.url, "/api/server", { headers: { host } })
      expect([host, ok.status]).toEqual([host, 200])
    }
  })

  it("on a host that is not loopback, takes any Host only with a token", () => {
    const local = { host: "127.0.0.1", port: 8080 }
    expect(hostAllowed(local, "127.0.0.1:8080")).toBe(true)
    expect(hostAllowed(local, "localhost:8080")).toBe(true)
    expect(hostAllowed(local, "[::1]:8080")).toBe(true)
    expect(hostAllowed({ ...local, token: "t" }, "evil.example:8080")).toBe(false)
    expect(hostAllowed(local, undefined)).toBe(false)
    expect(hostAllowed({ host: "::1", port: 80 }, "[::1]")).toBe(true)
    const lan = { host: "192.168.1.5", port: 8080 }
    expect(hostAllowed(lan, "192.168.1.5:8080")).toBe(true)
    expect(hostAllowed(lan, "localhost:8080")).toBe(true)
    expect(hostAllowed(lan, "box.lan:8080")).toBe(false)
    expect(hostAllowed({ ...lan, token: "t" }, "box.lan:8080")).toBe(true)
    expect(hostAllowed({ host: "0.0.0.0", port: 8080, token: "t" }, "box.lan:8080")).toBe(true)
    expect(hostAllowed({ host: "0.0.0.0", port: 8080 }, "box.lan:8080")).toBe(false)
    expect(sameOrigin("http://box.lan:8080", "box.lan:8080")).toBe(true)
    expect(sameOrigin("http://box.lan", "box.lan:80")).toBe(true)
    expect(sameOrigin("http://box.lan:8081", "box.lan:8080")).toBe(false)
    expect(sameOrigin("null", "box.lan:8080")).toBe(false)
  })

  it("says what is stored from the storage's footprint alone: without one, it lists nothing", async () => {
    let listed = 0
    const bare = Layer.effect(
      Storage,
      Effect.map(Storage, (storage) => ({
        ...storage,
        footprint: undefined,
        executions: (filter: Parameters<typeof storage.executions>[0]) => {
          listed++
          return storage.executions(filter)
        }
      }))
    ).pipe(Layer.provide(Storage.layerMemory))
    served = await startServer({ storage: bare, ...makeWorkflows() })
    await Effect.runPromise(served.runner.execute("quick"))
    const before = listed
    const { status, body } = await getJson(served.url, "/api/storage")
    expect(status).toBe(200)
    expect(body).toEqual({ executions: {} })
    expect(listed).toBe(before)
  })
})

describe("serve events", () => {
  it("tells a client that fell behind how many events it lost (event: dropped)", async () => {
    const text = await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const hub = yield* makeEventHub(3)
      const pull = yield* Stream.toPull(eventStream(hub, () => true).pipe(Stream.decodeText()))
      let read = ""
      while (!read.includes("event: ready")) read += Chunk.join(yield* pull, "")
      const started = (i: number) => ({
        _tag: "ExecutionStarted" as const,
        executionId: `e${i}`,
        workflowName: "w",
        resumed: false,
        at: new Date(0)
      })
      yield* hub.publish(Array.from({ length: 10 }, (_, i) => started(i) as never))
      while (!read.includes("\"e9\"")) read += Chunk.join(yield* pull, "")
      return read
    })))
    const names = [...text.matchAll(/^event: (.*)$/gm)].map((m) => m[1])
    expect(names).toEqual(["ready", "dropped", "ExecutionStarted", "ExecutionStarted", "ExecutionStarted"])
    expect(text).toContain(`event: dropped\ndata: {"count":7}\n\n`)
    expect(text).toContain(`"executionId":"e7"`)
  })
})
