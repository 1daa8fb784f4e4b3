/**
 * Text read from storage is untrusted: a task's error, a context key or value, an idempotency
 * key can carry terminal control sequences. `show`, `history` and `list` print them visible
 * (`␛`, `\u009b`), never raw, on a terminal or not; `--json` parses to the same text.
 */
import { Effect, Layer, ManagedRuntime } from "effect"
import { join } from "node:path"
import { Runner, Storage } from "sluice"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { CLEAR, hostile, TITLE } from "../fixtures/cli-hostile.js"
import { sluice, sluiceJson, sluiceOnTerminal, tempFolder } from "./helpers.js"

const temp = tempFolder()
const file = join(temp.dir, "hostile.db")
const storage = ["--storage", file]
const KEY = `order-7${CLEAR}${TITLE}`
let id: string

beforeAll(async () => {
  const runtime = ManagedRuntime.make(
    Runner.layer({ workflows: [hostile], recover: false }).pipe(
      Layer.provideMerge(Storage.layerSqlite({ filename: file }))
    )
  )
  try {
    const result = await runtime.runPromise(Effect.flatMap(
      Runner,
      (r) => Effect.flatMap(r.submit(hostile, {}, { idempotencyKey: KEY }), (h) => h.result)
    ))
    expect(result.status).toBe("Failed")
    id = result.executionId
  } finally {
    await runtime.dispose()
  }
})

afterAll(() => temp.remove())

/** Any C0 or C1 control character but the newlines between lines. */
const CONTROLS = /[\x00-\x09\x0b-\x1f\x7f-\x9f]/

describe("text from storage, printed", () => {
  it("show, show --timeline, history, list: control characters made visible, off a terminal", async () => {
    const outputs = await Promise.all([
      sluice(["show", id, ...storage]),
      sluice(["show", id, "--timeline", ...storage]),
      sluice(["history", id, ...storage]),
      sluice(["list", ...storage])
    ])
    for (const out of outputs) {
      expect(out.code).toBe(0)
      expect(out.stdout).not.toMatch(CONTROLS)
    }
    const [show, , history] = outputs
    expect(show.stdout).toContain("error: bad ␛]0;pwned␇ then ␛[2J and \\u009b31m")
    expect(show.stdout).toMatch(/key +order-7␛\[2J␛\]0;pwned␇/)
    expect(show.stdout).toContain("↳ key␛[2J = \"value\\u009b31m\"")
    expect(history.stdout).toContain("explode #1: bad ␛]0;pwned␇ then ␛[2J")
  })

  it("show on a terminal, with colour: ours only, none of the execution's sequences", async () => {
    const shown = sluiceOnTerminal(["show", id, ...storage])
    try {
      expect(await shown.exited).toBe(0)
      const out = shown.output()
      expect(out).toContain("\x1b[31m") // our red, for the error
      expect(out).toContain("␛]0;pwned␇")
      for (const raw of [TITLE, CLEAR, "\u009b", "\x1b]"]) expect(out).not.toContain(raw)
    } finally {
      await shown.stop()
    }
  })

  it("an error's line on stderr is made safe too", async () => {
    const unknown = await sluice(["show", `nope${TITLE}`, ...storage])
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toBe("sluice: unknown execution \"nope␛]0;pwned␇\"\n")
  })

  it("--json: the same text once parsed, with C1 and DEL escaped as well as C0", async () => {
    const raw = await sluice(["show", id, "--json", ...storage])
    expect(raw.code).toBe(0)
    expect(raw.stdout).not.toMatch(CONTROLS)
    const view = JSON.parse(raw.stdout)
    expect(view.info.idempotencyKey).toBe(KEY)
    expect(view.tasks[0].wrote).toEqual({ [`key${CLEAR}`]: "value\u009b31m" })
    const events = await sluiceJson(["history", id, ...storage])
    expect(events.find((e: any) => e._tag === "TaskFailed").error).toContain(TITLE)
  })
})
