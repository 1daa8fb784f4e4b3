/** The Promise facade, for callers outside Effect. */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { ExecutionEvent } from "sluice"
import {
  DefaultRunner,
  InvalidOptionError,
  InvalidStorageUrlError,
  RunnerShutdownError,
  Task,
  Workflow,
  WorkflowNotFoundError
} from "sluice"
import { afterAll, describe, expect, it } from "vitest"

const dir = mkdtempSync(join(tmpdir(), "sluice-facade-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const pipeline = () => {
  const extract = Task.make({ id: "extract", run: (ctx) => ctx.set("rows", [1, 2, 3]) })
  const transform = Task.make({
    id: "transform",
    dependencies: [extract],
    run: async (ctx) => ctx.set("doubled", (ctx.get("rows") as Array<number>).map((x) => x * 2))
  })
  return Workflow.make({ name: "pipeline", tasks: [extract, transform] })
}

describe("DefaultRunner", () => {
  it("executes by name or by value and shuts down", async () => {
    const runner = await DefaultRunner.make("sqlite://:memory:", { workflows: [pipeline()], maxConcurrentTasks: 2 })
    try {
      const byName = await runner.execute("pipeline", { tutorial: "03" })
      expect(byName.status).toBe("Completed")
      expect(byName.finalContext).toEqual({ tutorial: "03", rows: [1, 2, 3], doubled: [2, 4, 6] })
      const byValue = await runner.execute(pipeline())
      expect(byValue.status).toBe("Completed")
      expect((await runner.list()).map((e) => e.executionId)).toEqual([byValue.executionId, byName.executionId])
    } finally {
      await runner.shutdown()
    }
    await expect(runner.execute("pipeline")).rejects.toBeInstanceOf(RunnerShutdownError)
    await expect(runner.list()).rejects.toThrow("the runner was shut down")
  })

  it("rejects with the typed error values", async () => {
    const runner = await DefaultRunner.make("memory://", { workflows: [pipeline()] })
    try {
      const error = await runner.execute("missing").catch((e: unknown) => e)
      expect(error).toBeInstanceOf(WorkflowNotFoundError)
      expect((error as WorkflowNotFoundError).workflowName).toBe("missing")
      expect((error as Error).message).toBe("unknown workflow \"missing\" (registered: pipeline)")
    } finally {
      await runner.shutdown()
    }
    await expect(DefaultRunner.make("redis://localhost")).rejects.toBeInstanceOf(InvalidStorageUrlError)
    await expect(DefaultRunner.make("sqlite://:memory:", { maxConcurrentTasks: 0 })).rejects.toBeInstanceOf(
      InvalidOptionError
    )
  })

  it("submit gives a handle with the result, the events and cancel", async () => {
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    const waits = Task.make({ id: "waits", run: () => gate })
    const wf = Workflow.make({ name: "gated", tasks: [waits] })
    const runner = await DefaultRunner.make("sqlite://:memory:", { workflows: [wf] })
    try {
      const handle = await runner.submit("gated")
      expect(await runner.status(handle.executionId)).toBe("Running")
      release()
      const result = await handle.result
      expect(result.status).toBe("Completed")
      const events: Array<ExecutionEvent["_tag"]> = []
      for await (const event of handle.events) events.push(event._tag)
      expect(events).toEqual(["ExecutionStarted", "TaskStarted", "TaskCompleted", "ExecutionFinished"])

      const never = Workflow.make({
        name: "never",
        tasks: [Task.make({ id: "hang", run: () => new Promise(() => {}) })]
      })
      const hanging = await runner.submit(never)
      await hanging.cancel()
      expect((await hanging.result).status).toBe("Cancelled")
    } finally {
      await runner.shutdown()
    }
  })

  it.each([
    ["a bare path", () => join(dir, "bare.db")],
    ["sqlite:///absolute", () => `sqlite://${join(dir, "absolute.db")}`],
    ["sqlite://relative", () => {
      process.chdir(dir)
      return "sqlite://relative.db"
    }]
  ])("keeps results across a restart on %s", async (_, url) => {
    const cwd = process.cwd()
    try {
      const first = await DefaultRunner.make(url(), { workflows: [pipeline()] })
      const result = await first.execute("pipeline")
      await first.shutdown()
      const second = await DefaultRunner.make(url(), { workflows: [pipeline()] })
      try {
        const { idempotencyKey: _k, input: _i, ...stored } = await second.get(result.executionId)
        expect(stored).toEqual(result)
        expect(await second.result(result.executionId)).toEqual(result)
      } finally {
        await second.shutdown()
      }
    } finally {
      process.chdir(cwd)
    }
  })

  it("lists its workflows and streams every execution's events as an async iterable", async () => {
    const runner = await DefaultRunner.make("memory://", { workflows: [pipeline()] })
    try {
      expect(await runner.workflows()).toEqual(["pipeline"])
      const iterator = runner.events[Symbol.asyncIterator]()
      // The stream subscribes on its first pull: run executions until it delivers an event.
      const first = iterator.next()
      let delivered = false
      void first.then(() => (delivered = true))
      for (let i = 0; i < 100 && !delivered; i++) await runner.execute("pipeline")
      await first
      // From then on, every event of a new execution arrives, in order.
      const next = await runner.execute("pipeline")
      const tags: Array<string> = []
      for (;;) {
        const event = (await iterator.next()).value as ExecutionEvent
        if (event.executionId !== next.executionId) continue
        tags.push("taskId" in event ? `${event._tag}:${event.taskId}` : event._tag)
        if (event._tag === "ExecutionFinished") break
      }
      await iterator.return?.()
      expect(tags).toEqual([
        "ExecutionStarted",
        "TaskStarted:extract",
        "TaskCompleted:extract",
        "TaskStarted:transform",
        "TaskCompleted:transform",
        "ExecutionFinished"
      ])
    } finally {
      await runner.shutdown()
    }
  })

  it("at shutdown, every pending call rejects with RunnerShutdownError and every event loop ends", async () => {
    const never = Workflow.make({
      name: "never",
      tasks: [Task.make({ id: "wait", run: () => new Promise<void>(() => {}) })]
    })
    const runner = await DefaultRunner.make("memory://", { workflows: [never] })
    const handle = await runner.submit("never")
    const pending = runner.execute("never").catch((e: unknown) => e)
    const result = handle.result.catch((e: unknown) => e)
    const loop = async (events: AsyncIterable<unknown>) => {
      let n = 0
      for await (const _ of events) n++
      return n
    }
    const all = loop(runner.events)
    const own = loop(handle.events)
    await new Promise((resolve) => setTimeout(resolve, 50))
    await runner.shutdown()
    expect(await pending).toBeInstanceOf(RunnerShutdownError)
    expect(await result).toBeInstanceOf(RunnerShutdownError)
    // Both loops end (they would hang the test otherwise); the handle's saw the start.
    expect(await all).toBeGreaterThanOrEqual(0)
    expect(await own).toBeGreaterThanOrEqual(2)
  })
})
