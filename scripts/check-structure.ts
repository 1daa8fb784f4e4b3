/**
 * Structure checks run by `npm run lint`: no import cycle among the files of `src/` (type-only
 * imports included, as `madge --circular` counts them), and no file over 350 lines.
 *
 *   node --import tsx scripts/check-structure.ts
 */
import { readdirSync, readFileSync, statSync } from "node:fs"
import { dirname, join, relative, resolve } from "node:path"
import ts from "typescript"

const root = resolve(import.meta.dirname, "../src")
const MAX_LINES = 350

const files = (dir: string): Array<string> =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? files(path) : path.endsWith(".ts") ? [path] : []
  })

const all = files(root)
const imports = new Map<string, Array<string>>()
const problems: Array<string> = []
for (const file of all) {
  const text = readFileSync(file, "utf8")
  const lines = text.split("\n").length
  if (lines > MAX_LINES) problems.push(`${relative(root, file)}: ${lines} lines (at most ${MAX_LINES})`)
  imports.set(
    file,
    ts.preProcessFile(text, true, true).importedFiles
      .map((f) => f.fileName)
      .filter((name) => name.startsWith("."))
      .map((name) => resolve(dirname(file), name.replace(/\.js$/, ".ts")))
  )
}

// Depth-first search for back edges: each one closes a cycle.
const state = new Map<string, "visiting" | "done">()
const stack: Array<string> = []
const visit = (file: string): void => {
  state.set(file, "visiting")
  stack.push(file)
  for (const next of imports.get(file) ?? []) {
    if (state.get(next) === "visiting") {
      const cycle = [...stack.slice(stack.indexOf(next)), next].map((f) => relative(root, f))
      problems.push(`import cycle: ${cycle.join(" -> ")}`)
    } else if (!state.has(next)) visit(next)
  }
  stack.pop()
  state.set(file, "done")
}
for (const file of all) if (!state.has(file)) visit(file)

if (problems.length > 0) {
  for (const p of problems) console.error(`structure: ${p}`)
  process.exit(1)
}
console.log(`structure: ${all.length} files in src/, no import cycle, none over ${MAX_LINES} lines`)
