/**
 * The state of one execution and every transition it can make, as a synchronous state machine.
 * The supervisor feeds it messages and does the I/O (commit, publish, fork); this module decides.
 * Each transition appends the rows and events it caused to the current round, which the
 * supervisor commits before acting on it.
 */
import type { ExecutionEvent } from "../ExecutionEvent.js"
import type { AttemptRow, Batch, EventRow, ExecutionRow, ExecutionUpdate, TaskRow } from "../Storage.js"
import { applyDelta, type ContextDelta } from "../TaskContext.js"
import type { Workflow } from "../Workflow.js"
import type { TaskResult, WorkflowResult } from "../WorkflowResult.js"
import type { JsonObject } from "./json.js"
import { emptyObject } from "./json.js"
import type { ExecutionStatus, FinalStatus, Outcome, TaskStatus } from "./rules.js"
import { countStatuses, decide, finalContext, finalStatus, inputOf, isTerminal, outcomeOf, summarize } from "./rules.js"

/** What one attempt of a task came to, as its fiber reports it. */
export type AttemptOutcome =
  | {
    readonly _tag: "Succeeded"
    readonly delta: ContextDelta
    readonly startedAt: number
    readonly completedAt: number
  }
  | {
    readonly _tag: "Failed"
    readonly error: unknown
    readonly message: string
    readonly startedAt: number
    readonly completedAt: number
  }

export interface ExecutionMeta {
  readonly executionId: string
  readonly input: JsonObject
  readonly createdAt: number
  readonly idempotencyKey: string | null
}

export class ExecutionState {
  readonly n: number
  readonly status: Array<TaskStatus>
  readonly rows: Array<TaskRow | undefined>
  private readonly remaining: Int32Array
  private readonly undecidedSuccs: Int32Array
  private readonly inputs: Array<JsonObject | undefined>
  private readonly outputs: Array<JsonObject | undefined>
  /** Retry schedule state per task (opaque to this module). */
  readonly scheduleState: Array<unknown>
  private readonly ready: Array<number> = []
  private readyHead = 0
  private terminalCount = 0
  private inFlight = 0
  paused = false
  cancelled = false
  cancelReason: string | undefined
  executionStatus: ExecutionStatus = "Running"

  // The current round: what to commit and publish next.
  private newExecution: ExecutionRow | undefined
  private executionUpdate: ExecutionUpdate | undefined
  private taskRows: Array<TaskRow> = []
  private attemptRows: Array<AttemptRow> = []
  private attemptDeletes: Array<Pick<AttemptRow, "executionId" | "taskId" | "attempt">> = []
  private events: Array<ExecutionEvent> = []

  constructor(
    readonly workflow: Workflow<any>,
    readonly meta: ExecutionMeta,
    /** At most this many attempt fibers of this execution exist at once. */
    private readonly window: number
  ) {
    const n = workflow.graph.ids.length
    this.n = n
    this.status = new Array<TaskStatus>(n).fill("Pending")
    this.rows = new Array(n)
    this.remaining = Int32Array.from(workflow.graph.deps, (d) => d.length)
    this.undecidedSuccs = Int32Array.from(workflow.graph.succs, (s) => s.length)
    this.inputs = new Array(n)
    this.outputs = new Array(n)
    this.scheduleState = new Array(n)
  }

  get executionId(): string {
    return this.meta.executionId
  }

  get isDone(): boolean {
    return this.terminalCount === this.n
  }

  // -------------------------------------------------------------------------------------------
  // Starting

  /** A new execution: its row, then every root decided. */
  begin(now: number): void {
    this.newExecution = {
      id: this.meta.executionId,
      workflowName: this.workflow.name,
      workflowVersion: this.workflow.version,
      status: "Running",
      input: this.meta.input,
      finalContext: null,
      errorMessage: null,
      idempotencyKey: this.meta.idempotencyKey,
      taskCount: this.n,
      createdAt: now,
      completedAt: null
    }
    this.event({
      _tag: "ExecutionStarted",
      executionId: this.executionId,
      workflowName: this.workflow.name,
      resumed: false,
      at: new Date(now)
    })
    for (const root of this.workflow.graph.roots) this.decideFrom(root, now)
  }

