/**
 * Group commit with a leader (see docs/ARCHITECTURE.md): the first caller to find no write in
 * progress leads: it writes every batch waiting at that moment, its own included, in one go.
 * Callers that arrive meanwhile wait; when the write ends, each learns its outcome, and the
 * first of those that arrived during it becomes the next leader and writes all of them at once.
 * A group whose write fails is written again batch by batch, so that a bad batch fails alone
 * and the others of its group are committed.
 * Uncontended, a commit runs inline, without a hop to another fiber; under load, one write
 * carries the rounds of many executions, and a caller whose batch is written waits for nothing
 * else.
 */
import { Deferred, Effect, Exit, FiberId } from "effect"
import { StorageError } from "../../Errors.js"
import type { Batch, ExecutionUpdate } from "./service.js"
import { Fenced } from "./service.js"

/** One batch holding all of them; for an execution updated twice, the later update wins. */
export const mergeBatches = (batches: ReadonlyArray<Batch>): Batch => {
  if (batches.length === 1) return batches[0]
  const updates = new Map<string, ExecutionUpdate>()
  for (const b of batches) for (const u of b.executionUpdates) updates.set(u.id, u)
  const fences = batches.flatMap((b) => b.fences ?? [])
  const offers = batches.flatMap((b) => b.offers ?? [])
  const dequeued = batches.flatMap((b) => b.dequeued ?? [])
  const followed = batches.flatMap((b) => b.followed ?? [])
  return {
    executions: batches.flatMap((b) => b.executions),
    executionUpdates: [...updates.values()],
    rounds: batches.flatMap((b) => b.rounds),
    // One runner's batches: one owner.
    ...(fences.length === 0 ? {} : { fences, owner: batches.find((b) => b.owner !== undefined)?.owner }),
    ...(offers.length === 0 ? {} : { offers }),
    ...(dequeued.length === 0 ? {} : { dequeued }),
    ...(followed.length === 0 ? {} : { followed })
  }
}

/** What a waiting caller learns: its batch was written (or failed), or it is to lead. */
type Signal = "written" | "lead"

interface Waiting {
  readonly batch: Batch
  readonly signal: Deferred.Deferred<Signal, StorageError>
  /** Told to lead. */
  next: boolean
}

/**
 * A batch's outcome from its group's: refused when the write refused one of its executions (see
 * `Batch.fences`).
 */
const outcomeOf = (batch: Batch, exit: Exit.Exit<ReadonlyArray<string> | void, StorageError>) => {
  if (Exit.isFailure(exit)) return exit
  const refused = exit.value
  if (refused === undefined || refused.length === 0 || batch.fences === undefined) return Exit.void
  const mine = batch.fences.filter((f) => refused.includes(f.executionId)).map((f) => f.executionId)
  return mine.length === 0
    ? Exit.void
    : Exit.fail(new StorageError({ operation: "commit", cause: new Fenced({ executionIds: mine }) }))
}

export const make = (
  write: (batch: Batch) => Effect.Effect<ReadonlyArray<string> | void, StorageError>
): Effect.Effect<(batch: Batch) => Effect.Effect<void, StorageError>> =>
  Effect.sync(() => {
    const waiting: Array<Waiting> = []
    let leading = false
    // Whether to take a turn of the scheduler before writing: worth it while other executions'
    // rounds join (groups of more than one); tried again now and then when they did not.
    let gathering = true
    let lastProbe = 0

    const passLead = () => {
      const first = waiting[0]
      if (first === undefined) {
        leading = false
        return
      }
      first.next = true
      Deferred.unsafeDone(first.signal, Exit.succeed("lead"))
    }

    /** Writes the group (if that fails, each batch on its own), tells each its outcome; the leader's is returned. */
    const writeGroup = (group: ReadonlyArray<Waiting>, own: Waiting) => {
      let mine: Exit.Exit<void, StorageError> = Exit.void
      const answer = (w: Waiting, written: Exit.Exit<ReadonlyArray<string> | void, StorageError>) => {
        const exit = outcomeOf(w.batch, written)
        if (w === own) mine = exit
        else Deferred.unsafeDone(w.signal, Exit.as(exit, "written" as const))
      }
      // Suspended: a driver that throws (a string too long to build) is an answer like any other.
      const attempt = (batch: Batch) => Effect.exit(Effect.suspend(() => write(batch)))
      return Effect.flatMap(attempt(mergeBatches(group.map((w) => w.batch))), (exit) => {
        if (Exit.isSuccess(exit) || group.length === 1) {
          for (const w of group) answer(w, exit)
          return Effect.sync(() => mine)
        }
        return Effect.zipRight(
          Effect.forEach(group, (w) => Effect.map(attempt(w.batch), (one) => answer(w, one)), {
            discard: true
          }),
          Effect.sync(() => mine)
        )
      })
    }

    // Uninterruptible: a leader stopped half-way would leave its group without an answer.
    const lead: Effect.Effect<void, StorageError> = Effect.uninterruptible(Effect.suspend(() => {
      // The leader's own batch is the first waiting: a new leader pushed it to an empty queue,
      // and a lead is handed to the first one waiting.
      const own = waiting[0]
      const group = waiting.splice(0)
      gathering = group.length > 1
      return writeGroup(group, own).pipe(Effect.ensuring(Effect.sync(passLead)), Effect.flatten)
    }))

    return (batch: Batch) =>
      Effect.suspend(() => {
        const entry: Waiting = { batch, signal: Deferred.unsafeMake(FiberId.none), next: false }
        waiting.push(entry)
        if (!leading) {
          leading = true
          // One turn of the scheduler first, so that rounds other fibers are about to commit join.
          const now = Date.now()
          if (!gathering && now - lastProbe < 5) return lead
          lastProbe = now
          // Uninterruptible from here: a leader interrupted before it wrote would leave every later
          // commit waiting for a lead that never comes.
          return Effect.uninterruptible(Effect.zipRight(Effect.yieldNow(), lead))
        }
        return Effect.uninterruptibleMask((restore) =>
          restore(Deferred.await(entry.signal)).pipe(
            Effect.onInterrupt(() =>
              Effect.sync(() => {
                // Gone before its batch was taken: take it out, and hand on a lead it was given.
                const at = waiting.indexOf(entry)
                if (at >= 0) waiting.splice(at, 1)
                if (entry.next) passLead()
              })
            ),
            Effect.flatMap((signal) => (signal === "lead" ? lead : Effect.void))
          )
        )
      })
  })
