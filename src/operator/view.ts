/**
 * What the operator surface (the `sluice` command and the web view) shows of one execution, read
 * once for both: its tasks with their dependencies (from the stored workflow definition, so a
 * process without the workflow's code can draw it), what each task wrote to the context, every
 * attempt (on which runner, from when to when: the timeline), and its progress.
 */
import { Effect, Option } from "effect"
import type { ExecutionNotFoundError, StorageError } from "../Errors.js"
import { fold } from "../internal/storage/journal.js"
import { Runner } from "../Runner.js"
import type { TaskStatus } from "../Status.js"
import { Storage } from "../Storage.js"
import type { AttemptInfo, ExecutionInfo, TaskResult } from "../WorkflowResult.js"

/** One task as shown: its result, its place in the DAG, what it wrote, its attempts. */
export interface TaskView extends TaskResult {
  readonly dependencies: ReadonlyArray<string>
  /** What its completing attempt set in the context (none: it did not complete, or set nothing). */
  readonly wrote: Readonly<Record<string, unknown>> | undefined
  /** The keys its completing attempt deleted. */
  readonly deleted: ReadonlyArray<string>
  readonly attemptList: ReadonlyArray<AttemptInfo>
}

export interface ExecutionView {
  readonly info: ExecutionInfo
  /** In topological order (the stored definition's order), every task of the workflow. */
  readonly tasks: ReadonlyArray<TaskView>
  /** Tasks in a final state (completed, failed, skipped, cancelled) out of all. */
  readonly progress: { readonly finished: number; readonly total: number }
}

const finalTask: ReadonlySet<TaskStatus> = new Set(["Completed", "Failed", "Skipped", "Cancelled"])

/** Whether a task status is final. */
export const isFinalTask = (status: TaskStatus): boolean => finalTask.has(status)

/** One execution as the operator surface shows it. */
export const executionView = (
  executionId: string
): Effect.Effect<ExecutionView, ExecutionNotFoundError | StorageError, Runner | Storage> =>
  Effect.gen(function*() {
    const runner = yield* Runner
    const storage = yield* Storage
    const info = yield* runner.get(executionId)
    const [attempts, journal, definition] = yield* Effect.all([
      runner.attempts(executionId),
      storage.journal(executionId),
      storage.workflow(info.workflowName, info.workflowVersion)
    ], { concurrency: "unbounded" })
    const rows = fold(journal.entries).tasks
    const dependencies = new Map(
      Option.match(definition, {
        onNone: () => [],
        onSome: (d) => d.tasks.map((t) => [t.id, t.dependencies] as const)
      })
    )
    const tasks = info.tasks.map((task): TaskView => {
      const output = rows.get(task.taskId)?.output ?? null
      return {
        ...task,
        dependencies: dependencies.get(task.taskId) ?? [],
        wrote: task.status === "Completed" && output !== null ? output.set : undefined,
        deleted: task.status === "Completed" && output !== null ? output.deleted : [],
        attemptList: attempts.filter((a) => a.taskId === task.taskId)
      }
    })
    const finished = tasks.filter((t) => isFinalTask(t.status)).length
    return { info, tasks, progress: { finished, total: tasks.length } }
  })
