/**
 * The state of one execution and every transition it can make, as a synchronous state machine.
 * The supervisor feeds it messages and does the I/O (commit, publish, fork); this module
 * decides. Each transition appends its journal entries to the current round (`Round`), which
 * the supervisor commits before acting on it. The tasks' own transitions are in core.ts.
 */
import type { FinalStatus } from "../../Status.js"
import { isTerminal } from "../../Status.js"
import { applyDelta, emptyDelta, TaskContextImpl } from "../../TaskContext.js"
import type { Json, JsonObject } from "../dag/json.js"
import { emptyObject } from "../dag/json.js"
import { countStatuses, finalContext, finalStatus, inputOf, summarize } from "../dag/rules.js"
import type { TaskRow } from "../storage/journal.js"
import type { ExecutionRow, FinishedRow } from "../storage/service.js"
import { childKey } from "./children.js"
import { TaskStates } from "./core.js"
import type { Dag, RestoreOptions } from "./model.js"

export class ExecutionState extends TaskStates {
  /** Sparse: tasks run again by `rerun`, how many times, and their attempts before the last one. */
  private readonly reruns = new Map<number, { readonly count: number; readonly base: number }>()

  /** The key of a `Task.workflow` task's child: one per turn (a restart finds the same one). */
  childKey(task: number): string {
    const rerun = this.reruns.get(task)
    const turn = this.tasks.attempts[task] + 1
    return childKey(this.executionId, this.graph.ids[task], rerun === undefined ? `${turn}` : `${turn}r${rerun.count}`)
  }

  /** The keys of the children its `Task.workflow` tasks wait for now (controls pass down to them). */
  waitingChildren(): Array<string> {
    const keys: Array<string> = []
    for (let i = 0; i < this.n; i++) {
      if (this.tasks.status[i] === "Waiting" && this.waitOf(i)?._tag === "Child") keys.push(this.childKey(i))
    }
    return keys
  }

  /** Items of a `Task.map` task ran: recorded with the next commit (a restart runs the others). */
  itemsDone(task: number, done: ReadonlyArray<readonly [number, Json]>, now: number): void {
    if (this.tasks.status[task] !== "Waiting" || this.cancelled) return
    this.round.add({ _tag: "ItemsDone", at: now, taskId: this.graph.ids[task], done })
  }

  /** A `Task.map` task's items all ran: its results, in item order, under its id; or it failed. */
  mapEnded(task: number, ended: { readonly results: ReadonlyArray<Json> } | { readonly error: string }, now: number) {
    if (this.tasks.status[task] !== "Waiting" || this.cancelled) return
    if ("results" in ended) {
      this.completeWait(task, { set: { [this.graph.ids[task]]: ended.results }, deleted: [] }, now)
    } else {
      this.endWait(task, { _tag: "Failed", error: new Error(ended.error), message: ended.error, completedAt: now }, now)
    }
  }

  /** The context a wait's own code reads (a deferral's check, a child's input, a map's items). */
  waitContext(task: number, attempt = 0): TaskContextImpl {
    return new TaskContextImpl(this.inputOf(task), {
      taskId: this.graph.ids[task],
      executionId: this.executionId,
      workflowName: this.dag.name,
      attempt
    })
  }

  /** The attempt number as the task's retry policy counts it: from its last rerun. */
  policyAttempt(task: number, attempt: number): number {
    return attempt - (this.reruns.get(task)?.base ?? 0)
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
        // Pending again after a rerun: its next attempt counts on from those it had.
        if (row !== undefined) this.tasks.attempts[i] = row.attempts
        if (row?.reruns !== undefined) this.reruns.set(i, { count: row.reruns, base: row.rerunBase ?? 0 })
        if (graph.deps[i].every((d) => isTerminal(this.tasks.status[d]))) undecided.push(i)
        continue
      }
      this.tasks.load(i, row)
      if (row.reruns !== undefined) this.reruns.set(i, { count: row.reruns, base: row.rerunBase ?? 0 })
      this.inputs[i] = inputOf(graph.deps[i], this.meta.input, (d) => this.contextOf(d))
      if (row.status === "Completed") this.outputs[i] = applyDelta(this.inputs[i]!, row.output ?? emptyDelta)
      if (isTerminal(row.status)) {
        this.terminalCount++
        for (const s of graph.succs[i]) this.remaining[s]--
      } else if (row.status === "Retrying") {
        waiting.push({ task: i, dueAt: row.retryAt ?? now })
      } else if (row.status === "Waiting") {
        this.waitsBegun.push(i)
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
    this.heldBack.clear()
  }

  /**
   * Whether the execution can park (its supervisor end until something wakes it): nothing ready,
   * every unfinished task pending, waiting on a timer or a signal, or waiting for a retry. Returns
   * when it is due to wake (Infinity: only a message wakes it), or undefined when it cannot park
   * (a deferral's check needs asking, a task runs).
   */
  wakeAt(): number | undefined {
    if (this.readyCount > 0 || this.heldBack.size > 0 || this.isDone) return undefined
    let at = this.meta.deadlineAt ?? Infinity
    for (let i = 0; i < this.n; i++) {
      const status = this.tasks.status[i]
      if (status === "Running") return undefined
      if (status !== "Waiting" && status !== "Retrying") continue
      // A deferral's check, a child's end and a map's items are fibers of the supervisor.
      const tag = status === "Waiting" ? this.waitOf(i)?._tag : undefined
      if (tag === "Defer" || tag === "Child" || tag === "Map") return undefined
      const due = this.tasks.dueAt(i)
      if (due !== undefined && due < at) at = due
    }
    return at
  }

  /** A task held back by its concurrency key may start: ready again (if still pending). */
  readmit(task: number): void {
    if (this.heldBack.delete(task) && this.tasks.status[task] === "Pending" && !this.cancelled) this.ready.push(task)
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
    let status: FinalStatus = finalStatus(counts, this.cancelled)
    let errorMessage = summarize(status, counts, this.cancelReason)
    // A typed final output: a final context its schema refuses fails the execution.
    const refused = status === "Completed" ? outputOf(this.dag, this.finalContext()) : undefined
    if (refused?._tag === "Left") {
      status = "Failed"
      errorMessage = `the final context does not match the workflow's output schema: ${refused.left}`
    }
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

/** The typed final output of a completed execution, decoded (undefined: the workflow has none). */
export const outputOf = (dag: Dag, finalContext: JsonObject) => dag.output?.decode(finalContext)
