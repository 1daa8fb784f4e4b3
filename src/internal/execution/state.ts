/**
 * The state of one execution and every transition it can make, as a synchronous state machine.
 * The supervisor feeds it messages and does the I/O (commit, publish, fork); this module
 * decides. Each transition appends its journal entries to the current round (`Round`), which
 * the supervisor commits before acting on it.
 */
import type { FinalStatus } from "../../Status.js"
import { isTerminal } from "../../Status.js"
import { applyDelta, emptyDelta } from "../../TaskContext.js"
import type { Graph } from "../dag/graph.js"
import type { JsonObject } from "../dag/json.js"
import { emptyObject } from "../dag/json.js"
import type { Outcome } from "../dag/rules.js"
import { countStatuses, decide, finalContext, finalStatus, inputOf, outcomeOf, summarize } from "../dag/rules.js"
import type { TaskRow } from "../storage/journal.js"
import type { ExecutionRow, FinishedRow } from "../storage/service.js"
import type { AttemptOutcome, Dag, ExecutionMeta, RestoreOptions } from "./model.js"
import { Round } from "./round.js"
import { TaskTable } from "./tasks.js"

export class ExecutionState {
  readonly n: number
  readonly graph: Graph
  readonly tasks: TaskTable
  private readonly remaining: Int32Array
  private readonly undecidedSuccs: Int32Array
  private readonly inputs: Array<JsonObject | undefined>
  private readonly outputs: Array<JsonObject | undefined>
  private readonly ready: Array<number> = []
  private readyHead = 0
  private terminalCount = 0
  paused = false
  cancelled = false
  private cancelReason: string | undefined
  /** What to commit next, and publish after it. */
  readonly round: Round

  /** @param rounds how many rounds of this execution are stored already (restored ones) */
  constructor(readonly dag: Dag, readonly meta: ExecutionMeta, rounds = 0) {
    const { graph } = dag
    const n = graph.ids.length
    this.n = n
    this.graph = graph
    this.tasks = new TaskTable(graph.ids, meta.runnerId)
    this.remaining = Int32Array.from(graph.deps, (d) => d.length)
    this.undecidedSuccs = Int32Array.from(graph.succs, (s) => s.length)
    this.inputs = new Array(n)
    this.outputs = new Array(n)
    this.round = new Round(meta.executionId, rounds)
  }

  get executionId(): string {
    return this.meta.executionId
  }

  get isDone(): boolean {
    return this.terminalCount === this.n
  }

  /** Tasks decided to run that wait for a permit (or for a resume). */
  get readyCount(): number {
    return this.ready.length - this.readyHead
  }

  /** The execution's row as it stands (status and end as of the last transition). */
  row(): ExecutionRow {
    return {
      id: this.executionId,
      workflowName: this.dag.name,
      workflowVersion: this.dag.version,
      status: this.paused ? "Paused" : "Running",
      input: this.meta.input,
      errorMessage: null,
      idempotencyKey: this.meta.idempotencyKey,
      taskCount: this.n,
      createdAt: this.meta.createdAt,
      completedAt: null
    }
  }

  // -------------------------------------------------------------------------------------------
  // Starting

  /** A new execution: its row (unless storage holds it already), then every root decided. */
  begin(now: number, options: { readonly created: boolean } = { created: false }): void {
    if (!options.created) this.round.create(this.row())
    this.started(now, false, this.meta.deadlineAt == null ? {} : { deadlineAt: this.meta.deadlineAt })
    for (const root of this.graph.roots) this.decideFrom(root, now)
  }

  /** Its `ExecutionStarted` entry, naming the runner that runs it. */
  private started(now: number, resumed: boolean, more: { readonly reason?: string; readonly deadlineAt?: number }) {
    const { runnerId } = this.meta
    this.round.add({ _tag: "ExecutionStarted", at: now, workflowName: this.dag.name, resumed, runnerId, ...more })
  }

