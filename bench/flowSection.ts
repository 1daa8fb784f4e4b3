/**
 * Flow control's cost: 1,000 no-op root tasks in one execution, 32 permits, without a
 * concurrency key, with one that never binds (limit 1,000) and with one that does (limit 8), on
 * memory, a SQLite file and (when reachable) PostgreSQL (the limit shared through the database),
 * and with a rate limit that never binds;
 * µs/task and the ratio to no key in the same run. A task priority on a ready queue longer than
 * the permits is measured too.
 */
import { Task, Workflow } from "sluice"
import type { StorageName } from "./measure.js"
import { engine, measure, postgres } from "./measure.js"
import type { Row } from "./sections.js"

const N = 1_000
const workflowOf = (label: string, options: Partial<Parameters<typeof Task.make>[0]>) =>
  Workflow.make({
    name: `flow_${label}`,
    tasks: Array.from({ length: N }, (_, i) => Task.make({ ...options, id: `t${i}`, run: () => {} }))
  })

const cases = [
  ["no key", workflowOf("plain", {})],
  ["key, limit 1,000 (never binds)", workflowOf("loose", { concurrency: { name: "flow", key: "k", limit: 1_000 } })],
  ["key, limit 8", workflowOf("tight", { concurrency: { name: "flow", key: "k", limit: 8 } })],
  [
    "rate limit (never binds)",
    workflowOf("rated", { rateLimit: { name: "flow", key: "k", limit: 1_000_000, per: "1 second" } })
  ],
  [
    "priority (varied)",
    Workflow.make({
      name: "flow_priority",
      tasks: Array.from({ length: N }, (_, i) => Task.make({ id: `t${i}`, priority: i % 7, run: () => {} }))
    })
  ]
] as const

export const flowSection = async (quick: boolean): Promise<Array<Row>> => {
  const rows: Array<Row> = []
  const storages: Array<StorageName> = ["memory", "sqlite file"]
  if (postgres) storages.push("postgres")
  for (const storage of storages) {
    const e = engine(storage, 32)
    let base = 0
    for (const [label, wf] of cases) {
      const s = await measure(() => e.run((r) => r.execute(wf)), quick ? 3 : 9, 2)
      const us = (s.median * 1000) / N
      if (label === "no key") base = us
      console.log(`  ${storage} ${label}: ${us.toFixed(2)} µs/task (×${(us / base).toFixed(2)} no key)`)
      rows.push({
        section: "flow",
        case: `${N.toLocaleString("en-US")} roots, ${label}`,
        impl: `sluice ${storage}`,
        n: N,
        stats: s,
        perTaskUs: us,
        ratio: us / base
      })
    }
    await e.dispose()
  }
  return rows
}
