/**
 * The Effect way: a workflow whose tasks use services (`Inventory`, `Mailer`), run by a `Runner`
 * built as a layer, with those services provided by layers. `npm run example:effect`
 */
import { NodeRuntime } from "@effect/platform-node"
import { Console, Effect, Layer, Stream } from "effect"
import { Runner, Storage } from "sluice"
import { fulfilOrder, InventoryLive, MailerLive } from "./workflows/order-fulfilment.js"

const outbox: Array<string> = []

const program = Effect.gen(function*() {
  const runner = yield* Runner
  const order = { id: "A-1001", email: "ada@example.com", items: [{ sku: "lamp", quantity: 2 }] }
  const handle = yield* runner.submit(fulfilOrder, { order })
  // This execution's events, from its start.
  yield* handle.events.pipe(
    Stream.runForEach((event) => Console.log(`  ${event._tag}${"taskId" in event ? ` ${event.taskId}` : ""}`))
  )
  const result = yield* handle.result
  yield* Console.log(`Workflow Status: ${result.status}`)
  for (const task of result.tasks) {
    yield* Console.log(`  ${task.taskId.padEnd(18)} ${task.status} (${task.attempts} attempt(s))`)
  }
  yield* Console.log(`Label: ${String(result.finalContext.label)}`)
  yield* Console.log(`Outbox: ${outbox.join("; ")}`)
})

program.pipe(
  Effect.provide(Runner.layer({ workflows: [fulfilOrder], maxConcurrentTasks: 8 })),
  // What the tasks need: a missing one is a type error here, not a failure at run time.
  Effect.provide(Layer.mergeAll(InventoryLive({ lamp: 5 }), MailerLive(outbox))),
  Effect.provide(Storage.layerFromUrl("sqlite://:memory:")),
  NodeRuntime.runMain
)