  /**
   * An execution read back from storage. Completed tasks keep their outputs; tasks that were
   * running run again with the next attempt (unless `offered`); pending tasks whose dependencies
   * are done are decided now. Returns the retries still waiting, with their due times.
   * `resumed`: this runner takes the execution up to run it; else it only records a control.
   */
  restore(
    rows: ReadonlyMap<string, TaskRow>,
    options: RestoreOptions,
    now: number
  ): Array<{ readonly task: number; readonly dueAt: number }> {
    const { graph } = this
    this.paused = options.paused
    if (options.resumed) this.started(now, true, options.reason === undefined ? {} : { reason: options.reason })
    const waiting: Array<{ task: number; dueAt: number }> = []
    const redispatch: Array<number> = []
    const undecided: Array<number> = []
    for (const i of graph.topo) {
      const row = rows.get(graph.ids[i])
      if (row === undefined || row.status === "Pending") {
        if (graph.deps[i].every((d) => isTerminal(this.tasks.status[d]))) undecided.push(i)
        continue
      }
      this.tasks.load(i, row)
      this.inputs[i] = inputOf(graph.deps[i], this.meta.input, (d) => this.contextOf(d))
      if (row.status === "Completed") this.outputs[i] = applyDelta(this.inputs[i]!, row.output ?? emptyDelta)
      if (isTerminal(row.status)) {
        this.terminalCount++
        for (const s of graph.succs[i]) this.remaining[s]--
      } else if (row.status === "Retrying") {
        waiting.push({ task: i, dueAt: row.retryAt ?? now })
      } else if (options.offered?.get(graph.ids[i]) !== row.attempts) {
        // It was running when its runner stopped: that attempt counts, the next one starts.
        this.tasks.status[i] = "Retrying"
        redispatch.push(i)
      }
    }
    for (const i of redispatch) this.ready.push(i)
    for (const i of undecided) {
      if (this.remaining[i] === 0 && this.tasks.status[i] === "Pending") this.decideFrom(i, now)
    }
    return waiting
  }

  // -------------------------------------------------------------------------------------------
  // Deciding

  private contextOf(task: number): JsonObject {
    return (this.tasks.status[task] === "Completed" ? this.outputs[task] : this.inputs[task]) ?? emptyObject
  }

  private outcome(task: number): Outcome {
    return outcomeOf(this.tasks.status[task], this.tasks.reasons.get(task))
  }

  /** Decides `first` and everything a skip makes decidable after it, without recursion. */
  private decideFrom(first: number, now: number): void {
    const { graph } = this
    const work = [first]
    while (work.length > 0) {
      const i = work.pop()!
      const deps = graph.deps[i]
      const input = inputOf(deps, this.meta.input, (d) => this.contextOf(d))
      this.inputs[i] = input
      for (const d of deps) {
        // Every successor of `d` is decided: nothing needs its context any more.
        if (--this.undecidedSuccs[d] === 0 && graph.succs[d].length > 0) {
          this.inputs[d] = undefined
          this.outputs[d] = undefined
        }
      }
      const decision = decide(
        graph.rules[i],
        deps.map((d) => this.outcome(d)),
        (id) => this.outcome(graph.index.get(id)!),
        input
      )
      if (decision.run) {
        this.ready.push(i)
      } else {
        this.tasks.ended(i, "Skipped", decision.reason, now)
        this.round.add({ _tag: "TaskSkipped", at: now, taskId: graph.ids[i], reason: decision.reason })
        this.terminal(i, work)
      }
    }
  }

  /** A task reached its end: decide every successor that was waiting only for it. */
  private settle(task: number, now: number): void {
    const work: Array<number> = []
    this.terminal(task, work)
    for (const s of work) this.decideFrom(s, now)
  }

  private terminal(i: number, work: Array<number>): void {
    this.terminalCount++
    for (const s of this.graph.succs[i]) {
      if (--this.remaining[s] === 0 && this.tasks.status[s] === "Pending") work.push(s)
    }
  }

  // -------------------------------------------------------------------------------------------
  // Running

  /** How many ready tasks could start now, given permits: none while paused or cancelled. */
  get startable(): number {
    return this.paused || this.cancelled ? 0 : this.readyCount
  }

  /**
   * Starts up to `permits` ready tasks (the caller holds that many permits; `offered`: for other
   * runners). Each attempt is counted and recorded here, so that it is committed before its body starts.
   */
  start(permits: number, now: number, offered = false): Array<number> {
    const out: Array<number> = []
    while (out.length < permits && this.startable > 0) {
      const i = this.ready[this.readyHead++]
      const attempt = this.tasks.started(i, now)
      const taskId = this.graph.ids[i]
      // Offered to any runner: the one that runs it is recorded with its outcome.
      if (offered) this.tasks.ranOn(i, null)
      this.round.add(
        offered
          ? { _tag: "TaskStarted", at: now, taskId, attempt }
          : { _tag: "TaskStarted", at: now, taskId, attempt, runnerId: this.meta.runnerId }
      )
      out.push(i)
    }
    if (this.readyHead === this.ready.length && this.readyHead > 0) {
      this.ready.length = 0
      this.readyHead = 0
    }
    return out
  }

  inputOf(task: number): JsonObject {
    return this.inputs[task] ?? emptyObject
  }