  /**
   * An execution read back from storage after a restart. Completed tasks keep their outputs
   * (rebuilt from their recorded changes); tasks that were running run again with the next
   * attempt number; pending tasks whose dependencies are done are decided now. Returns the
   * retries still waiting, with their due times.
   */
  restore(rows: ReadonlyArray<TaskRow>, paused: boolean, now: number): Array<{ task: number; dueAt: number }> {
    const { graph } = this.workflow
    const byId = new Map(rows.map((r) => [r.taskId, r]))
    this.paused = paused
    this.executionStatus = paused ? "Paused" : "Running"
    this.event({
      _tag: "ExecutionStarted",
      executionId: this.executionId,
      workflowName: this.workflow.name,
      resumed: true,
      at: new Date(now)
    })
    const waiting: Array<{ task: number; dueAt: number }> = []
    const redispatch: Array<number> = []
    const undecided: Array<number> = []
    for (const i of graph.topo) {
      const row = byId.get(graph.ids[i])
      if (row === undefined || row.status === "Pending") {
        if (graph.deps[i].every((d) => isTerminal(this.status[d]))) undecided.push(i)
        continue
      }
      this.rows[i] = row
      this.status[i] = row.status
      this.inputs[i] = inputOf(graph.deps[i], this.meta.input, (d) => this.contextOf(d))
      if (row.status === "Completed") {
        this.outputs[i] = applyDelta(this.inputs[i]!, row.output ?? { set: {}, deleted: [] })
      }
      if (isTerminal(row.status)) {
        this.terminalCount++
        for (const s of graph.succs[i]) this.remaining[s]--
      } else if (row.status === "Retrying") {
        waiting.push({ task: i, dueAt: row.retryAt ?? now })
      } else {
        // It was running when the process died: that attempt counts, the next one starts.
        this.status[i] = "Retrying"
        redispatch.push(i)
      }
    }
    for (const i of redispatch) this.dispatch(i)
    for (const i of undecided) if (this.remaining[i] === 0 && this.status[i] === "Pending") this.decideFrom(i, now)
    return waiting
  }

  // -------------------------------------------------------------------------------------------
  // Transitions

  private contextOf(task: number): JsonObject {
    return (this.status[task] === "Completed" ? this.outputs[task] : this.inputs[task]) ?? emptyObject
  }

  private outcome(task: number): Outcome {
    return outcomeOf(this.status[task], this.rows[task]?.reason ?? undefined)
  }

  /** Decides `first` and everything a skip makes decidable after it, without recursion. */
  private decideFrom(first: number, now: number): void {
    const { graph } = this.workflow
    const work = [first]
    while (work.length > 0) {
      const i = work.pop()!
      const deps = graph.deps[i]
      const input = inputOf(deps, this.meta.input, (d) => this.contextOf(d))
      this.inputs[i] = input
      for (const d of deps) {
        if (--this.undecidedSuccs[d] === 0 && graph.succs[d].length > 0) this.release(d)
      }
      const task = this.workflow.tasks[i]
      const decision = decide(
        task.triggerRule,
        deps.map((d) => this.outcome(d)),
        (id) => this.outcome(graph.index.get(id)!),
        input
      )
      if (decision.run) {
        this.dispatch(i)
      } else {
        this.status[i] = "Skipped"
        this.setRow(i, { status: "Skipped", reason: decision.reason, completedAt: now })
        this.event({
          _tag: "TaskSkipped",
          executionId: this.executionId,
          taskId: graph.ids[i],
          reason: decision.reason,
          at: new Date(now)
        })
        this.terminal(i, work)
      }
    }
  }

  /** Keeps a finished task's context only while a successor may still need it. */
  private release(task: number): void {
    // Only called once every successor is decided, which needs this task finished.
    this.inputs[task] = undefined
    this.outputs[task] = undefined
  }

  /** A task reached its end: decide every successor that was waiting only for it. */
  private settle(task: number, now: number): void {
    const work: Array<number> = []
    this.terminal(task, work)
    for (const s of work) this.decideFrom(s, now)
  }

