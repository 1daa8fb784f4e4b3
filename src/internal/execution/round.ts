/**
 * One round of an execution: what its transitions changed since the last commit (the execution
 * row, created or updated, and the journal entries), taken as a `Batch` by the supervisor,
 * committed, and only then acted on.
 */
import type { Entry } from "../storage/journal.js"
import type { Batch, ExecutionRow, ExecutionUpdate } from "../storage/service.js"

export class Round {
  private created: ExecutionRow | undefined
  private updated: ExecutionUpdate | undefined
  private entries: Array<Entry> = []

  /** @param last the number of the execution's last round already stored */
  constructor(readonly executionId: string, private last = 0) {}

  create(row: ExecutionRow): void {
    this.created = row
  }

  /** The execution's row changed; on a row created in this round, the change folds into it. */
  update(row: ExecutionRow): void {
    if (this.created !== undefined) {
      this.created = row
      return
    }
    this.updated = {
      id: row.id,
      status: row.status,
      errorMessage: row.errorMessage,
      completedAt: row.completedAt
    }
  }

  add(entry: Entry): void {
    this.entries.push(entry)
  }

  get isEmpty(): boolean {
    return this.entries.length === 0 && this.created === undefined && this.updated === undefined
  }

  /** Takes what this round changed, and starts the next one. */
  take(): { readonly batch: Batch; readonly entries: ReadonlyArray<Entry> } | undefined {
    if (this.isEmpty) return undefined
    const entries = this.entries
    const batch: Batch = {
      executions: this.created === undefined ? [] : [this.created],
      executionUpdates: this.updated === undefined ? [] : [this.updated],
      rounds: entries.length === 0 ? [] : [{ executionId: this.executionId, round: ++this.last, entries }]
    }
    this.created = undefined
    this.updated = undefined
    this.entries = []
    return { batch, entries }
  }
}
