/**
 * The one projection from stored rows to what callers see: `TaskResult`, `ExecutionInfo`,
 * `ExecutionSummary` and `WorkflowResult`. A live execution's result and one read back from
 * storage go through the same functions, so they hold the same values.
 */
import { Either } from "effect"
import type { ExecutionInfo, ExecutionSummary, TaskResult, WorkflowResult } from "../../WorkflowResult.js"
import type { Graph } from "../dag/graph.js"
import type { JsonObject } from "../dag/json.js"
import { parentOf } from "../execution/children.js"
import type { Dag } from "../execution/model.js"
import type { ExecutionState } from "../execution/state.js"
import { outputOf } from "../execution/state.js"
import type { TaskRow } from "../storage/journal.js"
import type { ExecutionRow, FinishedRow } from "../storage/service.js"

export const toTaskResult = (taskId: string, row: TaskRow | undefined): TaskResult => ({
  id: taskId,
  taskId,
  status: row?.status ?? "Pending",
  attempts: row?.attempts ?? 0,
  startedAt: row?.startedAt == null ? undefined : new Date(row.startedAt),
  completedAt: row?.completedAt == null ? undefined : new Date(row.completedAt),
  durationMs: row == null || row.startedAt === null || row.completedAt === null
    ? undefined
    : row.completedAt - row.startedAt,
  error: row?.error ?? undefined,
  runnerId: row?.runnerId ?? undefined,
  reason: row?.reason ?? undefined
})

/** Every task of the graph in topological order, or, without a graph, the tasks that have rows. */
export const taskResults = (
  graph: Graph | undefined,
  rows: ReadonlyMap<string, TaskRow>
): Array<TaskResult> =>
  graph === undefined
    ? [...rows.values()].map((row) => toTaskResult(row.taskId, row))
    : graph.topo.map((i) => toTaskResult(graph.ids[i], rows.get(graph.ids[i])))

export const toInfo = (
  row: ExecutionRow,
  tasks: ReadonlyArray<TaskResult>,
  finalContext: JsonObject | undefined,
  stranded?: string
): ExecutionInfo => ({
  executionId: row.id,
  workflowName: row.workflowName,
  workflowVersion: row.workflowVersion,
  status: row.status,
  input: row.input,
  finalContext,
  tasks,
  startedAt: new Date(row.createdAt),
  completedAt: row.completedAt === null ? undefined : new Date(row.completedAt),
  durationMs: row.completedAt === null ? undefined : row.completedAt - row.createdAt,
  errorMessage: row.errorMessage ?? undefined,
  idempotencyKey: row.idempotencyKey ?? undefined,
  parentExecutionId: parentOf(row.idempotencyKey),
  stranded
})

export const toSummary = (row: ExecutionRow, stranded?: string): ExecutionSummary => {
  const { finalContext: _f, input: _i, tasks: _t, ...summary } = toInfo(row, [], undefined, stranded)
  return summary
}

/** A finished execution's result. */
export const toResult = (
  row: FinishedRow,
  tasks: ReadonlyArray<TaskResult>,
  finalContext: JsonObject,
  dag?: Dag
): WorkflowResult => {
  const info = toInfo(row, tasks, finalContext)
  return {
    executionId: info.executionId,
    workflowName: info.workflowName,
    workflowVersion: info.workflowVersion,
    status: row.status,
    finalContext,
    tasks,
    startedAt: info.startedAt,
    completedAt: new Date(row.completedAt),
    durationMs: row.completedAt - row.createdAt,
    errorMessage: info.errorMessage,
    output: row.status === "Completed" && dag !== undefined
      ? Either.getOrUndefined(outputOf(dag, finalContext) ?? Either.right(undefined))
      : undefined
  }
}

/** The result of an execution that just finished, from its live state. */
export const resultOf = (row: FinishedRow, state: ExecutionState): WorkflowResult =>
  toResult(
    row,
    state.graph.topo.map((i) => toTaskResult(state.graph.ids[i], state.tasks.row(i))),
    state.finalContext(),
    state.dag
  )
