/**
 * The runner-wide stream of live events (`Runner.events`). Events are built from the journal
 * entries of a committed round only while someone runs the stream (`listening`): with no
 * listener, publishing costs nothing.
 */
import { Effect, PubSub, Stream } from "effect"
import type { ExecutionEvent } from "../../ExecutionEvent.js"

export interface Hub {
  readonly listening: () => boolean
  readonly publish: (events: ReadonlyArray<ExecutionEvent>) => Effect.Effect<void>
  readonly stream: Stream.Stream<ExecutionEvent>
}

export const makeHub: Effect.Effect<Hub> = Effect.map(PubSub.unbounded<ExecutionEvent>(), (pubsub) => {
  let listeners = 0
  return {
    listening: () => listeners > 0,
    publish: (events) => Effect.asVoid(PubSub.publishAll(pubsub, events)),
    stream: Stream.unwrapScoped(
      Effect.as(
        Effect.acquireRelease(Effect.sync(() => void listeners++), () => Effect.sync(() => void listeners--)),
        Stream.fromPubSub(pubsub)
      )
    )
  }
})
