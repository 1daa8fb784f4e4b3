/**
 * The tasks of one execution and their transitions, as a synchronous state machine: deciding a
 * task once its dependencies are terminal (trigger rule, input context), durable waits, starting
 * attempts under permits, recording their outcomes. `ExecutionState` (state.ts) adds the
 * execution's life around it: begin, restore, control, finish.
 */
import type { Wait } from "../../Task.js"
import type { ContextDelta } from "../../TaskContext.js"
import { applyDelta, emptyDelta, TaskContextImpl } from "../../TaskContext.js"
import type { WorkflowResult } from "../../WorkflowResult.js"
import type { Graph } from "../dag/graph.js"
import type { Json, JsonObject } from "../dag/json.js"
import { emptyObject } from "../dag/json.js"
import type { Outcome } from "../dag/rules.js"
import { decide, inputOf, outcomeOf } from "../dag/rules.js"
import type { AttemptOutcome, Dag, ExecutionMeta } from "./model.js"
import { byPriority, hasPriorities } from "./model.js"
import { Round } from "./round.js"
import { TaskTable } from "./tasks.js"

export class TaskStates {
  readonly n: number
  readonly graph: Graph
  readonly tasks: TaskTable
  protected readonly remaining: Int32Array
  protected readonly undecidedSuccs: Int32Array
  protected readonly inputs: Array<JsonObject | undefined>
  protected readonly outputs: Array<JsonObject | undefined>
  protected readonly ready: Array<number> = []
  /** Whether a ready task may start now (its concurrency key); unset, every one may. */
  admit: ((task: number) => boolean) | undefined
  /** Ready tasks refused by `admit`, until `readmit`. */
  readonly heldBack = new Set<number>()
  private hasPriorities: boolean | undefined
  protected readyHead = 0
  protected terminalCount = 0
  paused = false
  cancelled = false
  protected cancelReason: string | undefined
  /** What to commit next, and publish after it. */
  readonly round: Round
  /** Durable waits begun (or restored) since the supervisor last armed them: task indices. */
  readonly waitsBegun: Array<number> = []

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

  /** Tasks in a final state. */
  get finished(): number {
    return this.terminalCount
  }

  /** Tasks decided to run that wait for a permit (or for a resume). */
  get readyCount(): number {
    return this.ready.length - this.readyHead
  }

  // -------------------------------------------------------------------------------------------
  // Deciding

  protected contextOf(task: number): JsonObject {
    return (this.tasks.status[task] === "Completed" ? this.outputs[task] : this.inputs[task]) ?? emptyObject
  }

  private outcome(task: number): Outcome {
    return outcomeOf(this.tasks.status[task], this.tasks.reasons.get(task))
  }

