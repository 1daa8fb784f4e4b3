/**
 * Human in the loop: an expense over a limit waits for a person's decision, sent as a signal
 * (`runner.signal(executionId, "decision", { approved, by })`) from a web hook, a chat button,
 * a command. The wait is durable and holds no concurrency permit: a runner restarted meanwhile
 * keeps waiting, and a decision sent while no runner ran is kept. Past `timeout` the wait fails,
 * and a trigger rule routes the expense to escalation instead.
 */
import type { Duration } from "effect"
import { Schema } from "effect"
import { Task, TriggerRule, Workflow } from "sluice"

export const Decision = Schema.Struct({ approved: Schema.Boolean, by: Schema.String })

export const makeApprovalWorkflow = (options: { readonly timeout: Duration.DurationInput }) => {
  const draft = Task.make({
    id: "draft",
    run: (ctx) => ctx.set("claim", { amount: ctx.get("amount"), reference: `EXP-${String(ctx.get("employee"))}` })
  })
  const decision = Task.waitForSignal({
    id: "await_decision",
    dependencies: [draft],
    signal: "decision",
    schema: Decision,
    timeout: options.timeout
  })
  const record = Task.make({
    id: "record",
    dependencies: [decision],
    run: (ctx) => ctx.set("approved", (ctx.get("decision") as typeof Decision.Type).approved)
  })
  const pay = Task.make({
    id: "pay",
    dependencies: [record],
    triggerRule: TriggerRule.contextValue("approved", "equals", true),
    run: (ctx) => ctx.set("paid", true)
  })
  const reject = Task.make({
    id: "notify_rejection",
    dependencies: [record],
    triggerRule: TriggerRule.contextValue("approved", "equals", false),
    run: (ctx) => ctx.set("rejected", true)
  })
  // Nobody decided in time: the wait failed, and the expense goes to the finance team.
  const escalate = Task.make({
    id: "escalate",
    dependencies: [decision],
    triggerRule: TriggerRule.allFailed,
    run: (ctx) => ctx.set("escalated_to", "finance")
  })
  return Workflow.make({ name: "expense-approval", tasks: [draft, decision, record, pay, reject, escalate] })
}
