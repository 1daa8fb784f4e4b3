/**
 * An order, fulfilled by tasks that use services: stock is reserved through `Inventory` (with
 * retries on its transient errors), then the confirmation mail (through `Mailer`) and the
 * shipping label are made in parallel. The services are Effect services: the workflow's type
 * says it needs them, and the runner's layer must be given them.
 */
import { Context, Data, Effect, Layer, Schema } from "effect"
import { ContextKey, RetryPolicy, Task, Workflow } from "sluice"

export class StockUnavailable extends Data.TaggedError("StockUnavailable")<{ readonly sku: string }> {}
export class InventoryBusy extends Data.TaggedError("InventoryBusy")<{}> {}

export class Inventory extends Context.Tag("example/Inventory")<Inventory, {
  readonly reserve: (sku: string, quantity: number) => Effect.Effect<string, StockUnavailable | InventoryBusy>
}>() {}

export class Mailer extends Context.Tag("example/Mailer")<Mailer, {
  readonly send: (to: string, subject: string) => Effect.Effect<void>
}>() {}

const Item = Schema.Struct({ sku: Schema.String, quantity: Schema.Int.pipe(Schema.positive()) })
const Order = ContextKey.make(
  "order",
  Schema.Struct({ id: Schema.String, email: Schema.String, items: Schema.Array(Item) })
)
const Reservations = ContextKey.make("reservations", Schema.Array(Schema.String))

const validate = Task.make({
  id: "validate",
  run: (ctx) => {
    const order = ctx.get(Order)
    if (order === undefined || order.items.length === 0) throw new Error("an order needs items")
  }
})

const reserve = Task.make({
  id: "reserve_stock",
  dependencies: [validate],
  // Busy is transient: retried. Out of stock is not.
  retry: RetryPolicy.exponential({
    maxAttempts: 4,
    initialDelay: "10 millis",
    retryIf: (error) => error instanceof InventoryBusy
  }),
  run: (ctx) =>
    Effect.gen(function*() {
      const inventory = yield* Inventory
      const { items } = ctx.get(Order)!
      const ids = yield* Effect.forEach(items, (item) => inventory.reserve(item.sku, item.quantity))
      ctx.set(Reservations, ids)
    })
})

const confirm = Task.make({
  id: "send_confirmation",
  dependencies: [reserve],
  run: (ctx) =>
    Effect.gen(function*() {
      const order = ctx.get(Order)!
      yield* (yield* Mailer).send(order.email, `Order ${order.id} confirmed`)
      ctx.set("confirmed_to", order.email)
    })
})

const label = Task.make({
  id: "print_label",
  dependencies: [reserve],
  run: (ctx) => ctx.set("label", `SHIP ${ctx.get(Order)!.id}: ${ctx.get(Reservations)!.join(", ")}`)
})

export const fulfilOrder = Workflow.make({
  name: "fulfil_order",
  description: "reserve stock, then mail the customer and print the label in parallel",
  tasks: [validate, reserve, confirm, label]
})

/** An in-memory inventory: busy on its first call, then reserves from `stock`. */
export const InventoryLive = (stock: Record<string, number>) =>
  Layer.sync(Inventory, () => {
    let calls = 0
    return {
      reserve: (sku, quantity) =>
        Effect.suspend((): Effect.Effect<string, StockUnavailable | InventoryBusy> => {
          if (calls++ === 0) return Effect.fail(new InventoryBusy())
          if ((stock[sku] ?? 0) < quantity) return Effect.fail(new StockUnavailable({ sku }))
          stock[sku] -= quantity
          return Effect.succeed(`${sku}x${quantity}#${calls}`)
        })
    }
  })

/** A mailer that keeps what it sends. */
export const MailerLive = (outbox: Array<string>) =>
  Layer.succeed(Mailer, { send: (to, subject) => Effect.sync(() => void outbox.push(`${to}: ${subject}`)) })