  private terminal(i: number, work: Array<number>): void {
    this.terminalCount++
    for (const s of this.workflow.graph.succs[i]) {
      if (--this.remaining[s] === 0 && this.status[s] === "Pending") work.push(s)
    }
  }

  /** The task will run: it waits in the ready queue for the window (and for a resume). */
  private dispatch(i: number): void {
    this.ready.push(i)
  }

  /**
   * Ready tasks to fork now: none while paused, and no more than the window allows. Each one's
   * attempt is counted and recorded here, so that it is committed before its body starts.
   */
  takeReady(now: number): Array<number> {
    const out: Array<number> = []
    while (!this.paused && !this.cancelled && this.inFlight < this.window && this.readyHead < this.ready.length) {
      const i = this.ready[this.readyHead++]
      this.start(i, now)
      out.push(i)
      this.inFlight++
    }
    if (this.readyHead === this.ready.length && this.readyHead > 0) {
      this.ready.length = 0
      this.readyHead = 0
    }
    return out
  }

  private start(i: number, now: number): void {
    const attempt = (this.rows[i]?.attempts ?? 0) + 1
    const taskId = this.workflow.graph.ids[i]
    this.status[i] = "Running"
    this.setRow(i, { status: "Running", attempts: attempt, startedAt: this.rows[i]?.startedAt ?? now, retryAt: null })
    this.attemptRows.push({
      executionId: this.executionId,
      taskId,
      attempt,
      status: "Running",
      error: null,
      startedAt: now,
      completedAt: null
    })
    this.event({ _tag: "TaskStarted", executionId: this.executionId, taskId, attempt, at: new Date(now) })
  }

  inputOf(task: number): JsonObject {
    return this.inputs[task] ?? emptyObject
  }

  attemptOf(task: number): number {
    return this.rows[task]?.attempts ?? 0
  }

  /** Whether a failed attempt may be followed by another (before asking the schedule). */
  mayRetry(task: number, error: unknown): boolean {
    const policy = this.workflow.tasks[task].retry
    if (this.attemptOf(task) >= policy.maxAttempts) return false
    if (policy.retryIf === undefined) return true
    try {
      return policy.retryIf(error) === true
    } catch {
      return false
    }
  }

  /**
   * An attempt ended. `retryDelay` is set when the supervisor decided that a failure is retried.
   * Reports from attempts that no longer count (cancelled) are ignored.
   */
  attemptEnded(
    task: number,
    attempt: number,
    outcome: AttemptOutcome,
    retryDelay: number | undefined,
    now: number
  ): void {
    if (this.status[task] !== "Running" || this.attemptOf(task) !== attempt) return
    this.inFlight--
    const taskId = this.workflow.graph.ids[task]
    const firstStart = attempt === 1 ? outcome.startedAt : (this.rows[task]?.startedAt ?? outcome.startedAt)
    if (outcome._tag === "Succeeded") {
      this.status[task] = "Completed"
      this.outputs[task] = applyDelta(this.inputOf(task), outcome.delta)
      this.setRow(task, {
        status: "Completed",
        output: outcome.delta,
        error: null,
        startedAt: firstStart,
        completedAt: outcome.completedAt
      })
      this.attemptRows.push({
        executionId: this.executionId,
        taskId,
        attempt,
        status: "Completed",
        error: null,
        startedAt: outcome.startedAt,
        completedAt: outcome.completedAt
      })
      this.event({
        _tag: "TaskCompleted",
        executionId: this.executionId,
        taskId,
        attempt,
        at: new Date(outcome.completedAt)
      })
      this.settle(task, now)
      return
    }
    this.attemptRows.push({
      executionId: this.executionId,
      taskId,
      attempt,
      status: "Failed",
      error: outcome.message,
      startedAt: outcome.startedAt,
      completedAt: outcome.completedAt
    })
    const retryAt = retryDelay === undefined ? undefined : now + retryDelay
    this.event({
      _tag: "TaskFailed",
      executionId: this.executionId,
      taskId,
      attempt,
      error: outcome.message,
      retryAt: retryAt === undefined ? undefined : new Date(retryAt),
      at: new Date(outcome.completedAt)
    })
    if (retryAt !== undefined) {
      this.status[task] = "Retrying"
      this.setRow(task, { status: "Retrying", error: outcome.message, startedAt: firstStart, retryAt })
      return
    }
    this.status[task] = "Failed"
    this.setRow(task, {
      status: "Failed",
      error: outcome.message,
      startedAt: firstStart,
      completedAt: outcome.completedAt
    })
    this.settle(task, now)
  }

