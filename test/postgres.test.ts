/** PostgreSQL specifics: runners sharing a database, connection errors that say why, tenants. */
import { describe, expect, it } from "@effect/vitest"
import { Context, Deferred, Effect, Fiber, Layer, Option, Stream } from "effect"
import type { ExecutionRow } from "sluice"
import { emptyBatch, isFenced, Runner, Storage, Task, Workflow } from "sluice"
import { freshDatabaseUrl, PG_ADMIN_URL, postgresAvailable } from "./support/postgres.js"
import { withRunnerOn } from "./support/runner.js"

const pg = await postgresAvailable()
const wf = Workflow.make({ name: "tiny", tasks: [Task.make({ id: "t", run: (ctx) => ctx.set("t", 1) })] })

const withUrl = (base: string, change: (url: URL) => void) => {
  const url = new URL(base)
  change(url)
  return url.toString()
}

describe.skipIf(!pg)("PostgreSQL storage", () => {
  it.scopedLive(
    "runners share a database: one submits, another runs; results, events and controls cross over",
    () =>
      Effect.gen(function*() {
        const { url } = yield* freshDatabaseUrl
        const gate = yield* Deferred.make<void>()
        const ran: Array<string> = []
        const first = Task.make({ id: "first", run: (ctx) => void ran.push(ctx.executionId) })
        const held = Task.make({ id: "held", dependencies: [first], run: () => Deferred.await(gate) })
        const shared = Workflow.make({ name: "shared", tasks: [first, held] })
        const storage = Storage.layerPostgres({ url })
        const outcome = yield* withRunnerOn(storage, { workflows: [shared], runnerId: "worker-1" }, (worker) =>
          withRunnerOn(storage, { workflows: [shared], worker: false, runnerId: "front" }, (front) =>
            Effect.gen(function*() {
              // Submitted by a runner that runs nothing: the worker takes it, and its result and
              // events reach the submitter.
              const handle = yield* front.submit("shared", { n: 1 })
              const events = yield* Effect.fork(Stream.runCollect(handle.events))
              yield* Deferred.succeed(gate, undefined)
              const result = yield* handle.result
              // A pause and a resume from the front reach the worker's running execution.
              const gate2 = yield* Deferred.make<void>()
              const slow = Task.make({
                id: "slow",
                run: () =>
                  Deferred.await(gate2)
              })
              const wf2 = Workflow.make({ name: "controlled", tasks: [slow] })
              yield* worker.register(wf2)
              yield* front.register(wf2)
              const second = yield* front.submit("controlled")
              yield* front.cancel(second.executionId)
              const cancelled = yield* second.result
              return { result, events: [...(yield* Fiber.join(events))], cancelled, mine: yield* worker.list() }
            })))
        expect(outcome.result.status).toBe("Completed")
        expect(outcome.result.tasks.map((t) =>
          t.runnerId
        )).toEqual(["worker-1", "worker-1"])
        expect(ran).toEqual([outcome.result.executionId])
        expect(outcome.events.map((e) =>
          e._tag
        )).toEqual([
          "ExecutionStarted",
          "ExecutionStarted",
          "TaskStarted",
          "TaskCompleted",
          "TaskStarted",
          "TaskCompleted",
          "ExecutionFinished"
        ])
        expect(outcome.events[1]).toMatchObject({ resumed: true, runnerId: "worker-1", reason: "waiting for a runner" })
        expect(outcome.cancelled.status).toBe("Cancelled")
        expect(outcome.mine).toHaveLength(2)
        // A runner that runs nothing needs a database shared with runners that do.
        const alone = yield* Effect.flip(withRunnerOn(Storage.layerMemory, { worker: false }, (r) => r.list()))
        expect(alone).toMatchObject({ _tag: "InvalidOptionError", option: "worker" })
      }),
    30_000
  )

  it.scopedLive("fencing: a runner whose execution was taken over writes nothing to it", () =>
    Effect.gen(function*() {
      const { url } = yield* freshDatabaseUrl
      const storage = Context.get(yield* Layer.build(Storage.layerPostgres({ url })), Storage)
      const fleet = storage.fleet!
      const row: ExecutionRow = {
        id: "e1",
        workflowName: "tiny",
        workflowVersion: "v",
        status: "Running",
        input: {},
        errorMessage: null,
        idempotencyKey: null,
        taskCount: 1,
        createdAt: 0,
        completedAt: null
      }
      const round = (n: number, attempt: number) => ({
        executionId: "e1",
        round: n,
        entries: [{ _tag: "TaskStarted" as const, at: n, taskId: "t", attempt }]
      })
      // Runner a creates it, owned with token 1, then stops renewing its lease (it has none here).
      yield* storage.commit({ ...emptyBatch, executions: [row], fences: [{ executionId: "e1", token: 1 }], owner: "a" })
      yield* fleet.heartbeat("b", 60_000, true, ["tiny v"])
      const taken = yield* fleet.adopt("b", ["tiny v"], 10, [], "orphaned")
      expect(taken).toEqual([{ executionId: "e1", token: 2, previousOwner: "a" }])
      // a's late commit is refused, whole; b's goes through.
      const stale = yield* Effect.flip(
        storage.commit({ ...emptyBatch, rounds: [round(1, 1)], fences: [{ executionId: "e1", token: 1 }], owner: "a" })
      )
      expect(isFenced(stale)).toBe(true)
      yield* storage.commit({
        ...emptyBatch,
        rounds: [round(1, 2)],
        fences: [{ executionId: "e1", token: 2 }],
        owner: "b"
      })
      expect((yield* storage.journal("e1")).entries).toEqual([round(1, 2).entries[0]])
      // A live owner keeps it: nobody else adopts it.
      expect(yield* fleet.adopt("c", ["tiny v"], 10, [], "orphaned")).toEqual([])
      expect(yield* fleet.adoptOne("c", "e1")).toEqual(Option.none())
    }))

  it.live("a connection failure says why", () =>
    Effect.gen(function*() {
      const open = (url: string) =>
        Effect.flip(Effect.scoped(Layer.build(Runner.layer({}).pipe(Layer.provide(Storage.layerFromUrl(url))))))
      const noDatabase = yield* open(withUrl(PG_ADMIN_URL, (u) => void (u.pathname = "/sluice_no_such_database")))
      expect(noDatabase.message).toContain("database \"sluice_no_such_database\" does not exist")
      const noRole = yield* open(withUrl(PG_ADMIN_URL, (u) => void (u.username = "sluice_no_such_role")))
      expect(noRole.message).toContain("sluice_no_such_role")
      const refused = yield* open(withUrl(PG_ADMIN_URL, (u) => void (u.port = "1")))
      expect(refused.message).toContain("ECONNREFUSED")
      expect(refused.message).toContain(":1")
    }))

  it.scopedLive("tenants: each PostgreSQL schema holds its own executions", () =>
    Effect.gen(function*() {
      const { url } = yield* freshDatabaseUrl
      const tenant = (schema: string) => withUrl(url, (u) => u.searchParams.set("schema", schema))
      const a = yield* withRunnerOn(Storage.layerFromUrl(tenant("tenant_a")), [wf], (r) => r.execute(wf, { who: "a" }))
      const b = yield* withRunnerOn(Storage.layerFromUrl(tenant("Tenant_B")), [wf], (r) => r.execute(wf, { who: "b" }))
      const listA = yield* withRunnerOn(Storage.layerFromUrl(tenant("tenant_a")), [], (r) => r.list())
      const listB = yield* withRunnerOn(Storage.layerFromUrl(tenant("Tenant_B")), [], (r) => r.list())
      expect(listA.map((e) => e.executionId)).toEqual([a.executionId])
      expect(listB.map((e) => e.executionId)).toEqual([b.executionId])
      const bad = yield* Effect.flip(withRunnerOn(Storage.layerFromUrl(tenant("no-dashes")), [], (r) => r.list()))
      expect(bad).toMatchObject({ _tag: "InvalidStorageUrlError" })
    }))
})
