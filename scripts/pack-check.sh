#!/usr/bin/env bash
# The package as a user gets it: build, `npm pack`, unpack the tarball as a consumer project's
# dependency, then import it from plain `node` (no TypeScript loader) and type-check a consumer
# file with `tsc`. The consumer sits inside this repository, so its other dependencies (effect,
# the SQLite driver) resolve from this repository's node_modules instead of a second install.
set -euo pipefail
cd "$(dirname "$0")/.."
out=.ci/out/pack
rm -rf "$out" && mkdir -p "$out/consumer/node_modules/sluice"
npm pack --silent --pack-destination "$out" > "$out/tarball-name"
tarball="$out/$(tail -n 1 "$out/tarball-name")"
tar -xzf "$tarball" -C "$out/consumer/node_modules/sluice" --strip-components=1
echo "packed $(basename "$tarball"): $(tar -tzf "$tarball" | wc -l) files"
if tar -tzf "$tarball" | grep -q "package/test/"; then echo "the tarball holds tests" >&2; exit 1; fi

cat > "$out/consumer/package.json" <<'JSON'
{ "name": "consumer", "private": true, "type": "module" }
JSON
cat > "$out/consumer/app.mjs" <<'JS'
import { DefaultRunner, Task, Workflow } from "sluice"
const hello = Workflow.make({
  name: "hello",
  tasks: [Task.make({ id: "greet", run: (ctx) => ctx.set("greeting", `hello ${ctx.get("who")}`) })]
})
const runner = await DefaultRunner.make("sqlite://:memory:", { workflows: [hello] })
const result = await runner.execute("hello", { who: "node" })
await runner.shutdown()
console.log(`${result.status}: ${result.finalContext.greeting}`)
JS
cat > "$out/consumer/app.ts" <<'TS'
import { Effect } from "effect"
import type { WorkflowResult } from "sluice"
import { Runner, Storage, Task, Workflow } from "sluice"
const hello = Workflow.make({ name: "hello", tasks: [Task.make({ id: "greet", run: () => {} })] })
export const program: Effect.Effect<WorkflowResult, unknown> = Effect.flatMap(Runner, (r) => r.execute(hello)).pipe(
  Effect.provide(Runner.layer({ workflows: [hello] })),
  Effect.provide(Storage.layerMemory)
)
TS
cat > "$out/consumer/tsconfig.json" <<'JSON'
{
  "compilerOptions": {
    "target": "ES2022", "module": "NodeNext", "moduleResolution": "NodeNext", "strict": true,
    "noEmit": true, "skipLibCheck": false, "types": ["node"], "typeRoots": ["../../../../node_modules/@types"]
  },
  "files": ["app.ts"]
}
JSON
(cd "$out/consumer" && node app.mjs) | tee "$out/run.log"
grep -q "^Completed: hello node$" "$out/run.log"
node_modules/.bin/tsc -p "$out/consumer/tsconfig.json"
echo "pack check: plain node imports the package, tsc type-checks a consumer against its .d.ts"
