/**
 * Child executions of `Task.workflow` tasks. A child is submitted with an idempotency key made
 * from its parent, the task and the task's turn (`ExecutionState.childKey`): started once, also
 * when a restart or a take-over arms the wait again, on whichever runner; a rerun or a retry of
 * the task is a new turn, so a new child. The key also says who the parent is (`parentOf`,
 * execution/children.ts).
 */
import { Effect, Option } from "effect"
import type { WorkflowResult } from "../../WorkflowResult.js"
import { isFinished } from "../storage/service.js"
import type { ChildOps } from "./active.js"
import { control } from "./control.js"
import { result } from "./inspect.js"
import type { Runtime } from "./runtime.js"
import { submit } from "./submit.js"

export const makeChildren = (rt: Runtime): ChildOps => ({
  run: (key, workflow, input, paused): Effect.Effect<WorkflowResult, unknown> =>
    Effect.gen(function*() {
      const submitted = yield* submit<never>(
        rt,
        workflow,
        input as Record<string, unknown>,
        { idempotencyKey: key },
        false
      )
      // Its parent was paused before it existed (a pause passed down found nothing): paused now.
      if (paused()) yield* control(rt, "Pause")(submitted.executionId)
      return yield* result(rt, submitted.executionId)
    }),
  control: (key, tag) =>
    Effect.gen(function*() {
      const child = yield* rt.env.storage.executionByIdempotencyKey(key)
      if (Option.isNone(child) || isFinished(child.value)) return
      yield* control(rt, tag)(child.value.id)
    }).pipe(
      Effect.catchAll((e) => Effect.logWarning(`child ${key}: ${tag.toLowerCase()} not passed down: ${e.message}`))
    )
})
