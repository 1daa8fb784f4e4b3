/** A workflow's DAG as Graphviz dot (Mermaid comes from `Workflow.toMermaid`). */
import type { Workflow } from "../../Workflow.js"

const quote = (text: string) => `"${text.replaceAll("\\", "\\\\").replaceAll("\"", "\\\"")}"`

export const toDot = (workflow: Workflow<any>): string => {
  const lines = [`digraph ${quote(workflow.name)} {`, "  rankdir=TB;", "  node [shape=box];"]
  for (const task of workflow.tasks) {
    if (task.dependencies.length === 0) lines.push(`  ${quote(task.id)};`)
    for (const dependency of task.dependencies) lines.push(`  ${quote(dependency)} -> ${quote(task.id)};`)
  }
  lines.push("}")
  return lines.join("\n")
}
