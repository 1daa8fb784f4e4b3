/**
 * The DAG of a workflow, checked and compiled to arrays of indices once, when the workflow is
 * made. Everything the runtime asks of the graph (successors, readiness counts, leaves) is then
 * an array lookup.
 */
import { WorkflowDefinitionError } from "../../Errors.js"
import type { TriggerRule } from "../../TriggerRule.js"
import { referencedTasks } from "../../TriggerRule.js"

/** What the graph needs of a task: a `Task`, or a task of a stored definition. */
export interface TaskShape {
  readonly id: string
  /** In declaration order: the order in which their contexts merge. */
  readonly dependencies: ReadonlyArray<string>
  readonly triggerRule: TriggerRule
}

export interface Graph {
  /** Task ids in declaration order; every other array is indexed the same way. */
  readonly ids: ReadonlyArray<string>
  readonly index: ReadonlyMap<string, number>
  readonly deps: ReadonlyArray<ReadonlyArray<number>>
  readonly succs: ReadonlyArray<ReadonlyArray<number>>
  /** Levels flattened: a topological order, deterministic (declaration order within a level). */
  readonly topo: ReadonlyArray<number>
  /** Where each task stands in `topo`. */
  readonly position: ReadonlyArray<number>
  readonly levels: ReadonlyArray<ReadonlyArray<number>>
  readonly roots: ReadonlyArray<number>
  readonly leaves: ReadonlyArray<number>
  readonly rules: ReadonlyArray<TriggerRule>
}

const idPattern = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/
export const isValidId = (id: unknown): id is string => typeof id === "string" && id.length <= 200 && idPattern.test(id)

export const compile = (name: string, tasks: ReadonlyArray<TaskShape>): Graph => {
  const fail = (fields: Omit<ConstructorParameters<typeof WorkflowDefinitionError>[0], "workflowName">): never => {
    throw new WorkflowDefinitionError({ ...fields, workflowName: name })
  }
  if (typeof name !== "string" || name.trim().length === 0 || /[\s/]/.test(name)) {
    fail({
      reason: "InvalidWorkflowName",
      detail: `workflow name must be a non-empty string without spaces or "/", got ${JSON.stringify(name)}`
    })
  }
  if (tasks.length === 0) fail({ reason: "EmptyWorkflow", detail: "a workflow needs at least one task" })

  const ids: Array<string> = []
  const index = new Map<string, number>()
  for (const task of tasks) {
    if (!isValidId(task.id)) {
      fail({
        reason: "InvalidTaskId",
        taskId: String(task.id),
        detail: `invalid task id ${JSON.stringify(task.id)}: use letters, digits, "_", "-" and "." (at most 200)`
      })
    }
    if (index.has(task.id)) {
      fail({ reason: "DuplicateTaskId", taskId: task.id, detail: `duplicate task id "${task.id}"` })
    }
    index.set(task.id, ids.length)
    ids.push(task.id)
  }

  const n = ids.length
  const deps: Array<Array<number>> = new Array(n)
  const succs: Array<Array<number>> = Array.from({ length: n }, () => [])
  for (let i = 0; i < n; i++) {
    const task = tasks[i]
    const seen = new Set<number>()
    deps[i] = []
    for (const dep of task.dependencies) {
      const d = index.get(dep)
      if (d === undefined) {
        fail({
          reason: "UnknownDependency",
          taskId: task.id,
          detail: `task "${task.id}" depends on "${dep}", which is not a task of this workflow`
        })
      } else if (!seen.has(d)) {
        seen.add(d)
        deps[i].push(d)
        succs[d].push(i)
      }
    }
  }

  // Kahn's algorithm; a task's level is one past its deepest dependency.
  const remaining = deps.map((d) => d.length)
  const level = new Array<number>(n).fill(0)
  const queue: Array<number> = []
  for (let i = 0; i < n; i++) if (remaining[i] === 0) queue.push(i)
  let maxLevel = 0
  for (let head = 0; head < queue.length; head++) {
    const t = queue[head]
    for (const s of succs[t]) {
      if (level[t] + 1 > level[s]) level[s] = level[t] + 1
      if (--remaining[s] === 0) queue.push(s)
    }
    if (level[t] > maxLevel) maxLevel = level[t]
  }
  if (queue.length < n) {
    const cycle = findCycle(deps, remaining).map((i) => ids[i])
    fail({ reason: "Cycle", cycle, detail: `cycle: ${cycle.join(" -> ")}` })
  }

  const levels: Array<Array<number>> = Array.from({ length: maxLevel + 1 }, () => [])
  for (let i = 0; i < n; i++) levels[level[i]].push(i)
  const topo = levels.flat()
  const position = new Array<number>(n)
  topo.forEach((task, at) => position[task] = at)

  for (let i = 0; i < n; i++) {
    const refs = referencedTasks(tasks[i].triggerRule)
    if (refs.length === 0) continue
    const ancestors = ancestorsOf(i, deps)
    for (const ref of refs) {
      const r = index.get(ref)
      if (r === undefined || !ancestors.has(r)) {
        fail({
          reason: "InvalidTriggerRule",
          taskId: ids[i],
          detail: `the trigger rule of "${ids[i]}" refers to "${ref}", which is not upstream of it`
        })
      }
    }
  }

  return {
    ids,
    index,
    deps,
    succs,
    topo,
    position,
    levels,
    roots: levels[0],
    leaves: topo.filter((i) => succs[i].length === 0),
    rules: tasks.map((t) => t.triggerRule)
  }
}

/** Walks dependencies among the tasks Kahn could not order until one repeats. */
const findCycle = (deps: ReadonlyArray<ReadonlyArray<number>>, remaining: ReadonlyArray<number>): Array<number> => {
  const start = remaining.findIndex((r) => r > 0)
  const position = new Map<number, number>()
  const path: Array<number> = []
  let node = start
  while (!position.has(node)) {
    position.set(node, path.length)
    path.push(node)
    node = deps[node].find((d) => remaining[d] > 0)!
  }
  // path walks against the edges; reverse it to read in execution order, closing the loop.
  const loop = path.slice(position.get(node)).reverse()
  return [...loop, loop[0]]
}

const ancestorsOf = (i: number, deps: ReadonlyArray<ReadonlyArray<number>>): Set<number> => {
  const seen = new Set<number>()
  const stack = [...deps[i]]
  while (stack.length > 0) {
    const d = stack.pop()!
    if (seen.has(d)) continue
    seen.add(d)
    stack.push(...deps[d])
  }
  return seen
}

/** Whether the task `id` is upstream of task `task` (a dependency, or one of theirs). */
export const isUpstream = (graph: Graph, task: number, id: string): boolean => {
  const target = graph.index.get(id)
  if (target === undefined) return false
  // Everything on a path from a task up to one of its ancestors comes after that ancestor in `topo`.
  const floor = graph.position[target]
  const seen = new Set<number>()
  const stack = [...graph.deps[task]]
  while (stack.length > 0) {
    const d = stack.pop()!
    if (d === target) return true
    if (seen.has(d) || graph.position[d] < floor) continue
    seen.add(d)
    stack.push(...graph.deps[d])
  }
  return false
}
