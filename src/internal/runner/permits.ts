/**
 * The runner's concurrency limit (`maxConcurrentTasks`), shared by all its executions.
 *
 * Supervisors take permits before they record an attempt, so that a task waiting for a permit
 * stays `Pending` (nothing is recorded for it) and its attempt is counted only when it starts.
 * A supervisor that cannot get all it wants queues; a permit given back goes to the first one
 * queued and wakes it: the one of highest priority (`submit`'s `priority`); then, between
 * executions with workflow concurrency keys, the key served least recently (round robin: a key
 * with thousands of executions queued delays a lone key's by one turn at most); then, with
 * `depthFirst`, the execution that came first, else the one that queued first. Taking and giving
 * back are plain counter operations: the attempt fibers never wait on a semaphore.
 */
export interface Waiter {
  /** Permits handed over while queued, not yet used. */
  granted: number
  /** Permits still wanted while queued. */
  wanted: number
  /** Called when permits were handed over: the supervisor should look again. */
  readonly wake: () => void
  /** Higher is served first. */
  readonly priority: number
  /** The order executions came in (depth-first: older first). */
  readonly seq: number
  /** Its workflow concurrency key, if it has one: keys are served round robin. */
  readonly group: string | undefined
}

let seqs = 0

export const makeWaiter = (wake: () => void, priority = 0, group?: string): Waiter => ({
  granted: 0,
  wanted: 0,
  wake,
  priority,
  seq: seqs++,
  group
})

export class Permits {
  private free: number
  /** Insertion-ordered: the first is served first. */
  private readonly queue = new Set<Waiter>()

  /** Called when permits became free with nobody queued (the fleet's claimer looks then). */
  onFree: (() => void) | undefined
  /** The queue is served by rank, not arrival (a priority or a key was seen, or depth-first). */
  private ranked: boolean
  /** Round robin between keys: the hand-over count when each key was last served. */
  private readonly lastServed = new Map<string, number>()
  private turns = 0

  /** @param depthFirst executions that came first are served first (they finish before new ones start) */
  constructor(readonly total: number, readonly depthFirst = false) {
    this.free = total
    this.ranked = depthFirst
  }

  /** The waiter served next: the first queued, or by rank. */
  private first(): Waiter | undefined {
    if (!this.ranked) return this.queue.values().next().value
    let best: Waiter | undefined
    let bestTurn = 0
    for (const w of this.queue) {
      const turn = w.group === undefined ? -1 : this.lastServed.get(w.group) ?? -1
      if (
        best === undefined || w.priority > best.priority ||
        (w.priority === best.priority &&
          (turn < bestTurn || (turn === bestTurn && this.depthFirst && w.seq < best.seq)))
      ) {
        best = w
        bestTurn = turn
      }
    }
    return best
  }

  /** Up to `want` free permits, only when no execution here waits for one (they come first). */
  takeFree(want: number): number {
    if (this.queue.size > 0) return 0
    const taken = Math.min(want, this.free)
    this.free -= taken
    return taken
  }

  /**
   * Gives `waiter` up to `want` permits now, and queues it for the rest (where it stands, if it
   * is queued already). Returns how many it holds now; wanting 0 takes it out of the queue and
   * gives back what it was handed.
   */
  take(waiter: Waiter, want: number): number {
    let got = Math.min(waiter.granted, want)
    const extra = waiter.granted - got
    waiter.granted = 0
    // Still wanting more, a queued waiter keeps its place (a supervisor asking again at each round
    // must not fall behind the workers of a map that queue again after each item).
    if (got < want && this.queue.has(waiter)) {
      waiter.wanted = want - got
      return got
    }
    this.dequeue(waiter)
    if (extra > 0) this.give(extra)
    const first = this.first()
    // Queued executions come first: take from the free permits only when none waits.
    if (got < want && first === undefined) {
      const taken = Math.min(want - got, this.free)
      this.free -= taken
      got += taken
    }
    if (got < want) {
      waiter.wanted = want - got
      if (waiter.priority !== 0 || waiter.group !== undefined) this.ranked = true
      this.queue.add(waiter)
    }
    return got
  }

  /** Whether an execution (or a map's worker) waits for a permit. */
  get contended(): boolean {
    return this.queue.size > 0
  }

  /** Gives permits back: to the queued supervisors first, in order. */
  give(n: number): void {
    while (n > 0) {
      const first = this.first()
      if (first === undefined) {
        this.free += n
        // Nobody waits: the round robin starts afresh (keys come and go: per customer).
        this.lastServed.clear()
        this.onFree?.()
        return
      }
      // A keyed waiter gets one permit per turn: the next goes to the key served least recently.
      const handed = first.group === undefined ? Math.min(n, first.wanted) : 1
      if (first.group !== undefined) this.lastServed.set(first.group, this.turns++)
      first.granted += handed
      first.wanted -= handed
      n -= handed
      if (first.wanted === 0) this.queue.delete(first)
      first.wake()
    }
  }

  /** The waiter is gone (its execution ended): out of the queue, and what it held back. */
  leave(waiter: Waiter): void {
    this.dequeue(waiter)
    const held = waiter.granted
    waiter.granted = 0
    if (held > 0) this.give(held)
  }

  private dequeue(waiter: Waiter): void {
    if (this.queue.delete(waiter)) waiter.wanted = 0
  }
}
