/** The bench's report: a Markdown table per section, and the targets, met or not, with figures. */
import { cpus } from "node:os"
import { fmt } from "./measure.js"
import type { Row } from "./sections.js"
import { CONCURRENCY } from "./sections.js"

const verdict = (ok: boolean) => (ok ? "met" : "NOT met")

/** The targets of the foundation issue (and the memory one before it), from this run's rows. */
export const targets = (rows: ReadonlyArray<Row>, quick: boolean): Array<string> => {
  const out: Array<string> = []
  const shape = (impl: string, n: number, name: string) =>
    rows.find((r) => r.section === "shapes" && r.impl === impl && r.n === n && r.case.startsWith(name))
  const size = quick ? 1_000 : 10_000
  const shapes = ["chain", "fan-out/in", "diamond/layered", "random"]
  const file = shape("sluice sqlite file", size, "chain")
  if (file) {
    out.push(
      `${verdict(file.ratio! <= 3)}: SQLite file chain ${size}: ×${fmt(file.ratio!)} the raw Effect floor (target ≤ 3)`
    )
  }
  for (const name of shapes) {
    const mem = shape("sluice memory", size, name)
    if (mem) {
      out.push(
        `${verdict(mem.ratio! <= 1.5)}: in-memory ${name} ${size}: ×${
          fmt(mem.ratio!)
        } the raw Effect floor (target ≤ 1.5)`
      )
    }
  }
  const five = (impl: string) =>
    rows.find((r) => r.section === "cloacina" && r.case.startsWith("5 tasks") && r.impl === impl)
  const fiveFile = five("sluice sqlite file")
  if (fiveFile) {
    out.push(
      `${verdict(fiveFile.value! >= 2000)}: 5-task shape on a SQLite file: ${
        fmt(fiveFile.value!)
      } workflows/s (target ≥ 2,000; Cloacina publishes 44.6)`
    )
  }
  const fivePg = five("sluice postgres")
  if (fivePg) {
    out.push(
      `${verdict(fivePg.value! >= 1000)}: 5-task shape on PostgreSQL, one runner: ${
        fmt(fivePg.value!)
      } workflows/s (target ≥ 1,000)`
    )
  }
  const complex = rows.find((r) => r.section === "complex" && r.impl === "sluice sqlite :memory:")
  if (complex) {
    out.push(
      `${verdict(complex.value! <= 3)}: 15-task workflow on SQLite :memory:: ${
        fmt(complex.value!)
      } ms median (target ≤ 3; cloaca's tutorial: 2,340)`
    )
  }
  const memory = rows.find((r) => r.section === "memory" && r.case.includes("waiting"))
  if (memory) {
    out.push(
      `${verdict(memory.value! <= 2048)}: ${fmt(memory.value!)} bytes retained per waiting task (target ≤ 2,048)`
    )
  }
  const million = rows.filter((r) => r.section === "map" && r.n === 1_000_000)
  const us = million.find((r) => r.unit === "µs/item")
  const rss = million.find((r) => r.unit === "MiB")
  if (us && rss) {
    out.push(
      `${verdict(us.value! <= 30 && rss.value! <= 1024)}: Task.map over 1,000,000 items on a SQLite file: ${
        fmt(us.value!)
      } µs/item, peak RSS ${fmt(rss.value!)} MiB (target ≤ 30 µs, ≤ 1,024 MiB)`
    )
  }
  const three = rows.find((r) => r.section === "scaleout" && r.n === 3 && r.case.includes("5-task"))
  if (three) {
    out.push(
      `${verdict(three.ratio! >= 2.5)}: 5-task I/O-bound shape, 3 runners: ×${
        fmt(three.ratio!)
      } one runner (target ≥ 2.5)`
    )
  }
  const moved = rows.find((r) => r.section === "scaleout" && r.case.startsWith("takeover"))
  if (moved) {
    out.push(
      `${verdict(moved.stats!.max <= 2000)}: work of a killed runner taken over in ${
        fmt(moved.stats!.median)
      } ms median, ${fmt(moved.stats!.max)} ms max (target: lease 1 s + 1 s)`
    )
  }
  if (!quick) {
    for (const impl of ["sluice memory", "sluice sqlite file", "sluice postgres"]) {
      for (const name of shapes) {
        const a = shape(impl, 10_000, name)
        const b = shape(impl, 100_000, name)
        if (a && b) {
          const growth = b.perTaskUs! / a.perTaskUs!
          out.push(
            `${verdict(growth <= 1.3)}: ${impl}, ${name} per-task time 10k → 100k: ×${fmt(growth)} (target ≤ 1.3)`
          )
        }
      }
    }
  }
  return out
}

