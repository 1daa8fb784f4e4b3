/** Where each task goes in the drawing of a DAG: its level, the longest path from a root. */

export interface Node {
  readonly taskId: string
  readonly dependencies: ReadonlyArray<string>
}

/**
 * Each task's level: 0 for a root, otherwise one more than its deepest dependency. Tasks may be
 * in any order; a dependency that is not among the tasks is ignored (a cycle cannot be stored).
 */
export const levels = (tasks: ReadonlyArray<Node>): ReadonlyMap<string, number> => {
  const byId = new Map(tasks.map((t) => [t.taskId, t]))
  const level = new Map<string, number>()
  const visiting = new Set<string>()
  const visit = (id: string): number => {
    const known = level.get(id)
    if (known !== undefined) return known
    const task = byId.get(id)
    if (task === undefined || visiting.has(id)) return -1
    visiting.add(id)
    const deepest = task.dependencies.reduce((max, d) => Math.max(max, visit(d)), -1)
    visiting.delete(id)
    level.set(id, deepest + 1)
    return deepest + 1
  }
  for (const task of tasks) visit(task.taskId)
  return level
}
