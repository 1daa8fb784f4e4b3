/**
 * A/B of the hot path between two checkouts, run one after the other in one sitting: 150 × the
 * 5-task shape (setup → 3 parallel → merge), 32 permits, on a SQLite file and on PostgreSQL;
 * the median of 15 runs after 10 warm-ups, as workflows/s.
 *
 *   node --import tsx bench/ab.ts <label>     (in each checkout, e.g. a git worktree of the other)
 */
import { Effect } from "effect"
import { Task, Workflow } from "sluice"
import { engine } from "./measure.js"
const noop = () => {}
const tasks = [
  Task.make({ id: "setup", run: noop }),
  ...[1, 2, 3].map((i) => Task.make({ id: `p${i}`, dependencies: ["setup"], run: noop })),
  Task.make({ id: "merge", dependencies: ["p1", "p2", "p3"], run: noop })
]
const wf = Workflow.make({ name: "ab_five", tasks })
const out: Array<string> = []
for (const storage of ["sqlite file", "postgres"] as const) {
  const e = engine(storage, 32)
  await e.run((r) => r.register(wf))
  const times: Array<number> = []
  for (let i = 0; i < 25; i++) {
    const t = performance.now()
    await e.run((r) => Effect.forEach(Array.from({ length: 150 }), () => r.execute(wf), { concurrency: "unbounded" }))
    if (i >= 10) times.push(performance.now() - t)
  }
  times.sort((a, b) => a - b)
  out.push(`${storage}: ${Math.round(150 / (times[7] / 1000))} wf/s`)
  await e.dispose()
}
console.log(process.argv[2], out.join(", "))
