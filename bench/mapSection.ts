/**
 * `Task.map` at width (bench/map.ts, one process per run): 10k, 100k and 1M items in one
 * execution on a SQLite file, against the static fan-out of the same width (one task per item)
 * where it fits (up to 100k); microseconds per item and peak RSS.
 */
import { execFileSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import type { Row } from "./sections.js"

interface Measured {
  readonly kind: "map" | "static"
  readonly n: number
  readonly ms: number
  readonly usPerItem: number
  readonly peakRssMiB: number
}

const script = fileURLToPath(new URL("./map.ts", import.meta.url))
const run = (n: number, kind: "map" | "static"): Measured => {
  const args = ["--expose-gc", "--import", "tsx", script, String(n), ...(kind === "static" ? ["static"] : [])]
  const output = execFileSync(process.execPath, args, { encoding: "utf8", maxBuffer: 64 * 2 ** 20 })
  return JSON.parse(output.trim().split("\n").at(-1)!) as Measured
}

export const mapSection = (quick: boolean): Array<Row> => {
  const rows: Array<Row> = []
  for (const n of quick ? [10_000] : [10_000, 100_000, 1_000_000]) {
    for (const kind of n <= 100_000 ? (["map", "static"] as const) : (["map"] as const)) {
      const m = run(n, kind)
      const impl = kind === "map" ? "Task.map" : "static fan-out (a task per item)"
      console.log(`  ${impl} ${n}: ${m.usPerItem.toFixed(1)} µs/item, peak RSS ${Math.round(m.peakRssMiB)} MiB`)
      rows.push({
        section: "map",
        case: `${n.toLocaleString("en-US")} items`,
        impl,
        n,
        value: m.usPerItem,
        unit: "µs/item"
      })
      rows.push({
        section: "map",
        case: `${n.toLocaleString("en-US")} items: peak RSS`,
        impl,
        n,
        value: m.peakRssMiB,
        unit: "MiB"
      })
    }
  }
  return rows
}