  /** A retry's wait is over: the task runs again. */
  retryDue(task: number): void {
    if (this.status[task] === "Retrying" && !this.cancelled) this.dispatch(task)
  }

  /** Every unfinished task is cancelled (running attempts were interrupted before this). */
  cancel(reason: string, now: number): void {
    if (this.cancelled || this.isDone) return
    this.cancelled = true
    this.cancelReason = reason
    const { ids } = this.workflow.graph
    for (let i = 0; i < this.n; i++) {
      const status = this.status[i]
      if (isTerminal(status)) continue
      if (status === "Running") {
        const attempt = this.attemptOf(i)
        const startedAt = this.rows[i]?.startedAt ?? now
        this.attemptRows.push({
          executionId: this.executionId,
          taskId: ids[i],
          attempt,
          status: "Interrupted",
          error: reason,
          startedAt,
          completedAt: now
        })
      }
      this.status[i] = "Cancelled"
      this.setRow(i, { status: "Cancelled", reason, completedAt: now, retryAt: null })
      this.event({ _tag: "TaskCancelled", executionId: this.executionId, taskId: ids[i], at: new Date(now) })
      this.terminalCount++
    }
    this.ready.length = 0
    this.readyHead = 0
  }

  setPaused(paused: boolean, now: number): void {
    if (this.paused === paused || this.cancelled || this.isDone) return
    this.paused = paused
    this.executionStatus = paused ? "Paused" : "Running"
    this.executionUpdate = {
      id: this.executionId,
      status: this.executionStatus,
      finalContext: null,
      errorMessage: null,
      completedAt: null
    }
    this.event(
      paused
        ? { _tag: "ExecutionPaused", executionId: this.executionId, at: new Date(now) }
        : { _tag: "ExecutionResumed", executionId: this.executionId, at: new Date(now) }
    )
  }

  /**
   * The process is shutting down: attempts in flight were interrupted and do not count. Their
   * tasks go back to the state they had before being dispatched, to run again after a restart.
   */
  suspend(): void {
    const { ids } = this.workflow.graph
    for (let i = 0; i < this.n; i++) {
      if (this.status[i] !== "Running") continue
      const attempt = this.attemptOf(i)
      this.attemptDeletes.push({ executionId: this.executionId, taskId: ids[i], attempt })
      const retrying = attempt > 1
      this.setRow(i, {
        status: retrying ? "Retrying" : "Pending",
        attempts: attempt - 1,
        retryAt: retrying ? 0 : null,
        startedAt: retrying ? this.rows[i]!.startedAt : null
      })
    }
  }

  /** The execution's end: status, final context, summary. */
  finish(now: number): WorkflowResult {
    const counts = countStatuses(this.status)
    const status: FinalStatus = finalStatus(counts, this.cancelled)
    const { graph } = this.workflow
    const context = finalContext(
      graph.leaves,
      (i) => this.status[i] === "Completed",
      (i) => this.outputs[i] ?? emptyObject
    )
    const errorMessage = summarize(status, counts, this.cancelReason)
    this.executionStatus = status
    this.executionUpdate = {
      id: this.executionId,
      status,
      finalContext: context,
      errorMessage: errorMessage ?? null,
      completedAt: now
    }
    this.event({ _tag: "ExecutionFinished", executionId: this.executionId, status, errorMessage, at: new Date(now) })
    return {
      executionId: this.executionId,
      workflowName: this.workflow.name,
      workflowVersion: this.workflow.version,
      status,
      finalContext: context,
      tasks: graph.topo.map((i) => toTaskResult(this.rows[i], graph.ids[i])),
      startedAt: new Date(this.meta.createdAt),
      completedAt: new Date(now),
      durationMs: now - this.meta.createdAt,
      errorMessage
    }
  }

  // -------------------------------------------------------------------------------------------
  // The round

