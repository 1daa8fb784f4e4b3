/**
 * The README's tour, as code that compiles (`npm run lint` checks that every TypeScript block of
 * the README stands, to the letter, in a file of this folder).
 */
import { Context, Effect } from "effect"

class Mailer extends Context.Tag("readme/Mailer")<Mailer, {
  readonly send: (to: Date, body: unknown) => Effect.Effect<void>
}>() {}
declare const lookup: (rows: ReadonlyArray<number>, options: { signal: AbortSignal }) => Promise<unknown>

// README: tasks and workflows
import { Schema } from "effect"
import { ContextKey, RetryPolicy, Task, TriggerRule, Workflow } from "sluice"

const Joined = ContextKey.make("joined", Schema.Date) // a typed key: encoded on set, decoded on get

const extract = Task.make({
  id: "extract",
  run: (ctx) => {
    ctx.set("rows", [1, 2, 3])
    ctx.set(Joined, new Date())
  } // sync …
})

const enrich = Task.make({
  id: "enrich",
  dependencies: [extract], // Task values or ids
  retry: RetryPolicy.exponential({ maxAttempts: 3, initialDelay: "50 millis", maxDelay: "2 seconds" }),
  timeout: "30 seconds",
  run: async (ctx) => { // … async …
    const rows = ctx.get("rows") as ReadonlyArray<number>
    ctx.set("enriched", await lookup(rows, { signal: ctx.signal }))
  }
})

const report = Task.make({
  id: "report",
  dependencies: [enrich],
  triggerRule: TriggerRule.allDone, // run whatever happened upstream
  run: (ctx) =>
    Effect.gen(function*() { // … or an Effect
      const mailer = yield* Mailer // services come from the runner's layer
      yield* mailer.send(ctx.get(Joined)!, ctx.get("enriched"))
    })
})

export const etl = Workflow.make({ name: "etl", tasks: [extract, enrich, report] })
// The workflow's type says what its tasks need: Workflow.Workflow<Mailer>
// README: end