  /** Decides `first` and everything a skip makes decidable after it, without recursion. */
  protected decideFrom(first: number, now: number): void {
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
        const wait = this.waitOf(i)
        if (wait === undefined) this.ready.push(i)
        else if (!this.beginWait(i, wait, now)) this.terminal(i, work)
      } else {
        this.tasks.ended(i, "Skipped", decision.reason, now)
        this.round.add({ _tag: "TaskSkipped", at: now, taskId: graph.ids[i], reason: decision.reason })
        this.terminal(i, work)
      }
    }
  }

  /** A task reached its end: decide every successor that was waiting only for it. */
  protected settle(task: number, now: number): void {
    const work: Array<number> = []
    this.terminal(task, work)
    for (const s of work) this.decideFrom(s, now)
  }

  protected terminal(i: number, work: Array<number>): void {
    this.terminalCount++
    for (const s of this.graph.succs[i]) {
      if (--this.remaining[s] === 0 && this.tasks.status[s] === "Pending") work.push(s)
    }
  }

  // -------------------------------------------------------------------------------------------
  // Durable waits: held here, without a permit; the supervisor arms their timers and checks.

  waitOf(task: number): Wait | undefined {
    return this.dag.tasks?.[task]?.wait
  }

  /** Returns false when the wait could not begin (a sleep's `until` threw): the task failed. */
  private beginWait(i: number, wait: Wait, now: number): boolean {
    let until: number | undefined
    if (wait._tag === "Sleep") {
      try {
        const ctx = new TaskContextImpl(this.inputs[i] ?? emptyObject, {
          taskId: this.graph.ids[i],
          executionId: this.executionId,
          workflowName: this.dag.name,
          attempt: 0
        })
        until = wait.until(ctx, now)
      } catch (e) {
        this.recordWaitFailed(i, `sleep: ${e instanceof Error ? e.message : String(e)}`, now)
        return false
      }
    } else if (wait._tag === "Signal" && wait.timeoutMs !== undefined) {
      until = now + wait.timeoutMs
    }
    this.tasks.waiting(i, until)
    const signal = wait._tag === "Signal" ? { signal: wait.signal } : {}
    const taskId = this.graph.ids[i]
    this.round.add(
      until === undefined
        ? { _tag: "TaskWaiting", at: now, taskId, ...signal }
        : { _tag: "TaskWaiting", at: now, taskId, until, ...signal }
    )
    this.waitsBegun.push(i)
    return true
  }

  /**
   * Every wait and waiting retry armed again (a parked execution woken): its waits go to
   * `waitsBegun`; its retries are returned with their due times.
   */
  rearm(): Array<{ readonly task: number; readonly dueAt: number }> {
    const retries: Array<{ task: number; dueAt: number }> = []
    this.waitsBegun.length = 0
    for (let i = 0; i < this.n; i++) {
      const status = this.tasks.status[i]
      if (status === "Waiting") this.waitsBegun.push(i)
      else if (status === "Retrying") retries.push({ task: i, dueAt: this.tasks.dueAt(i) ?? 0 })
    }
    return retries
  }

  /** A sleep's end or a signal's timeout came, or a deferral's check held. */
  waitDue(task: number, now: number): void {
    const wait = this.waitOf(task)
    if (this.tasks.status[task] !== "Waiting" || this.cancelled || wait === undefined) return
    if (wait._tag === "Sleep") this.completeWait(task, emptyDelta, now)
    else if (wait._tag === "Signal") this.waitFailed(task, `timed out waiting for signal "${wait.signal}"`, now)
    else if (!this.ready.includes(task, this.readyHead)) this.ready.push(task)
  }

  /** A signal is stored for this execution: every task waiting for it completes with its payload. */
  signalled(name: string, payload: unknown, now: number): void {
    if (this.cancelled) return
    for (let i = 0; i < this.n; i++) {
      const wait = this.waitOf(i)
      if (wait?._tag !== "Signal" || wait.signal !== name || this.tasks.status[i] !== "Waiting") continue
      const decoded = wait.decode(payload)
      if (decoded._tag === "Left") this.waitFailed(i, `signal "${name}": ${decoded.left}`, now)
      else this.completeWait(i, { set: { [name]: decoded.right as Json }, deleted: [] }, now)
    }
  }

  /** A child execution ended: `Completed` completes the task with its final context, else it fails. */
  childEnded(task: number, result: WorkflowResult, now: number): void {
    if (this.tasks.status[task] !== "Waiting" || this.cancelled) return
    if (result.status === "Completed") {
      this.completeWait(task, { set: { [this.graph.ids[task]]: result.finalContext as Json }, deleted: [] }, now)
      return
    }
    // An attempt of its own, as a completion is: the task's next turn (a rerun) is a new child.
    const why = result.errorMessage === undefined ? "" : `: ${result.errorMessage}`
    const message = `child execution ${result.executionId} ended ${result.status}${why}`
    this.endWait(task, { _tag: "Failed", error: new Error(message), message, completedAt: now }, now)
  }

  /** A wait that ends the task: an attempt of its own, recorded started and ended at once. */
  protected completeWait(task: number, delta: ContextDelta, now: number): void {
    this.endWait(task, { _tag: "Succeeded", delta, completedAt: now }, now)
  }

  protected endWait(task: number, outcome: AttemptOutcome, now: number): void {
    const attempt = this.tasks.started(task, now)
    this.round.add({
      _tag: "TaskStarted",
      at: now,
      taskId: this.graph.ids[task],
      attempt,
      runnerId: this.meta.runnerId
    })
    this.attemptEnded(task, attempt, outcome, undefined, now)
  }

  /** The wait failed (a timeout, a check that threw, a bad payload): the task fails, not retried. */
  waitFailed(task: number, error: string, now: number): void {
    if (this.tasks.status[task] !== "Waiting" || this.cancelled) return
    this.recordWaitFailed(task, error, now)
    this.settle(task, now)
  }

  private recordWaitFailed(task: number, error: string, now: number): void {
    this.tasks.failed(task, error, now, undefined)
    const attempt = this.tasks.attempts[task]
    this.round.add({ _tag: "TaskFailed", at: now, taskId: this.graph.ids[task], attempt, error })
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
    // Fewer permits than ready tasks: higher priorities first (only if a task has one).
    if (permits < this.readyCount && (this.hasPriorities ??= hasPriorities(this.dag))) {
      this.readyHead = byPriority(this.ready, this.readyHead, this.dag.tasks!)
    }
    while (out.length < permits && this.startable > 0) {
      const i = this.ready[this.readyHead++]
      // Its concurrency key is full: held back (no permit used) until readmitted.
      if (this.admit !== undefined && !this.admit(i)) {
        this.heldBack.add(i)
        continue
      }
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
}
