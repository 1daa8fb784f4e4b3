import { Effect, Layer, ManagedRuntime } from "effect"
import { Runner, Storage, Task, Workflow } from "sluice"
import { effectDag } from "./floors.js"
import { chain, fan, layered } from "./shapes.js"
const kind = process.argv[3] ?? "fan"
const shape = kind === "chain" ? chain(10000) : kind === "fan" ? fan(10000) : layered(10000)
const wf = Workflow.make({ name: "p", tasks: shape.deps.map((d, i) => Task.make({ id: `t${i}`, dependencies: d.map((x) => `t${x}`), run: () => {} })) })
const storage = process.argv[2] === "file" ? Storage.layerSqlite({ filename: "/tmp/prof.db" }) : process.argv[2] === "sqlite" ? Storage.layerSqlite({ filename: ":memory:" }) : Storage.layerMemory
const rt = ManagedRuntime.make(Runner.layer({ maxConcurrentTasks: 64 }).pipe(Layer.provide(storage)))
for (let i = 0; i < 5; i++) {
  let t = performance.now()
  await Effect.runPromise(effectDag(shape, 64))
  const floor = performance.now() - t
  t = performance.now()
  await rt.runPromise(Effect.flatMap(Runner, (r) => r.execute(wf)))
  const ours = performance.now() - t
  console.log(kind, process.argv[2], "floor", (floor * 1000 / shape.n).toFixed(1), "ours", (ours * 1000 / shape.n).toFixed(1), "µs/task ratio", (ours / floor).toFixed(2))
}
await rt.dispose()
