/**
 * The runner-wide stream of live events (`Runner.events`). Events are built from the journal
 * entries of a committed round only while someone runs the stream (`listening`): with no
 * listener, publishing costs nothing.
 *
 * Each subscriber has a buffer of its own, bounded: a consumer that stalls loses the oldest
 * events, and then receives an `EventsDropped` marker with their count before the next ones,
 * so that a slow consumer never grows the heap (see the README, "Memory bounds"). Closing the
 * hub (the runner's scope closing) ends every subscriber's stream.
 */
import { Chunk, Effect, Option, Stream } from "effect"
import type { EventsDropped, ExecutionEvent } from "../../ExecutionEvent.js"

type Item = ExecutionEvent | EventsDropped

class Subscriber {
  private buffer: Array<ExecutionEvent> = []
  private head = 0
  private dropped = 0
  private closed = false
  private resume: ((effect: Effect.Effect<Chunk.Chunk<Item>, Option.Option<never>>) => void) | undefined

  constructor(private readonly capacity: number) {}

  push(events: ReadonlyArray<ExecutionEvent>): void {
    for (const event of events) this.buffer.push(event)
    const over = this.buffer.length - this.head - this.capacity
    if (over > 0) {
      this.head += over
      this.dropped += over
    }
    if (this.head > 1024 && this.head * 2 > this.buffer.length) {
      this.buffer = this.buffer.slice(this.head)
      this.head = 0
    }
    this.wake()
  }

  close(): void {
    this.closed = true
    this.wake()
  }

  private wake(): void {
    const resume = this.resume
    if (resume === undefined || (this.head === this.buffer.length && this.dropped === 0 && !this.closed)) return
    this.resume = undefined
    resume(this.drain())
  }

  /** What is buffered (after a marker for what was dropped), or the end once closed. */
  private drain(): Effect.Effect<Chunk.Chunk<Item>, Option.Option<never>> {
    if (this.head === this.buffer.length && this.dropped === 0) {
      return this.closed ? Effect.fail(Option.none()) : Effect.never
    }
    const items: Array<Item> = []
    if (this.dropped > 0) {
      items.push({ _tag: "EventsDropped", count: this.dropped, at: new Date() })
      this.dropped = 0
    }
    for (let i = this.head; i < this.buffer.length; i++) items.push(this.buffer[i])
    this.buffer = []
    this.head = 0
    return Effect.succeed(Chunk.unsafeFromArray(items))
  }

  readonly take: Effect.Effect<Chunk.Chunk<Item>, Option.Option<never>> = Effect.suspend(() => {
    if (this.head < this.buffer.length || this.dropped > 0 || this.closed) return this.drain()
    return Effect.async<Chunk.Chunk<Item>, Option.Option<never>>((resume) => {
      this.resume = resume
      return Effect.sync(() => {
        this.resume = undefined
      })
    })
  })
}

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
              const subscriber = new Subscriber(capacity)
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
