/**
 * Parked executions: those whose every unfinished task waits on a timer or a signal (a sleep, a
 * signal wait, a waiting retry) end their supervisor fiber, and stay in `rt.active` with their
 * state, mailbox and result. A supervisor parked with its stack and closures costs ~30 KB; a
 * parked execution is its state and a heap entry. The next message in its mailbox (a signal, a
 * control, an outcome) or its wake-up time starts a new supervisor on it, which arms its waits
 * again from the state (their due times are in it, as in storage). One fiber per runner sleeps
 * until the earliest wake-up.
 */
import type { Effect as Fx } from "effect"
import { Clock, Effect, Queue } from "effect"
import type { Active } from "./active.js"
import { clampSleep } from "./timers.js"

interface Entry {
  readonly at: number
  readonly active: Active
  readonly wake: () => void
  /** Cleared when it was woken: entries are left in the heap and skipped (lazy deletion). */
  live: boolean
}

export class Parking {
  /** A binary min-heap on `at`. */
  private readonly heap: Array<Entry> = []
  private readonly entries = new Map<Active, Entry>()
  /** Entries woken or taken out but still in the heap; compacted when they outnumber the rest. */
  private dead = 0
  /** Set at shutdown: nothing parks any more (the caller settles the execution instead). */
  private closed = false

  constructor(private readonly pokes: Queue.Queue<void>) {}

  get size(): number {
    return this.entries.size
  }

  /**
   * Parks an execution whose supervisor just ended; `wake` starts a new one on it. A message that
   * came in meanwhile, or a time already due, wakes it at once.
   */
  park(active: Active, wake: () => void): boolean {
    if (this.closed) return false
    const at = active.parkedUntil ?? Infinity
    const entry: Entry = { at, active, wake, live: true }
    this.entries.set(active, entry)
    active.mailbox.onOffer = () => this.wake(active)
    if (!active.mailbox.isEmpty) {
      this.wake(active)
      return true
    }
    if (at === Infinity) return true
    this.push(entry)
    if (this.heap[0] === entry) Queue.unsafeOffer(this.pokes, undefined)
    return true
  }

  /** An entry left the lot: the heap drops the dead ones once they outnumber the live ones. */
  private left(entry: Entry): void {
    entry.live = false
    if (entry.at === Infinity || ++this.dead <= 64 || this.dead * 2 <= this.heap.length) return
    const live = this.heap.filter((e) => e.live)
    this.heap.length = 0
    this.dead = 0
    for (const e of live) this.push(e)
  }

  wake(active: Active): void {
    const entry = this.entries.get(active)
    if (entry === undefined || !entry.live) return
    this.left(entry)
    this.entries.delete(active)
    active.mailbox.onOffer = undefined
    active.parkedUntil = undefined
    entry.wake()
  }

  /** Takes a parked execution out without waking it; false when it was not parked. */
  unpark(active: Active): boolean {
    const entry = this.entries.get(active)
    if (entry === undefined) return false
    this.left(entry)
    this.entries.delete(active)
    active.mailbox.onOffer = undefined
    active.parkedUntil = undefined
    return true
  }

  /** Every parked execution, taken out (at shutdown, or when this runner lost its lease). */
  takeAll(): Array<Active> {
    this.closed = true
    const all = [...this.entries.keys()]
    for (const active of all) {
      this.entries.get(active)!.live = false
      active.mailbox.onOffer = undefined
    }
    this.entries.clear()
    this.heap.length = 0
    this.dead = 0
    return all
  }

  /** Wakes executions when they are due: sleeps until the earliest, or until a new earliest. */
  readonly loop: Fx.Effect<never> = Effect.forever(
    Effect.gen(this, function*() {
      const now = yield* Clock.currentTimeMillis
      while (this.heap.length > 0 && (!this.heap[0].live || this.heap[0].at <= now)) {
        const entry = this.pop()!
        if (entry.live) this.wake(entry.active)
        else this.dead = Math.max(0, this.dead - 1)
      }
      const next = this.heap[0]?.at
      yield* next === undefined
        ? Queue.take(this.pokes)
        : Effect.raceFirst(Effect.sleep(clampSleep(Math.max(1, next - now))), Queue.take(this.pokes))
    })
  )

  private push(entry: Entry): void {
    const h = this.heap
    h.push(entry)
    let i = h.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (h[parent].at <= h[i].at) break
      ;[h[parent], h[i]] = [h[i], h[parent]]
      i = parent
    }
  }

  private pop(): Entry | undefined {
    const h = this.heap
    const top = h[0]
    const last = h.pop()
    if (h.length > 0 && last !== undefined) {
      h[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < h.length && h[l].at < h[m].at) m = l
        if (r < h.length && h[r].at < h[m].at) m = r
        if (m === i) break
        ;[h[m], h[i]] = [h[i], h[m]]
        i = m
      }
    }
    return top
  }
}
