/**
 * Retention: finished executions older than a duration are deleted with all their rows, on
 * demand (`runner.prune`) or in the background (`Runner.layer({ retention })`).
 */
import type { Scope } from "effect"
import { Clock, Duration, Effect, Either, Schedule } from "effect"
import type { StorageError } from "../../Errors.js"
import { InvalidOptionError } from "../../Errors.js"
import type { FinalStatus } from "../../Status.js"
import { decodeDuration } from "../duration.js"
import type { StorageService } from "../storage/service.js"

/**
 * @since 0.2.0
 * @category models
 */
export interface PruneOptions {
  /** Finished longer ago than this (measured from their end). */
  readonly olderThan: Duration.DurationInput
  /** Only executions that ended so; default: every finished one. */
  readonly status?: FinalStatus | ReadonlyArray<FinalStatus> | undefined
}

/**
 * @since 0.2.0
 * @category models
 */
export interface RetentionOptions extends PruneOptions {
  /** How often the runner prunes; default every minute. */
  readonly every?: Duration.DurationInput | undefined
}

const duration = (option: string, input: unknown, positive: boolean) => {
  const decoded = decodeDuration(input, { positive })
  return Either.isLeft(decoded)
    ? Effect.fail(new InvalidOptionError({ option, detail: decoded.left }))
    : Effect.succeed(decoded.right)
}

const statuses = (status: PruneOptions["status"]) =>
  status === undefined ? undefined : typeof status === "string" ? [status] : status

export const prune = (
  storage: StorageService,
  options: PruneOptions
): Effect.Effect<number, StorageError | InvalidOptionError> =>
  Effect.gen(function*() {
    const olderThan = yield* duration("olderThan", options?.olderThan, false)
    const now = yield* Clock.currentTimeMillis
    const status = statuses(options.status)
    if (status?.some((s) => s !== "Completed" && s !== "Failed" && s !== "Cancelled")) {
      return yield* new InvalidOptionError({ option: "status", detail: "only finished statuses can be pruned" })
    }
    return yield* storage.prune(now - Duration.toMillis(olderThan), status)
  })

/** With `retention`, prunes in the background for as long as the scope (the runner) lives. */
export const retain = (
  storage: StorageService,
  options: RetentionOptions | undefined
): Effect.Effect<void, InvalidOptionError, Scope.Scope> =>
  Effect.gen(function*() {
    if (options === undefined) return
    const every = yield* duration("retention.every", options.every ?? "1 minute", true)
    yield* duration("retention.olderThan", options.olderThan, false)
    // After every 1,000 executions pruned, the storage reclaims their space (see `reclaim`).
    let sinceReclaim = 0
    const reclaim = (n: number) => {
      sinceReclaim += n
      if (storage.reclaim === undefined || sinceReclaim < 1_000) return Effect.void
      sinceReclaim = 0
      return storage.reclaim
    }
    const once = prune(storage, options).pipe(
      Effect.tap((n) => (n > 0 ? Effect.logDebug(`retention: ${n} finished execution(s) pruned`) : Effect.void)),
      Effect.flatMap(reclaim),
      Effect.catchAll((error) => Effect.logWarning(`retention: ${error.message}`))
    )
    yield* Effect.forkScoped(Effect.repeat(once, Schedule.spaced(every)))
  })
