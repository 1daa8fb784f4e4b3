/**
 * The execution state machine on its own (no fibers, no storage): what each transition records
 * in the journal, and how restore, suspend, cancel and retry waits leave the execution. The
 * journal's fold (what storage reads back) is checked against the live state.
 */
import { describe, expect, it } from "@effect/vitest"
import type { JournalEntry } from "sluice"
import { Task, TriggerRule, Workflow } from "sluice"
import type { AttemptOutcome } from "../src/internal/execution/model.js"
import { ExecutionState } from "../src/internal/execution/state.js"
import { fold } from "../src/internal/storage/journal.js"

const noop = () => {}
//   a ─┬─ b ─┐
//      └─ c ─┴─ d
const a = Task.make({ id: "a", run: noop })
const b = Task.make({ id: "b", dependencies: [a], run: noop })
const c = Task.make({ id: "c", dependencies: [a], run: noop })
const d = Task.make({ id: "d", dependencies: [b, c], run: noop })
const diamond = Workflow.make({ name: "diamond", tasks: [a, b, c, d] })
const index = (id: string) => diamond.graph.index.get(id)!

const fresh = () =>
  new ExecutionState(diamond, {
    executionId: "e1",
    input: { seed: 1 },
    createdAt: 0,
    idempotencyKey: null,
    runnerId: "r1"
  })

const ok = (set: Record<string, number>, at: number): AttemptOutcome => ({
  _tag: "Succeeded",
  delta: { set, deleted: [] },
  completedAt: at
})
const failed = (message: string, at: number): AttemptOutcome => ({
  _tag: "Failed",
  error: new Error(message),
  message,
  completedAt: at
})

/** Runs a transition and returns the journal entries it recorded. */
const recorded = (state: ExecutionState, transition: () => void): ReadonlyArray<JournalEntry> => {
  transition()
  return state.round.take()?.entries ?? []
}
const ids = (state: ExecutionState, started: ReadonlyArray<number>) => started.map((i) => state.graph.ids[i])

