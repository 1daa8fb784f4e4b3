/**
 * A bounded buffer for one consumer of a live stream: a consumer that stalls loses the oldest
 * items, and then receives a marker with their count before the next ones, so that a slow
 * consumer never grows the heap. `take` waits for something; once closed and drained it fails
 * with `None` (the end of a `Stream.repeatEffectChunkOption`). Serves the runner's event hub and
 * the web view's event streams alike.
 */
import { Chunk, Effect, Option } from "effect"

export class DroppingBuffer<A, M> {
  private buffer: Array<A> = []
  private head = 0
  private dropped = 0
  private closed = false
  private resume: ((effect: Effect.Effect<Chunk.Chunk<A | M>, Option.Option<never>>) => void) | undefined

  /** `marker`: what tells the consumer that `count` items were dropped. */
  constructor(private readonly capacity: number, private readonly marker: (count: number) => M) {}

  push(items: ReadonlyArray<A>): void {
    for (const item of items) this.buffer.push(item)
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
  private drain(): Effect.Effect<Chunk.Chunk<A | M>, Option.Option<never>> {
    if (this.head === this.buffer.length && this.dropped === 0) {
      return this.closed ? Effect.fail(Option.none()) : Effect.never
    }
    const items: Array<A | M> = []
    if (this.dropped > 0) {
      items.push(this.marker(this.dropped))
      this.dropped = 0
    }
    for (let i = this.head; i < this.buffer.length; i++) items.push(this.buffer[i])
    this.buffer = []
    this.head = 0
    return Effect.succeed(Chunk.unsafeFromArray(items))
  }

  readonly take: Effect.Effect<Chunk.Chunk<A | M>, Option.Option<never>> = Effect.suspend(() => {
    if (this.head < this.buffer.length || this.dropped > 0 || this.closed) return this.drain()
    return Effect.async<Chunk.Chunk<A | M>, Option.Option<never>>((resume) => {
      this.resume = resume
      return Effect.sync(() => {
        this.resume = undefined
      })
    })
  })
}
