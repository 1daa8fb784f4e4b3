/**
 * The per-task records of one execution, in flat arrays indexed like the graph: status, attempt
 * count, times, last error, skip or cancel reason. An object per task would cost ~150 bytes and
 * GC work at 100k tasks; these cost ~30 bytes a task.
 */
import type { TaskStatus } from "../../Status.js"
import type { TaskRow } from "../storage/journal.js"

export class TaskTable {
  readonly status: Array<TaskStatus>
  readonly attempts: Int32Array
  /** First start, end, and a waiting retry's due time; NaN when there is none. */
  private readonly startedAt: Float64Array
  private readonly completedAt: Float64Array
  private readonly retryAt: Float64Array
  /** Sparse: the last error (failed tasks), and why a task was skipped or cancelled. */
  private readonly errors = new Map<number, string>()
  readonly reasons = new Map<number, string>()
  /** Sparse: the runner of a restored task's last attempt, when it is not this one. */
  private readonly runners = new Map<number, string | null>()

  /** @param runnerId the runner that starts this table's attempts */
  constructor(private readonly ids: ReadonlyArray<string>, private readonly runnerId: string | null) {
    const n = ids.length
    this.status = new Array<TaskStatus>(n).fill("Pending")
    this.attempts = new Int32Array(n)
    this.startedAt = new Float64Array(n).fill(NaN)
    this.completedAt = new Float64Array(n).fill(NaN)
    this.retryAt = new Float64Array(n).fill(NaN)
  }

  /** Task `i` as storage folded it. */
  load(i: number, row: TaskRow): void {
    this.status[i] = row.status
    this.attempts[i] = row.attempts
    this.startedAt[i] = row.startedAt ?? NaN
    this.completedAt[i] = row.completedAt ?? NaN
    this.retryAt[i] = row.retryAt ?? NaN
    if (row.error !== null) this.errors.set(i, row.error)
    if (row.reason !== null) this.reasons.set(i, row.reason)
    if (row.runnerId !== this.runnerId) this.runners.set(i, row.runnerId)
  }

  /** Counts and returns the next attempt. */
  started(i: number, now: number): number {
    const attempt = this.attempts[i] + 1
    this.attempts[i] = attempt
    this.status[i] = "Running"
    if (Number.isNaN(this.startedAt[i])) this.startedAt[i] = now
    this.retryAt[i] = NaN
    if (this.runners.size > 0) this.runners.delete(i)
    return attempt
  }

  /** A durable wait began; `until`: when it is due (a sleep's end, a signal's timeout). */
  waiting(i: number, until: number | undefined): void {
    this.status[i] = "Waiting"
    this.retryAt[i] = until ?? NaN
  }

  /** When a waiting retry or a durable wait is due, if it has a due time. */
  dueAt(i: number): number | undefined {
    const at = this.retryAt[i]
    return Number.isNaN(at) ? undefined : at
  }

  /** The runner of its last attempt, when not this one (`null`: not known yet). */
  ranOn(i: number, runnerId: string | null): void {
    this.runners.set(i, runnerId)
  }

  completed(i: number, at: number): void {
    this.status[i] = "Completed"
    this.completedAt[i] = at
    this.errors.delete(i)
  }

  failed(i: number, error: string, at: number, retryAt: number | undefined): void {
    this.errors.set(i, error)
    if (retryAt === undefined) {
      this.status[i] = "Failed"
      this.completedAt[i] = at
    } else {
      this.status[i] = "Retrying"
      this.retryAt[i] = retryAt
    }
  }

  /** Skipped or cancelled, for `reason`. */
  ended(i: number, status: "Skipped" | "Cancelled", reason: string, at: number): void {
    this.status[i] = status
    this.reasons.set(i, reason)
    this.completedAt[i] = at
    this.retryAt[i] = NaN
  }

  /** Task `i` as a row: the same shape storage folds from the journal. */
  row(i: number): TaskRow | undefined {
    if (this.status[i] === "Pending") return undefined
    const time = (t: number) => (Number.isNaN(t) ? null : t)
    return {
      taskId: this.ids[i],
      status: this.status[i],
      attempts: this.attempts[i],
      output: null,
      error: this.errors.get(i) ?? null,
      reason: this.reasons.get(i) ?? null,
      startedAt: time(this.startedAt[i]),
      completedAt: time(this.completedAt[i]),
      retryAt: time(this.retryAt[i]),
      runnerId: this.runners.has(i) ? this.runners.get(i)! : this.attempts[i] > 0 ? this.runnerId : null
    }
  }
}