export const markdown = (rows: ReadonlyArray<Row>, when: string, quick: boolean): string => {
  const lines: Array<string> = []
  const section = (s: Row["section"]) => rows.filter((r) => r.section === s)
  lines.push(`# sluice bench — ${when}${quick ? " (quick)" : ""}`, "")
  lines.push(
    `Node ${process.version}, ${cpus().length} × ${
      cpus()[0]?.model ?? "cpu"
    }; medians of several runs after a warm-up; concurrency ${CONCURRENCY} for the shapes.`,
    ""
  )
  lines.push("## Per-task overhead on DAG shapes (no-op tasks)", "")
  lines.push(
    "| shape | implementation | median ms | min–max ms | runs | µs/task | × raw Effect |",
    "|---|---|---:|---:|---:|---:|---:|"
  )
  for (const r of section("shapes")) {
    const s = r.stats!
    lines.push(
      `| ${r.case} | ${r.impl} | ${fmt(s.median)} | ${fmt(s.min)}–${fmt(s.max)} | ${s.runs} | ${fmt(r.perTaskUs!)} | ${
        fmt(r.ratio!)
      } |`
    )
  }
  lines.push("", "## Cloacina's shapes: 150 workflows submitted at once, 32 concurrent tasks", "")
  lines.push("| shape | storage | workflows/s | median ms for 150 | min–max ms |", "|---|---|---:|---:|---:|")
  for (const r of section("cloacina")) {
    lines.push(
      `| ${r.case} | ${r.impl} | ${fmt(r.value!)} | ${fmt(r.stats!.median)} | ${fmt(r.stats!.min)}–${
        fmt(r.stats!.max)
      } |`
    )
  }
  lines.push("", "Cloacina publishes 44.6 workflows/s for the 5-task shape on SQLite (Apple M3).", "")
  lines.push("## The tutorial's 15-task workflow, `execute` end to end", "")
  lines.push("| storage | median ms | min–max ms | runs |", "|---|---:|---:|---:|")
  for (const r of section("complex")) {
    lines.push(`| ${r.impl} | ${fmt(r.stats!.median)} | ${fmt(r.stats!.min)}–${fmt(r.stats!.max)} | ${r.stats!.runs} |`)
  }
  lines.push("", "cloaca's tutorial prints 2.34 s for the same workflow.", "", "## Memory", "")
  for (const r of section("memory")) lines.push(`- ${r.case} (${r.impl}): ${fmt(r.value!)} ${r.unit}`)
  lines.push("", "## Flow control, codecs, tracing: 1,000 roots in one execution, 32 permits", "")
  lines.push(
    "Ratios are to the first row of each group in the same run (no key, no codec, not traced).",
    "",
    "| case | storage | median ms | µs/task | × baseline |",
    "|---|---|---:|---:|---:|"
  )
  for (const r of section("flow").filter((r) => r.stats !== undefined)) {
    lines.push(`| ${r.case} | ${r.impl} | ${fmt(r.stats!.median)} | ${fmt(r.perTaskUs!)} | ${fmt(r.ratio!)} |`)
  }
  lines.push("")
  for (const r of section("flow").filter((r) => r.stats === undefined)) {
    lines.push(`- ${r.case} (${r.impl}): ${fmt(r.value!)} ${r.unit}`)
  }
  lines.push("", "## Soak: retention keeps the heap and the storage flat", "")
  for (const r of section("soak")) lines.push(`- ${r.case} (${r.impl}): ${fmt(r.value!)} ${r.unit}`)
  lines.push("", "## Task.map at width (one execution, SQLite file; a fresh process per row)", "")
  for (const r of section("map")) lines.push(`- ${r.case} (${r.impl}): ${fmt(r.value!)} ${r.unit}`)
  lines.push("", "## Peer: @effect/workflow, in memory and durable, on the same shapes", "")
  lines.push("| shape | implementation | figure | × @effect/workflow's time |", "|---|---|---:|---:|")
  for (const r of section("peer")) {
    lines.push(`| ${r.case} | ${r.impl} | ${fmt(r.value!)} ${r.unit} | ${fmt(r.ratio!)} |`)
  }
  const scale = section("scaleout")
  if (scale.length > 0) {
    lines.push("", "## Scale-out on PostgreSQL: worker processes with 8 permits each, tasks sleeping 20 ms", "")
    lines.push(
      "| case | runners | figure | median ms | min–max ms | runs | × one runner |",
      "|---|---|---:|---:|---:|---:|---:|"
    )
    for (const r of scale) {
      const s = r.stats!
      lines.push(
        `| ${r.case} | ${r.impl} | ${fmt(r.value!)} ${r.unit} | ${fmt(s.median)} | ${fmt(s.min)}–${
          fmt(s.max)
        } | ${s.runs} | ${r.ratio === undefined ? "" : fmt(r.ratio)} |`
      )
    }
  }
  lines.push("", "## Targets", "")
  for (const t of targets(rows, quick)) lines.push(`- ${t}`)
  lines.push("")
  return lines.join("\n")
}
