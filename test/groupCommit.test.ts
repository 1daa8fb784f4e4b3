/**
 * Group commit (internal/storage/groupCommit.ts): concurrent commits are written together, and
 * when a group's write fails, each batch is written on its own, so that only the bad one fails.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import type { Batch } from "sluice"
import { emptyBatch, StorageError } from "sluice"
import * as GroupCommit from "../src/internal/storage/groupCommit.js"

const batch = (executionId: string): Batch => ({
  ...emptyBatch,
  rounds: [{ executionId, round: 1, entries: [] }]
})

describe("group commit", () => {
  it.live("writes concurrent commits in groups; a bad batch fails alone", () =>
    Effect.gen(function*() {
      const writes: Array<ReadonlyArray<string>> = []
      const commit = yield* GroupCommit.make((b) =>
        Effect.suspend(() => {
          const ids = b.rounds.map((r) => r.executionId)
          writes.push(ids)
          // An asynchronous write, as a database's: others arrive while it runs.
          return Effect.zipRight(
            Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 2))),
            ids.includes("bad")
              ? Effect.fail(new StorageError({ operation: "commit", cause: new Error("constraint violated") }))
              : Effect.void
          )
        })
      )
      const ids = [
        ...Array.from({ length: 30 }, (_, i) => `e${i}`),
        "bad",
        ...Array.from({ length: 30 }, (_, i) => `f${i}`)
      ]
      const exits = yield* Effect.forEach(ids, (id) => Effect.exit(commit(batch(id))), { concurrency: "unbounded" })
      for (const [i, id] of ids.entries()) {
        if (id === "bad") expect(Exit.isFailure(exits[i]) && String(exits[i].cause)).toContain("constraint violated")
        else expect(Exit.isSuccess(exits[i])).toBe(true)
      }
      // Grouped: far fewer writes than commits, once the bad group is split.
      expect(writes.some((w) => w.length > 10)).toBe(true)
      const written = new Set(writes.filter((w) => !w.includes("bad") || w.length === 1).flat())
      expect(written.size).toBe(ids.length)
    }))
})
