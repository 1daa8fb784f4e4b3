/**
 * `rerun`: a finished execution runs again — its failed, skipped and cancelled tasks, or a task
 * and everything downstream of it — keeping the outputs of the tasks that stay completed. One
 * `ExecutionRerun` entry (the tasks, pending again) is appended while the row goes back to
 * `Running` in one compare-and-set, so two reruns at once run it once; the execution is then
 * taken up here as after a restart. Attempts count on, so the history keeps every attempt.
 */
import { Clock, Deferred, Effect, Option } from "effect"
import { ExecutionNotRunnableError, RerunError } from "../../Errors.js"
import type { RerunResult } from "../../WorkflowResult.js"
import type { Graph } from "../dag/graph.js"
import { emptyObject } from "../dag/json.js"
import type { Entry, TaskRow } from "../storage/journal.js"
import { eventsOf } from "../storage/journal.js"
import { isFinished } from "../storage/service.js"
import { result } from "./inspect.js"
import { toResult } from "./projection.js"
import type { ResultError } from "./read.js"
import { readBack, row } from "./read.js"
import { takeUp, tasksOf } from "./recovery.js"
import { whyNot } from "./registry.js"
import type { Runtime } from "./runtime.js"

export interface RerunOptions {
  /** Runs this task and everything downstream of it again, whatever their status. */
  readonly from?: string | undefined
}

/** What `result` can fail with, and a rerun that cannot be made. */
export type RerunFailure = ResultError | RerunError

const runsAgain = (status: TaskRow["status"] | undefined): boolean =>
  status === undefined || status === "Failed" || status === "Skipped" || status === "Cancelled" ||
  status === "Pending"

/** `from` and every task downstream of it. */
const downstream = (graph: Graph, from: number): Set<number> => {
  const out = new Set([from])
  const work = [from]
  while (work.length > 0) {
    for (const s of graph.succs[work.pop()!]) {
      if (!out.has(s)) {
        out.add(s)
        work.push(s)
      }
    }
  }
  return out
}

export const rerun = (
  rt: Runtime,
  executionId: string,
  options: RerunOptions = {}
): Effect.Effect<RerunResult, RerunFailure> =>
  Effect.gen(function*() {
    const fail = (reason: RerunError["reason"], detail: string) => new RerunError({ executionId, reason, detail })
    // Serialized with take-ups and controls here; across runners the compare-and-set decides.
    const begun = yield* rt.adopting.withPermits(1)(Effect.gen(function*() {
      const execution = yield* row(rt, executionId)
      if (rt.env.storage.readOnly) {
        return yield* new ExecutionNotRunnableError({
          executionId,
          workflowName: execution.workflowName,
          detail: "this runner's storage is open read-only"
        })
      }
      if (!isFinished(execution) || rt.active.has(executionId)) {
        return yield* fail("NotFinished", `it is ${execution.status}: only a finished execution runs again`)
      }
      const stored = yield* tasksOf(rt, executionId)
      const found = rt.registry.forExecution(execution, stored.tasks)
      if (found._tag === "Unknown") return yield* rt.registry.notFound(execution.workflowName, executionId)
      if (found._tag !== "Runnable") {
        return yield* new ExecutionNotRunnableError({
          executionId,
          workflowName: execution.workflowName,
          detail: whyNot(execution, found)
        })
      }
      const { graph } = found.runnable.workflow
      let chosen: ReadonlySet<number>
      if (options.from === undefined) {
        chosen = new Set(graph.topo.filter((i) => runsAgain(stored.tasks.get(graph.ids[i])?.status)))
      } else {
        const from = graph.index.get(options.from)
        if (from === undefined) {
          return yield* fail("UnknownTask", `workflow "${execution.workflowName}" has no task "${options.from}"`)
        }
        chosen = downstream(graph, from)
      }
      const tasks = graph.topo.filter((i) => chosen.has(i)).map((i) => graph.ids[i])
      if (tasks.length === 0) {
        const read = yield* readBack(rt, execution, stored.tasks)
        return {
          _tag: "Nothing" as const,
          result: toResult(execution, read.tasks, read.finalContext ?? emptyObject, read.dag)
        }
      }
      const at = yield* Clock.currentTimeMillis
      const entries: ReadonlyArray<Entry> = [
        {
          _tag: "ExecutionRerun",
          at,
          tasks,
          ...(options.from === undefined ? {} : { from: options.from }),
          // A timeout is counted again, as long as it is, from the rerun.
          ...(stored.timeoutMs === null ? {} : { deadlineAt: at + stored.timeoutMs })
        }
      ]
      // Runners sharing a database: a worker runs it here; one that runs no task leaves it to them.
      const here = rt.fleet === undefined || rt.fleet.worker
      const token = yield* rt.env.storage.reopen(
        executionId,
        { executionId, round: stored.rounds + 1, entries },
        rt.fleet !== undefined && here ? rt.env.runnerId : undefined
      )
      if (Option.isNone(token)) return yield* fail("NotFinished", "it runs again already")
      if (rt.env.hub.listening()) yield* rt.env.hub.publish(eventsOf(executionId, entries))
      if (!here) {
        yield* rt.fleet!.storage.notify("w")
        return { _tag: "Elsewhere" as const, tasks }
      }
      const reopened = { ...execution, status: "Running" as const, errorMessage: null, completedAt: null }
      const active = yield* takeUp(rt, found.runnable, reopened, yield* tasksOf(rt, executionId), {
        resume: false,
        reason: "rerun",
        token: rt.fleet === undefined ? undefined : token.value
      })
      return { _tag: "Running" as const, active, tasks }
    }))
    if (begun._tag === "Nothing") return { ...begun.result, rerunTasks: [] }
    if (begun._tag === "Elsewhere") return { ...(yield* result(rt, executionId)), rerunTasks: begun.tasks }
    const ended = yield* Deferred.await(begun.active.done)
    return { ...ended, rerunTasks: begun.tasks }
  })
