/**
 * Progress on events: task-ending events carry tasks finished out of all (`progress`), and
 * `ExecutionStarted` the task count, so that a follower draws a progress bar from any event on.
 */
import type { ExecutionEvent } from "../../ExecutionEvent.js"

/** Whether the event ends a task (a failure that will be retried does not). */
const ends = (e: ExecutionEvent): boolean =>
  e._tag === "TaskCompleted" || e._tag === "TaskSkipped" || e._tag === "TaskCancelled" ||
  (e._tag === "TaskFailed" && e.retryAt === undefined)

/**
 * The events with their progress, counted from `finishedBefore` (tasks finished before the
 * first of them); a rerun makes its tasks unfinished again.
 */
export const withProgress = (
  events: ReadonlyArray<ExecutionEvent>,
  total: number,
  finishedBefore: number
): Array<ExecutionEvent> => {
  let finished = finishedBefore
  return events.map((e): ExecutionEvent => {
    if (ends(e)) return { ...e, progress: { finished: Math.min(++finished, total), total } } as ExecutionEvent
    if (e._tag === "ExecutionRerun") finished = Math.max(0, finished - e.tasks.length)
    return e._tag === "ExecutionStarted" ? { ...e, taskCount: total } : e
  })
}

/** How many of the events end a task: what a round moved the count by. */
export const endingCount = (events: ReadonlyArray<ExecutionEvent>): number => {
  let n = 0
  for (const e of events) if (ends(e)) n++
  return n
}
