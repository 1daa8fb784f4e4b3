/**
 * Every TypeScript block of the README stands, to the letter, in a file of `examples/readme/`
 * between `// README: <what>` and `// README: end`, and those files are type-checked by `tsc`:
 * a snippet that does not compile, or that drifts from the compiled one, fails `npm run lint`.
 *
 *   node --import tsx scripts/check-readme.ts
 */
import { readdirSync, readFileSync } from "node:fs"
import { join, resolve } from "node:path"

const root = resolve(import.meta.dirname, "..")
const normalize = (lines: ReadonlyArray<string>): string => {
  const trimmed = lines.map((l) => l.trimEnd())
  const indent = Math.min(...trimmed.filter((l) => l !== "").map((l) => l.length - l.trimStart().length))
  return trimmed.map((l) => l.slice(indent)).join("\n").trim()
}

const regions: Array<{ file: string; text: string }> = []
const dir = join(root, "examples/readme")
for (const name of readdirSync(dir).filter((f) => f.endsWith(".ts"))) {
  let current: Array<string> | undefined
  for (const line of readFileSync(join(dir, name), "utf8").split("\n")) {
    if (/^\s*\/\/ README: end\s*$/.test(line)) {
      if (current) regions.push({ file: name, text: normalize(current) })
      current = undefined
    } else if (/^\s*\/\/ README: /.test(line)) current = []
    else current?.push(line)
  }
}

const readme = readFileSync(join(root, "README.md"), "utf8")
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => normalize(m[1].split("\n")))
const missing = blocks.filter((block) => !regions.some((r) => r.text === block))
for (const block of missing) {
  console.error(`README block not found in examples/readme/ (compiled): starts with "${block.split("\n")[0]}"`)
}
if (missing.length > 0) process.exit(1)
console.log(`readme: ${blocks.length} TypeScript blocks, each compiled in examples/readme/`)
