/**
 * A supervisor's mailbox: many senders, one reader that takes everything waiting at once.
 * `Queue` would do, but makes a `Deferred` for every take on an empty queue, once per round of
 * every execution; this is an array and, while the reader waits, its resume callback.
 */
import { Effect } from "effect"

export class Mailbox<A> {
  private messages: Array<A> = []
  private resume: ((effect: Effect.Effect<Array<A>>) => void) | undefined
  /** Called (once) by the next offer: set while nobody reads the mailbox (a parked execution). */
  onOffer: (() => void) | undefined

  get isEmpty(): boolean {
    return this.messages.length === 0
  }

  /** Never blocks; safe from any fiber or callback. */
  offer(message: A): void {
    this.messages.push(message)
    const wake = this.onOffer
    if (wake !== undefined) {
      this.onOffer = undefined
      wake()
    }
    const resume = this.resume
    if (resume !== undefined) {
      this.resume = undefined
      resume(Effect.succeed(this.drain()))
    }
  }

  /** Everything waiting, or, when nothing is, the next message(s) once they arrive. */
  readonly takeAll: Effect.Effect<Array<A>> = Effect.async<Array<A>>((resume) => {
    if (this.messages.length > 0) {
      resume(Effect.succeed(this.drain()))
      return
    }
    this.resume = resume
    return Effect.sync(() => {
      this.resume = undefined
    })
  })

  private drain(): Array<A> {
    const out = this.messages
    this.messages = []
    return out
  }
}
