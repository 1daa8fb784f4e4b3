/**
 * Tasks of one execution on several runners (PostgreSQL): ready tasks that got no permit here,
 * when other workers are alive, are started as offered attempts, committed with the round that
 * records them (`Batch.offers`); any runner claims one, runs its body and leaves its outcome; the
 * owner records the outcome in a round that also removes the offer (`Batch.dequeued`). The owner
 * stays the one place where the DAG is decided. A map's item attempts go the same way
 * (`ItemOffers`): offered under the item's id (`map[3]`), their outcome handed to the map's fiber.
 * See docs/ARCHITECTURE.md, "Scale-out".
 */
import { Effect } from "effect"
import type { StorageError } from "../../Errors.js"
import { emptyDelta } from "../../TaskContext.js"
import type { Json } from "../dag/json.js"
import type { ExecutionState } from "../execution/state.js"
import type { Dequeued, QueuedTask } from "../storage/service.js"
import type { Active, Fleet, Message, OfferParts } from "./active.js"
import type { ItemOffers, ItemOutcome, OfferedItem } from "./map.js"

/** What a restored execution makes of its previous run's offers (see recovery.ts). */
export interface Restored {
  /** Still out, without an outcome: task id → attempt. */
  readonly keep: ReadonlyMap<string, number>
  readonly drop: ReadonlyArray<Dequeued>
}

export class Offers implements ItemOffers {
  /** Offered attempts without an outcome recorded: task → attempt. */
  private readonly outstanding = new Map<number, number>()
  /** Offered item attempts waiting for their outcome: "id attempt" → the map's callback. */
  private readonly items = new Map<string, (outcome: ItemOutcome) => void>()
  /** Items were offered: some may still be in the queue when the execution ends. */
  private itemsOffered = false
  private offers: Array<QueuedTask> = []
  private dequeued: Array<Dequeued> = []

  /** @param restored taken up from storage: its previous run's offers, kept (still out) or dropped */
  constructor(
    private readonly fleet: Fleet,
    private readonly state: ExecutionState,
    private readonly active: Active,
    /** This runner's permits (the other workers are reckoned to have as many). */
    private readonly permits: number,
    restored: Restored | undefined
  ) {
    if (restored === undefined) return
    for (const [taskId, attempt] of restored.keep) this.outstanding.set(state.graph.index.get(taskId)!, attempt)
    this.dequeued.push(...restored.drop)
    this.count()
  }

  private count(): void {
    this.active.offered = this.outstanding.size + this.items.size
  }

  /** How many more attempts the other workers could run at once, if they have this runner's permits. */
  readonly room = (): number => this.fleet.otherWorkers() * this.permits - this.outstanding.size - this.items.size

  offer: ItemOffers["offer"] = (id, attempt, item: OfferedItem, done) => {
    const key = `${id} ${attempt}`
    this.items.set(key, done)
    this.itemsOffered = true
    this.offers.push({
      executionId: this.state.executionId,
      taskId: id,
      attempt,
      workflowName: this.state.dag.name,
      workflowVersion: this.state.dag.version,
      input: item
    })
    this.count()
    return () => {
      if (!this.items.delete(key)) return
      // Not wanted any more (failFast, a cancel): out of the queue, whoever holds it.
      this.dequeued.push({ executionId: this.state.executionId, taskId: id, attempt })
      this.count()
    }
  }

  /**
   * Starts, as offered attempts, ready tasks this runner has no permit for: only when the
   * execution alone has more ready than the runner has permits (a round trip through the
   * database costs more than waiting for a permit here), and as many as the other workers could
   * run at once if they have as many permits as this one.
   */
  offerReady(now: number): void {
    const { state } = this
    if (state.startable <= this.permits) return
    const room = this.room()
    if (room <= 0) return
    for (const task of state.start(Math.min(room, state.startable), now, true)) {
      const attempt = state.tasks.attempts[task]
      this.outstanding.set(task, attempt)
      this.offers.push({
        executionId: state.executionId,
        taskId: state.graph.ids[task],
        attempt,
        workflowName: state.dag.name,
        workflowVersion: state.dag.version,
        input: state.inputOf(task)
      })
    }
    this.count()
  }

  /** The execution ended or was cancelled: none of its offers is wanted any more. */
  clear(): void {
    if (this.outstanding.size === 0 && this.offers.length === 0 && !this.itemsOffered) return
    this.outstanding.clear()
    this.items.clear()
    this.itemsOffered = false
    this.offers = []
    this.dequeued = [{ executionId: this.state.executionId }]
    this.active.offered = 0
  }

  /** What the next commit carries: new offers, and offers done with. */
  take(): OfferParts {
    if (this.offers.length === 0 && this.dequeued.length === 0) return undefined
    const parts = { offers: this.offers, dequeued: this.dequeued }
    this.offers = []
    this.dequeued = []
    return parts
  }

  /** The outcomes other runners left, as the messages the supervisor handles. */
  get collect(): Effect.Effect<Array<Message>, StorageError> {
    if (this.outstanding.size === 0 && this.items.size === 0) return Effect.succeed([])
    return Effect.map(this.fleet.storage.outcomes(this.state.executionId), (outcomes) => {
      const messages: Array<Message> = []
      for (const o of outcomes) {
        const task = this.state.graph.index.get(o.taskId)
        this.dequeued.push({ executionId: this.state.executionId, taskId: o.taskId, attempt: o.attempt })
        if (task === undefined) {
          const key = `${o.taskId} ${o.attempt}`
          const done = this.items.get(key)
          if (done === undefined) continue
          this.items.delete(key)
          done(o.error === undefined ? { value: (o.value ?? null) as Json } : { error: o.error })
          continue
        }
        if (this.outstanding.get(task) !== o.attempt) continue
        this.outstanding.delete(task)
        messages.push({
          _tag: "AttemptEnded",
          task,
          attempt: o.attempt,
          outcome: o.error === undefined
            ? {
              _tag: "Succeeded",
              delta: o.delta ?? emptyDelta,
              completedAt: o.completedAt,
              runnerId: o.runnerId
            }
            : {
              _tag: "Failed",
              error: new Error(o.error),
              message: o.error,
              completedAt: o.completedAt,
              runnerId: o.runnerId
            }
        })
      }
      this.count()
      return messages
    })
  }
}
