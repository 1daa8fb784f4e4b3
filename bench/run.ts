/**
 * sluice's benchmarks, with their baselines measured in the same run: per-task overhead on DAG
 * shapes against a plain Promise executor and a raw Effect executor, Cloacina's workflows/s
 * shapes, the tutorial's 15-task workflow, memory per waiting task, `Task.map` at 10k–1M items
 * against the static fan-out, the cost of concurrency keys and priorities, and @effect/workflow in
 * memory and durable. Every sluice row on memory, SQLite (`:memory:` and a file) and, when it
 * is reachable, PostgreSQL.
 *
 *   npm run bench               full run
 *   npm run bench -- --quick    smoke run (under a minute or two)
 *
 * Writes bench/results/<time>.json and .md, and bench/results/latest.md. Figures are medians of
 * several runs after a warm-up; compare ratios, not absolute times (machines are noisy).
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { flowSection } from "./flowSection.js"
import { mapSection } from "./mapSection.js"
import { scratchDir } from "./measure.js"
import { markdown, targets } from "./report.js"
import { scaleOutSection } from "./scaleout.js"
import type { Row } from "./sections.js"
import { cloacinaSection, complexSection, memorySection, peerSection, shapesSection } from "./sections.js"
import { soakSection } from "./soakSection.js"

const quick = process.argv.includes("--quick")
const started = new Date()
console.log(`sluice bench${quick ? " (quick)" : ""}: ${process.version}`)
const rows: Array<Row> = []
// Small workflows first: the 100k shapes leave a large, fragmented heap behind them.
console.log("15-task workflow:")
rows.push(...await complexSection(quick))
console.log("cloacina shapes:")
rows.push(...await cloacinaSection(quick))
console.log("peer:")
rows.push(...await peerSection(quick))
console.log("shapes:")
rows.push(...await shapesSection(quick))
console.log("memory:")
rows.push(...memorySection(quick))
console.log("flow control:")
rows.push(...await flowSection(quick))
console.log("Task.map:")
rows.push(...mapSection(quick))
console.log("scale-out:")
rows.push(...await scaleOutSection(quick))
console.log("soak:")
rows.push(...await soakSection(quick))

const stamp = started.toISOString().replace(/[:.]/g, "-")
const dir = fileURLToPath(new URL("./results/", import.meta.url))
mkdirSync(dir, { recursive: true })
const md = markdown(rows, started.toISOString(), quick)
writeFileSync(
  join(dir, `${stamp}.json`),
  JSON.stringify({ started: started.toISOString(), quick, node: process.version, rows }, null, 2)
)
writeFileSync(join(dir, `${stamp}.md`), md)
if (!quick) writeFileSync(join(dir, "latest.md"), md)
console.log(`\n${md}`)
console.log(targets(rows, quick).join("\n"))
rmSync(scratchDir, { recursive: true, force: true })
// The durable peer's engine and the PostgreSQL pools are closed; nothing else should hold the
// process, but a stray timer must not keep a finished bench alive.
process.exit(0)
