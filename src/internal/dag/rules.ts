/**
 * The DAG rules, as pure functions shared by the live supervisor and by recovery: trigger-rule
 * evaluation, what a task receives as input, the final context, the final status and its summary.
 */
import type { FinalStatus, TaskStatus } from "../../Status.js"
import type { TriggerRule } from "../../TriggerRule.js"
import * as TriggerRuleModule from "../../TriggerRule.js"
import type { Json, JsonObject } from "./json.js"
import { jsonEquals, mergeAll } from "./json.js"

/** The reason a task skipped because something upstream failed; it cascades like a failure. */
export const UPSTREAM_FAILED = "upstream failed"

/** How a finished dependency looks to a trigger rule. */
export type Outcome = "completed" | "failed" | "upstreamFailed" | "skipped"

export const outcomeOf = (status: TaskStatus, reason: string | undefined): Outcome =>
  status === "Completed"
    ? "completed"
    : status === "Failed"
    ? "failed"
    : reason === UPSTREAM_FAILED
    ? "upstreamFailed"
    : "skipped"

const failedLike = (o: Outcome): boolean => o === "failed" || o === "upstreamFailed"

export type Decision =
  | { readonly run: true }
  | { readonly run: false; readonly reason: string }

const RUN: Decision = { run: true }

/**
 * Decides a task whose dependencies are all terminal.
 * `deps` are the outcomes of its direct dependencies; `outcome(id)` answers for any ancestor
 * (rules may name one); `input` is the task's input context.
 */
export const decide = (
  rule: TriggerRule,
  deps: ReadonlyArray<Outcome>,
  outcome: (taskId: string) => Outcome,
  input: JsonObject
): Decision => {
  if (holds(rule, deps, outcome, input)) return RUN
  // Rules that ask for success propagate an upstream failure, so it cascades through the DAG.
  const wantsSuccess = rule._tag === "NoneFailed" || rule._tag === "AllSuccess" || rule._tag === "OneSuccess"
  if (wantsSuccess && deps.some(failedLike)) return { run: false, reason: UPSTREAM_FAILED }
  return { run: false, reason: `trigger rule not satisfied: ${TriggerRuleModule.describe(rule)}` }
}

export const holds = (
  rule: TriggerRule,
  deps: ReadonlyArray<Outcome>,
  outcome: (taskId: string) => Outcome,
  input: JsonObject
): boolean => {
  switch (rule._tag) {
    case "NoneFailed":
      return !deps.some(failedLike)
    case "AllSuccess":
      return deps.every((o) => o === "completed")
    case "AllDone":
      return true
    case "OneSuccess":
      return deps.some((o) => o === "completed")
    case "OneFailed":
      return deps.some(failedLike)
    case "AllFailed":
      return deps.every(failedLike)
    case "All":
      return rule.rules.every((r) => holds(r, deps, outcome, input))
    case "Any":
      return rule.rules.some((r) => holds(r, deps, outcome, input))
    case "None":
      return !rule.rules.some((r) => holds(r, deps, outcome, input))
    case "TaskSucceeded":
      return outcome(rule.taskId) === "completed"
    case "TaskFailed":
      return outcome(rule.taskId) === "failed"
    case "TaskSkipped": {
      const o = outcome(rule.taskId)
      return o === "skipped" || o === "upstreamFailed"
    }
    case "ContextValue":
      return compare(
        Object.prototype.hasOwnProperty.call(input, rule.key) ? input[rule.key] : undefined,
        rule.op,
        rule.value as Json
      )
  }
}

const compare = (actual: Json | undefined, op: TriggerRuleModule.ContextOperator, expected: Json): boolean => {
  switch (op) {
    case "exists":
      return actual !== undefined
    case "notExists":
      return actual === undefined
    case "equals":
      return actual !== undefined && jsonEquals(actual, expected)
    case "notEquals":
      return actual === undefined || !jsonEquals(actual, expected)
    case "greaterThan":
    case "lessThan": {
      const comparable = (typeof actual === "number" && typeof expected === "number") ||
        (typeof actual === "string" && typeof expected === "string")
      if (!comparable) return false
      return op === "greaterThan" ? actual! > expected : actual! < expected
    }
    case "contains":
      return contains(actual, expected)
    case "notContains":
      return !contains(actual, expected)
  }
}

const contains = (actual: Json | undefined, expected: Json): boolean => {
  if (typeof actual === "string") return typeof expected === "string" && actual.includes(expected)
  if (Array.isArray(actual)) return actual.some((item) => jsonEquals(item, expected))
  if (typeof actual === "object" && actual !== null && typeof expected === "string") {
    return Object.prototype.hasOwnProperty.call(actual, expected)
  }
  return false
}

/**
 * A task's input: the root gets the execution input; otherwise its dependencies' contexts
 * merged in declaration order. A dependency that did not complete passes its own input on
 * (a skipped or failed task adds nothing, but does not hide what came before it).
 */
export const inputOf = (
  deps: ReadonlyArray<number>,
  executionInput: JsonObject,
  contextOf: (task: number) => JsonObject
): JsonObject => {
  if (deps.length === 0) return executionInput
  if (deps.length === 1) return contextOf(deps[0])
  return mergeAll(deps.map(contextOf))
}

/** The merge, in topological order, of the outputs of the leaves that completed. */
export const finalContext = (
  leavesInTopoOrder: ReadonlyArray<number>,
  completed: (task: number) => boolean,
  outputOf: (task: number) => JsonObject
): JsonObject => {
  const outputs: Array<JsonObject> = []
  for (const leaf of leavesInTopoOrder) if (completed(leaf)) outputs.push(outputOf(leaf))
  return mergeAll(outputs)
}

export interface StatusCounts {
  readonly completed: number
  readonly failed: number
  readonly skipped: number
  readonly cancelled: number
}

export const countStatuses = (statuses: Iterable<TaskStatus>): StatusCounts => {
  let completed = 0, failed = 0, skipped = 0, cancelled = 0
  for (const s of statuses) {
    if (s === "Completed") completed++
    else if (s === "Failed") failed++
    else if (s === "Skipped") skipped++
    else if (s === "Cancelled") cancelled++
  }
  return { completed, failed, skipped, cancelled }
}

/** `Failed` if any task failed, `Cancelled` if cancelled, else `Completed`. */
export const finalStatus = (counts: StatusCounts, cancelled: boolean): FinalStatus =>
  counts.failed > 0 ? "Failed" : cancelled ? "Cancelled" : "Completed"

/** e.g. "1 task(s) failed, 13 completed, 1 skipped"; undefined when the execution completed. */
export const summarize = (
  status: FinalStatus,
  counts: StatusCounts,
  cancelReason: string | undefined
): string | undefined => {
  if (status === "Completed") return undefined
  const parts = [`${counts.completed} completed`, `${counts.skipped} skipped`]
  if (counts.cancelled > 0) parts.push(`${counts.cancelled} cancelled`)
  if (status === "Failed") return `${counts.failed} task(s) failed, ${parts.join(", ")}`
  return `${cancelReason ?? "cancelled"}: ${parts.join(", ")}`
}