  private setRow(i: number, change: Partial<TaskRow>): void {
    const previous = this.rows[i]
    const row: TaskRow = {
      executionId: this.executionId,
      taskId: this.workflow.graph.ids[i],
      position: this.workflow.graph.position[i],
      status: "Pending",
      attempts: 0,
      output: null,
      error: null,
      reason: null,
      startedAt: null,
      completedAt: null,
      retryAt: null,
      ...previous,
      ...change
    }
    this.rows[i] = row
    this.taskRows.push(row)
  }

  private event(event: ExecutionEvent): void {
    this.events.push(event)
  }

  /** Takes what this round changed: the batch to commit and the events to publish after it. */
  drain(): { readonly batch: Batch; readonly events: ReadonlyArray<ExecutionEvent> } | undefined {
    if (
      this.events.length === 0 && this.taskRows.length === 0 && this.executionUpdate === undefined &&
      this.attemptDeletes.length === 0
    ) {
      return undefined
    }
    const events = this.events
    const batch: Batch = {
      executions: this.newExecution === undefined ? [] : [this.newExecution],
      executionUpdates: this.executionUpdate === undefined ? [] : [this.executionUpdate],
      tasks: this.taskRows,
      attempts: this.attemptRows,
      attemptDeletes: this.attemptDeletes,
      events: events.map(toEventRow)
    }
    this.newExecution = undefined
    this.executionUpdate = undefined
    this.taskRows = []
    this.attemptRows = []
    this.attemptDeletes = []
    this.events = []
    return { batch, events }
  }
}

export const toTaskResult = (row: TaskRow | undefined, taskId: string): TaskResult => {
  if (row === undefined) {
    return {
      id: taskId,
      taskId,
      status: "Pending",
      attempts: 0,
      startedAt: undefined,
      completedAt: undefined,
      durationMs: undefined,
      error: undefined,
      reason: undefined
    }
  }
  return {
    id: taskId,
    taskId,
    status: row.status,
    attempts: row.attempts,
    startedAt: row.startedAt === null ? undefined : new Date(row.startedAt),
    completedAt: row.completedAt === null ? undefined : new Date(row.completedAt),
    durationMs: row.startedAt !== null && row.completedAt !== null ? row.completedAt - row.startedAt : undefined,
    error: row.error ?? undefined,
    reason: row.reason ?? undefined
  }
}

/** The stored form of an event: its fields other than tag, execution, task and time go to `data`. */
const toEventRow = (event: ExecutionEvent): EventRow => {
  const row = (taskId: string | null, data: JsonObject): EventRow => ({
    executionId: event.executionId,
    taskId,
    type: event._tag,
    at: event.at.getTime(),
    data
  })
  switch (event._tag) {
    case "ExecutionStarted":
      return row(null, { workflowName: event.workflowName, resumed: event.resumed })
    case "TaskStarted":
    case "TaskCompleted":
      return row(event.taskId, { attempt: event.attempt })
    case "TaskFailed":
      return row(
        event.taskId,
        event.retryAt === undefined
          ? { attempt: event.attempt, error: event.error }
          : { attempt: event.attempt, error: event.error, retryAt: event.retryAt.getTime() }
      )
    case "TaskSkipped":
      return row(event.taskId, { reason: event.reason })
    case "TaskCancelled":
      return row(event.taskId, {})
    case "ExecutionPaused":
    case "ExecutionResumed":
      return row(null, {})
    case "ExecutionFinished":
      return row(
        null,
        event.errorMessage === undefined
          ? { status: event.status }
          : { status: event.status, errorMessage: event.errorMessage }
      )
  }
}

/** Rebuilds an event read back from storage. */
export const fromEventRow = (row: EventRow): ExecutionEvent => {
  const data: Record<string, unknown> = { ...row.data }
  if (typeof data.retryAt === "number") data.retryAt = new Date(data.retryAt)
  if (data.retryAt === undefined && row.type === "TaskFailed") data.retryAt = undefined
  return {
    _tag: row.type,
    executionId: row.executionId,
    ...(row.taskId === null ? {} : { taskId: row.taskId }),
    ...data,
    at: new Date(row.at)
  } as ExecutionEvent
}
