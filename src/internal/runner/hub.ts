/**
 * The runner-wide stream of live events (`Runner.events`). Events are built from the journal
 * entries of a committed round only while someone runs the stream (`listening`): with no
 * listener, publishing costs nothing.
 *
 * Each subscriber has a buffer of its own, bounded (../droppingBuffer.ts): a consumer that stalls
 * loses the oldest events, and then receives an `EventsDropped` marker with their count before the
 * next ones, so that a slow consumer never grows the heap (see the README, "Memory bounds"). Closing the
 * hub (the runner's scope closing) ends every subscriber's stream.
 */
import { Effect, Stream } from "effect"
import type { EventsDropped, ExecutionEvent } from "../../ExecutionEvent.js"
import { DroppingBuffer } from "../droppingBuffer.js"

type Subscriber = DroppingBuffer<ExecutionEvent, EventsDropped>

export interface Hub {
  readonly listening: () => boolean
  readonly publish: (events: ReadonlyArray<ExecutionEvent>) => Effect.Effect<void>
  readonly stream: Stream.Stream<ExecutionEvent | EventsDropped>
  readonly close: Effect.Effect<void>
}

export const makeHub = (capacity: number): Effect.Effect<Hub> =>
  Effect.sync(() => {
    const subscribers = new Set<Subscriber>()
    let closed = false
    return {
      listening: () => subscribers.size > 0,
      publish: (events) => Effect.sync(() => subscribers.forEach((s) => s.push(events))),
      stream: Stream.unwrapScoped(
        Effect.map(
          Effect.acquireRelease(
            Effect.sync(() => {
              const subscriber: Subscriber = new DroppingBuffer(
                capacity,
                (count): EventsDropped => ({ _tag: "EventsDropped", count, at: new Date() })
              )
              if (closed) subscriber.close()
              else subscribers.add(subscriber)
              return subscriber
            }),
            (subscriber) => Effect.sync(() => void subscribers.delete(subscriber))
          ),
          (subscriber) => Stream.repeatEffectChunkOption(subscriber.take)
        )
      ),
      close: Effect.sync(() => {
        closed = true
        subscribers.forEach((s) => s.close())
        subscribers.clear()
      })
    }
  })
