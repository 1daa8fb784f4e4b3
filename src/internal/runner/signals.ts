/**
 * `runner.signal`: a signal is stored with its execution (once per name), whether or not the task
 * waiting for it has been reached, then its supervisor is told: here through its mailbox, on
 * another runner sharing PostgreSQL with an `s <id>` wake-up. The supervisor reads the stored
 * signals when a signal wait begins and whenever it is told, so none is lost in between.
 */
import { Clock, Effect, Option } from "effect"
import type { ContextValueError, StorageError } from "../../Errors.js"
import { ExecutionNotFoundError, SignalError } from "../../Errors.js"
import { isTerminal } from "../../Status.js"
import { toFrozenJson } from "../dag/json.js"
import { isFinished } from "../storage/service.js"
import { tasksOf } from "./recovery.js"
import type { Runtime } from "./runtime.js"

export type SignalFailure = ExecutionNotFoundError | SignalError | ContextValueError | StorageError

export const signal = (
  rt: Runtime,
  executionId: string,
  name: string,
  payload: unknown
): Effect.Effect<void, SignalFailure> =>
  Effect.gen(function*() {
    const fail = (reason: SignalError["reason"], detail: string) =>
      Effect.fail(new SignalError({ executionId, signal: name, reason, detail }))
    const value = yield* Effect.try({
      try: () => toFrozenJson(name, payload === undefined ? null : payload, rt.env.limits.maxValueBytes),
      catch: (e) => e as ContextValueError
    })
    const found = yield* rt.env.storage.execution(executionId)
    if (Option.isNone(found)) return yield* new ExecutionNotFoundError({ executionId })
    const row = found.value
    if (isFinished(row)) return yield* fail("Finished", `the execution ended ${row.status}`)
    // The tasks that wait for it: from the workflow's code when this runner has that version,
    // else from its stored definition.
    const local = rt.registry.runnableOf(row.workflowName, row.workflowVersion)?.workflow
    const waiters: Array<{ readonly id: string; readonly decode?: (p: unknown) => { _tag: string; left?: string } }> =
      []
    if (local !== undefined && local.version === row.workflowVersion) {
      for (const t of local.tasks) {
        if (t.wait?._tag === "Signal" && t.wait.signal === name) waiters.push({ id: t.id, decode: t.wait.decode })
      }
    } else {
      const definition = yield* rt.env.storage.workflow(row.workflowName, row.workflowVersion)
      for (const t of Option.getOrUndefined(definition)?.tasks ?? []) if (t.signal === name) waiters.push({ id: t.id })
    }
    if (waiters.length === 0) {
      return yield* fail("NotAwaited", `no task of workflow "${row.workflowName}" waits for it`)
    }
    const { tasks } = yield* tasksOf(rt, executionId)
    if (waiters.every((w) => isTerminal(tasks.get(w.id)?.status ?? "Pending"))) {
      return yield* fail("NotAwaited", `the tasks waiting for it have ended (${waiters.map((w) => w.id).join(", ")})`)
    }
    for (const w of waiters) {
      const decoded = w.decode?.(value)
      if (decoded?._tag === "Left") return yield* fail("InvalidPayload", `task "${w.id}": ${decoded.left}`)
    }
    const sentAt = yield* Clock.currentTimeMillis
    const stored = yield* rt.env.storage.putSignal({ executionId, name, payload: value, sentAt })
    if (!stored) return yield* fail("AlreadySent", "a signal with this name was sent to it already")
    const active = rt.active.get(executionId)
    if (active !== undefined && !active.lost) active.mailbox.offer({ _tag: "Signal", name, payload: value })
    // Runners sharing a database: whichever owns it now is told (it reads the signal back).
    if (rt.fleet !== undefined && (active === undefined || active.lost)) {
      yield* rt.fleet.storage.notify(`s ${executionId}`)
    }
  })