  /**
   * An attempt ended. `retryDelay` is set when the supervisor decided that a failure is retried.
   * Reports from attempts that no longer count (cancelled) are ignored; returns whether it counted.
   */
  attemptEnded(task: number, attempt: number, outcome: AttemptOutcome, retryDelay: number | undefined, now: number) {
    if (this.tasks.status[task] !== "Running" || this.tasks.attempts[task] !== attempt) return false
    const taskId = this.graph.ids[task]
    const at = outcome.completedAt
    // Run by another runner: it is named.
    const by = outcome.runnerId === undefined ? {} : { runnerId: outcome.runnerId }
    if (outcome.runnerId !== undefined) this.tasks.ranOn(task, outcome.runnerId)
    if (outcome._tag === "Succeeded") {
      this.tasks.completed(task, at)
      this.outputs[task] = applyDelta(this.inputOf(task), outcome.delta)
      const { delta } = outcome
      this.round.add(
        delta.deleted.length === 0 && Object.keys(delta.set).length === 0
          ? { _tag: "TaskCompleted", at, taskId, attempt, ...by }
          : { _tag: "TaskCompleted", at, taskId, attempt, output: delta, ...by }
      )
      this.settle(task, now)
      return true
    }
    const retryAt = retryDelay === undefined ? undefined : now + retryDelay
    this.tasks.failed(task, outcome.message, at, retryAt)
    const failed = { _tag: "TaskFailed", at, taskId, attempt, error: outcome.message, ...by } as const
    if (retryAt !== undefined) {
      this.round.add({ ...failed, retryAt })
      return true
    }
    this.round.add(failed)
    this.settle(task, now)
    return true
  }

  /** A retry's wait is over: the task runs again. */
  retryDue(task: number): void {
    if (this.tasks.status[task] === "Retrying" && !this.cancelled) this.ready.push(task)
  }

  // -------------------------------------------------------------------------------------------
  // Control

  /** Every unfinished task is cancelled (running attempts were interrupted before this). */
  cancel(reason: string, now: number): void {
    if (this.cancelled || this.isDone) return
    this.cancelled = true
    this.cancelReason = reason
    const { ids } = this.graph
    for (let i = 0; i < this.n; i++) {
      const status = this.tasks.status[i]
      if (isTerminal(status)) continue
      this.round.add(
        status === "Running"
          ? { _tag: "TaskCancelled", at: now, taskId: ids[i], reason, interrupted: this.tasks.attempts[i] }
          : { _tag: "TaskCancelled", at: now, taskId: ids[i], reason }
      )
      this.tasks.ended(i, "Cancelled", reason, now)
      this.terminalCount++
    }
    this.ready.length = 0
    this.readyHead = 0
  }

  /** Returns whether it changed anything. */
  setPaused(paused: boolean, now: number): boolean {
    if (this.paused === paused || this.cancelled || this.isDone) return false
    this.paused = paused
    this.round.update({ ...this.row(), status: paused ? "Paused" : "Running" })
    this.round.add({ _tag: paused ? "ExecutionPaused" : "ExecutionResumed", at: now })
    return true
  }

  /** Given up after a fault (storage retries did not cure, a defect): unfinished tasks cancelled, `Failed`. */
  abort(reason: string, now: number): FinishedRow {
    this.cancel(reason, now)
    this.round.add({ _tag: "ExecutionFinished", at: now, status: "Failed", errorMessage: reason })
    const row: FinishedRow = { ...this.row(), status: "Failed", errorMessage: reason, completedAt: now }
    this.round.update(row)
    return row
  }

  /** Shutting down: attempts in flight were interrupted, do not count, and run again after a restart. */
  suspend(now: number): void {
    for (let i = 0; i < this.n; i++) {
      if (this.tasks.status[i] !== "Running") continue
      this.round.add({ _tag: "TaskSuspended", at: now, taskId: this.graph.ids[i], attempt: this.tasks.attempts[i] })
    }
  }

  /** The merge of the completed leaves' outputs; not stored, computed again the same way when read back. */
  finalContext(): JsonObject {
    return finalContext(
      this.graph.leaves,
      (i) => this.tasks.status[i] === "Completed",
      (i) => this.outputs[i] ?? emptyObject
    )
  }

  /** The execution's end: its row as it will be stored, with its summary. */
  finish(now: number): FinishedRow {
    const counts = countStatuses(this.tasks.status)
    const status: FinalStatus = finalStatus(counts, this.cancelled)
    const errorMessage = summarize(status, counts, this.cancelReason)
    const row: FinishedRow = { ...this.row(), status, errorMessage: errorMessage ?? null, completedAt: now }
    this.round.update(row)
    this.round.add(
      errorMessage === undefined
        ? { _tag: "ExecutionFinished", at: now, status }
        : { _tag: "ExecutionFinished", at: now, status, errorMessage }
    )
    return row
  }
}
