/**
 * `submit(…, { debounce: { key, period, keep? } })`: submits of one workflow with one key, each
 * within `period` of the last, are a burst that makes one execution — with the last input, or
 * the first — started once `period` passes with no new submit. Its id is chosen at the burst's
 * first submit, so every submitter gets a handle at once; the handle's calls wait for the start.
 * The burst is held by this runner (in memory) until it starts: a runner that stops meanwhile
 * loses it (see the README).
 */
import type { Context } from "effect"
import { Clock, Deferred, Effect, Stream } from "effect"
import type { InvalidOptionError } from "../../Errors.js"
import { executionId as newExecutionId } from "../ids.js"
import type { ExecutionHandle } from "./handle.js"
import { checkDebounce } from "./options.js"
import type { SubmitOptions } from "./options.js"
import type { Runtime } from "./runtime.js"
import { sleepUntil } from "./timers.js"

interface Burst {
  readonly executionId: string
  input: Record<string, unknown> | undefined
  dueAt: number
  readonly started: Deferred.Deferred<ExecutionHandle, unknown>
}

/** Starts a burst's execution (`submit` with the burst's id), with the caller's services. */
export type StartBurst<R> = (
  input: Record<string, unknown> | undefined,
  options: SubmitOptions,
  executionId: string
) => Effect.Effect<ExecutionHandle, unknown, R>

export const makeDebouncer = (rt: Runtime) => {
  const bursts = new Map<string, Burst>()
  return <R>(
    workflowName: string,
    input: Record<string, unknown> | undefined,
    options: SubmitOptions,
    start: StartBurst<R>,
    services: Context.Context<R>
  ): Effect.Effect<ExecutionHandle, InvalidOptionError> =>
    Effect.gen(function*() {
      const { keep, key, periodMs } = yield* checkDebounce(options.debounce)
      const id = `${workflowName}\u0000${key}`
      const now = yield* Clock.currentTimeMillis
      let burst = bursts.get(id)
      if (burst === undefined) {
        const created: Burst = {
          executionId: newExecutionId(),
          input,
          dueAt: now + periodMs,
          started: yield* Deferred.make<ExecutionHandle, unknown>()
        }
        burst = created
        bursts.set(id, created)
        const { debounce: _, ...rest } = options
        // Sleeps until the burst's due time, again while submits move it, then starts it.
        const wait: Effect.Effect<void> = Effect.flatMap(
          Effect.zipRight(Effect.suspend(() => sleepUntil(created.dueAt)), Clock.currentTimeMillis),
          (at) => at < created.dueAt ? wait : Effect.void
        )
        rt.fork(
          Effect.zipRight(
            wait,
            Effect.suspend(() => {
              bursts.delete(id)
              return Deferred.complete(
                created.started,
                Effect.provide(start(created.input, rest, created.executionId), services)
              )
            })
          )
        )
      } else {
        if (keep === "last") burst.input = input
        burst.dueAt = now + periodMs
      }
      const { executionId, started } = burst
      const later = <A, E>(f: (h: ExecutionHandle) => Effect.Effect<A, E>) =>
        Effect.flatMap(Effect.orDie(Deferred.await(started)), f)
      return {
        executionId,
        result: later((h) => h.result),
        events: Stream.unwrap(later((h) => Effect.succeed(h.events))),
        cancel: later((h) => h.cancel),
        pause: later((h) => h.pause),
        resume: later((h) => h.resume)
      }
    })
}
