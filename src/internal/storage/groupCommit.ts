/**
 * Group commit with a leader (see docs/ARCHITECTURE.md): a caller that gets the writer's permit
 * writes every batch waiting at that moment, its own included, in one go; callers whose batch
 * that leader wrote find it done. Uncontended, a commit runs inline, without a hop to another
 * fiber; under load, one transaction carries the rounds of many executions.
 */
import { Deferred, Effect, FiberId } from "effect"
import type { StorageError } from "../../Errors.js"
import type { Batch, ExecutionUpdate } from "./service.js"

/** One batch holding all of them; for an execution updated twice, the later update wins. */
export const mergeBatches = (batches: ReadonlyArray<Batch>): Batch => {
  if (batches.length === 1) return batches[0]
  const updates = new Map<string, ExecutionUpdate>()
  for (const b of batches) for (const u of b.executionUpdates) updates.set(u.id, u)
  return {
    executions: batches.flatMap((b) => b.executions),
    executionUpdates: [...updates.values()],
    rounds: batches.flatMap((b) => b.rounds)
  }
}

interface Waiting {
  readonly batch: Batch
  readonly done: Deferred.Deferred<void, StorageError>
}

export const make = (
  write: (batch: Batch) => Effect.Effect<void, StorageError>
): Effect.Effect<(batch: Batch) => Effect.Effect<void, StorageError>> =>
  Effect.map(Effect.makeSemaphore(1), (writer) => {
    const waiting: Array<Waiting> = []
    const writeWaiting = Effect.suspend(() => {
      if (waiting.length === 0) return Effect.void
      const group = waiting.splice(0)
      return write(mergeBatches(group.map((w) => w.batch))).pipe(
        Effect.exit,
        Effect.map((exit) => {
          for (const w of group) Deferred.unsafeDone(w.done, exit)
        })
      )
    })
    return (batch: Batch) =>
      Effect.suspend(() => {
        const done = Deferred.unsafeMake<void, StorageError>(FiberId.none)
        waiting.push({ batch, done })
        // Uninterruptible: a leader stopped half-way would leave the others of its group waiting.
        return Effect.zipRight(writer.withPermits(1)(Effect.uninterruptible(writeWaiting)), Deferred.await(done))
      })
  })
