/** The README's "Time and waiting", as code that compiles. */
import { Effect } from "effect"

// README: time and waiting
import { Schema } from "effect"
import { CronSchedule, Runner, Storage, Task, TriggerRule, Workflow } from "sluice"

const draft = Task.make({ id: "draft", run: (ctx) => ctx.set("amount", 420) })
const decision = Task.waitForSignal({
  id: "decision",
  dependencies: [draft],
  signal: "approved", // runner.signal(executionId, "approved", { by: "grace" }), before or after it is reached
  schema: Schema.Struct({ by: Schema.String }),
  timeout: "2 days" // then the task fails, and trigger rules route around it
})
const coolDown = Task.sleep({ id: "cool-down", dependencies: [decision], duration: "6 hours" })
const pay = Task.make({
  id: "pay",
  dependencies: [coolDown],
  deferUntil: { check: () => isBankOpen(), every: "15 minutes" }, // asked without holding a permit
  run: (ctx) => ctx.set("paid", true)
})
const escalate = Task.make({
  id: "escalate",
  dependencies: [decision],
  triggerRule: TriggerRule.allFailed,
  run: () => {}
})
const expense = Workflow.make({ name: "expense", tasks: [draft, decision, coolDown, pay, escalate] })

const nightly = CronSchedule.make({
  id: "nightly-expenses",
  workflow: expense,
  cron: "0 2 * * *", // 5 fields, or 6 with seconds first
  timezone: "Europe/Berlin",
  catchUp: "skip", // after downtime only the latest missed time; "all" | { last: n }
  overlap: "skip" // no new fire while the last one is unfinished; default "allow"
})

export const main = Effect.gen(function*() {
  const runner = yield* Runner
  const handle = yield* runner.submit(expense)
  yield* runner.signal(handle.executionId, "approved", { by: "grace" })
  const schedules = yield* runner.listSchedules() // next and last fire of each
  const fires = yield* runner.scheduleHistory("nightly-expenses") // scheduled time, execution, status
  return { schedules, fires }
}).pipe(
  Effect.provide(Runner.layer({ workflows: [expense], schedules: [nightly] })),
  Effect.provide(Storage.layerFromUrl("sqlite://expenses.db"))
)
// README: end

declare const isBankOpen: () => Promise<boolean>
