/**
 * A human approval: the expense waits (durably, without a permit) for a decision signal; here a
 * "person" answers after a second. A second expense gets no answer and is escalated when its
 * wait times out. `npm run example:approval`
 */
import { DefaultRunner } from "sluice"
import { makeApprovalWorkflow } from "./workflows/human-approval.js"

const runner = await DefaultRunner.make("sqlite://:memory:")
try {
  const approval = makeApprovalWorkflow({ timeout: "3 seconds" })
  const answered = await runner.submit(approval, { employee: "ada", amount: 420 })
  const ignored = await runner.submit(approval, { employee: "bob", amount: 99 })
  console.log(`Waiting for a decision on ${answered.executionId} and ${ignored.executionId}…`)
  // A decision could come from a web hook or a chat button; it may even come before the wait.
  setTimeout(() => void runner.signal(answered.executionId, "decision", { approved: true, by: "grace" }), 1000)
  for (const handle of [answered, ignored]) {
    const result = await handle.result
    const ran = result.tasks.filter((t) => t.status === "Completed").map((t) => t.taskId)
    console.log(`${result.executionId}: ${result.status}; ran ${ran.join(", ")}`)
    console.log(`  context: ${JSON.stringify(result.finalContext)}`)
  }
} finally {
  await runner.shutdown()
}