describe("ExecutionState", () => {
  it("begins with the roots ready; an attempt is recorded only when a permit starts it", () => {
    const state = fresh()
    const entries = recorded(state, () => state.begin(1))
    expect(entries).toEqual([{
      _tag: "ExecutionStarted",
      at: 1,
      workflowName: "diamond",
      resumed: false,
      runnerId: "r1"
    }])
    expect(state.startable).toBe(1)
    let started: Array<number> = []
    expect(recorded(state, () => started = state.start(0, 2))).toEqual([])
    expect(recorded(state, () => started = state.start(4, 2))).toEqual([
      { _tag: "TaskStarted", at: 2, taskId: "a", attempt: 1, runnerId: "r1" }
    ])
    expect(ids(state, started)).toEqual(["a"])
    expect(state.startable).toBe(0)
  })

  it("a completion makes its successors ready with the merged context; the fold agrees", () => {
    const state = fresh()
    const journal: Array<JournalEntry> = []
    const step = (f: () => void) => journal.push(...recorded(state, f))
    step(() => state.begin(1))
    step(() => state.start(4, 1))
    step(() => state.attemptEnded(index("a"), 1, ok({ a: 1 }, 2), undefined, 2))
    const started = state.start(1, 3)
    expect(ids(state, started)).toEqual(["b"]) // one permit: c stays ready
    expect(state.inputOf(index("b"))).toEqual({ seed: 1, a: 1 })
    journal.push(...state.round.take()!.entries)
    const folded = fold(journal)
    expect([...folded.tasks.keys()]).toEqual(["a", "b"])
    expect(folded.tasks.get("a")).toEqual({ ...state.tasks.row(index("a")), output: { set: { a: 1 }, deleted: [] } })
    expect(folded.tasks.get("b")).toEqual(state.tasks.row(index("b")))
    expect(state.tasks.row(index("c"))).toBeUndefined()
  })

  it("a failure with a retry waits Retrying; when due it starts again as attempt 2", () => {
    const state = fresh()
    state.begin(0)
    state.start(1, 0)
    state.round.take()
    expect(recorded(state, () => state.attemptEnded(index("a"), 1, failed("unavailable", 5), 20, 5))).toEqual([
      { _tag: "TaskFailed", at: 5, taskId: "a", attempt: 1, error: "unavailable", retryAt: 25 }
    ])
    expect(state.tasks.status[index("a")]).toBe("Retrying")
    expect(state.startable).toBe(0)
    state.retryDue(index("a"))
    expect(recorded(state, () => state.start(1, 25))).toEqual([
      { _tag: "TaskStarted", at: 25, taskId: "a", attempt: 2, runnerId: "r1" }
    ])
    // A report from an attempt that no longer counts changes nothing.
    expect(state.attemptEnded(index("a"), 1, ok({}, 26), undefined, 26)).toBe(false)
  })

  it("a failure without retry skips its dependents as upstream failed, down to the join", () => {
    const state = fresh()
    state.begin(0)
    state.start(1, 0)
    state.round.take()
    const entries = recorded(state, () => state.attemptEnded(index("a"), 1, failed("boom", 1), undefined, 1))
    expect(entries.map((e) => [e._tag, "taskId" in e ? e.taskId : "", "reason" in e ? e.reason : ""])).toEqual([
      ["TaskFailed", "a", ""],
      ["TaskSkipped", "b", "upstream failed"],
      ["TaskSkipped", "c", "upstream failed"],
      ["TaskSkipped", "d", "upstream failed"]
    ])
    expect(state.isDone).toBe(true)
    const row = state.finish(2)
    expect(row).toMatchObject({ status: "Failed", errorMessage: "1 task(s) failed, 0 completed, 3 skipped" })
  })

  it("cancel ends every unfinished task, noting the attempt it interrupted", () => {
    const state = fresh()
    state.begin(0)
    state.start(1, 0)
    state.round.take()
    const entries = recorded(state, () => {
      state.cancel("cancelled", 3)
      state.finish(3)
    })
    expect(entries).toEqual([
      { _tag: "TaskCancelled", at: 3, taskId: "a", reason: "cancelled", interrupted: 1 },
      { _tag: "TaskCancelled", at: 3, taskId: "b", reason: "cancelled" },
      { _tag: "TaskCancelled", at: 3, taskId: "c", reason: "cancelled" },
      { _tag: "TaskCancelled", at: 3, taskId: "d", reason: "cancelled" },
      {
        _tag: "ExecutionFinished",
        at: 3,
        status: "Cancelled",
        errorMessage: "cancelled: 0 completed, 0 skipped, 4 cancelled"
      }
    ])
    expect(fold(entries).attempts).toEqual([])
  })

  it("suspend gives running attempts back; restore starts them again with the same attempt number", () => {
    const state = fresh()
    const journal: Array<JournalEntry> = []
    const step = (f: () => void) => journal.push(...recorded(state, f))
    step(() => state.begin(0))
    step(() => state.start(4, 0))
    step(() => state.attemptEnded(index("a"), 1, ok({ a: 1 }, 1), undefined, 1))
    step(() => state.start(4, 1)) // b and c
    step(() => state.attemptEnded(index("b"), 1, failed("flaky", 2), 50, 2)) // b waits until 52
    step(() => state.suspend(3)) // c was running: given back
    const { attempts, tasks } = fold(journal)
    expect(tasks.get("c")).toMatchObject({ status: "Pending", attempts: 0, startedAt: null })
    expect(tasks.get("b")).toMatchObject({ status: "Retrying", attempts: 1, retryAt: 52 })
    expect(attempts.map((x) => [x.taskId, x.attempt, x.status])).toEqual([["a", 1, "Completed"], ["b", 1, "Failed"]])

    const restored = new ExecutionState(diamond, state.meta)
    const waiting = restored.restore(tasks, { paused: false, resumed: true }, 10)
    expect(waiting).toEqual([{ task: index("b"), dueAt: 52 }])
    expect(restored.round.take()!.entries).toEqual([
      { _tag: "ExecutionStarted", at: 10, workflowName: "diamond", resumed: true, runnerId: "r1" }
    ])
    // c is decided again from a's rebuilt output.
    const started = restored.start(4, 10)
    expect(ids(restored, started)).toEqual(["c"])
    expect(restored.inputOf(index("c"))).toEqual({ seed: 1, a: 1 })
    expect(restored.round.take()!.entries).toEqual([{
      _tag: "TaskStarted",
      at: 10,
      taskId: "c",
      attempt: 1,
      runnerId: "r1"
    }])
  })

  it("restore runs again, with the next attempt, a task whose runner died while it ran", () => {
    const state = fresh()
    const journal: Array<JournalEntry> = []
    const step = (f: () => void) => journal.push(...recorded(state, f))
    step(() => state.begin(0))
    step(() => state.start(1, 0)) // a running, then the process dies
    const restored = new ExecutionState(diamond, state.meta)
    restored.restore(fold(journal).tasks, { paused: false, resumed: true }, 5)
    restored.round.take()
    expect(recorded(restored, () => restored.start(4, 5))).toEqual([
      { _tag: "TaskStarted", at: 5, taskId: "a", attempt: 2, runnerId: "r1" }
    ])
    // The lost attempt is recorded as interrupted.
    const { attempts } = fold([...journal, { _tag: "TaskStarted", at: 5, taskId: "a", attempt: 2 }])
    expect(attempts.map((x) => [x.attempt, x.status])).toEqual([[1, "Interrupted"], [2, "Running"]])
  })

  it("paused: nothing starts until resumed; a restored paused execution stays paused", () => {
    const state = fresh()
    state.begin(0)
    state.round.take()
    expect(recorded(state, () => state.setPaused(true, 1))).toEqual([{ _tag: "ExecutionPaused", at: 1 }])
    expect(state.start(4, 1)).toEqual([])
    state.setPaused(false, 2)
    expect(ids(state, state.start(4, 2))).toEqual(["a"])

    const skipping = Workflow.make({
      name: "skipping",
      tasks: [a, Task.make({ id: "z", dependencies: [a], triggerRule: TriggerRule.oneFailed, run: noop })]
    })
    const restored = new ExecutionState(skipping, { ...state.meta, executionId: "e2" })
    const rows = fold([
      { _tag: "TaskStarted", at: 0, taskId: "a", attempt: 1 },
      { _tag: "TaskCompleted", at: 1, taskId: "a", attempt: 1 }
    ]).tasks
    restored.restore(rows, { paused: true, resumed: false }, 3)
    // Decisions due at restore are made (and recorded) even when paused: z's rule is false.
    expect(restored.round.take()!.entries).toEqual([
      {
        _tag: "TaskSkipped",
        at: 3,
        taskId: "z",
        reason: "trigger rule not satisfied: oneFailed"
      }
    ])
    expect(restored.isDone).toBe(true)
  })
})
