/**
 * When a task runs once its dependencies are done. A rule is plain data, so it is part of the
 * workflow's version and can be built from configuration.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import * as ContextKey from "./ContextKey.js"
import { ContextValueError, WorkflowDefinitionError } from "./Errors.js"
import { toFrozenJson } from "./internal/dag/json.js"

const operators = [
  "equals",
  "notEquals",
  "greaterThan",
  "lessThan",
  "contains",
  "notContains",
  "exists",
  "notExists"
] as const

/** @since 0.1.0 @category models */
export type ContextOperator = typeof operators[number]

/**
 * @since 0.1.0
 * @category models
 */
export type TriggerRule =
  | { readonly _tag: "AllSuccess" }
  | { readonly _tag: "NoneFailed" }
  | { readonly _tag: "AllDone" }
  | { readonly _tag: "OneSuccess" }
  | { readonly _tag: "OneFailed" }
  | { readonly _tag: "AllFailed" }
  | { readonly _tag: "All"; readonly rules: ReadonlyArray<TriggerRule> }
  | { readonly _tag: "Any"; readonly rules: ReadonlyArray<TriggerRule> }
  | { readonly _tag: "None"; readonly rules: ReadonlyArray<TriggerRule> }
  | { readonly _tag: "TaskSucceeded"; readonly taskId: string }
  | { readonly _tag: "TaskFailed"; readonly taskId: string }
  | { readonly _tag: "TaskSkipped"; readonly taskId: string }
  | {
    readonly _tag: "ContextValue"
    readonly key: string
    readonly op: ContextOperator
    readonly value?: unknown
  }

const tag = <T extends string>(t: T) => Schema.TaggedStruct(t, {})
const nested: Schema.Schema<ReadonlyArray<TriggerRule>> = Schema.Array(Schema.suspend(() => schema))

/**
 * A rule as data: how a workflow's stored definition holds it.
 *
 * @since 0.2.0
 * @category schemas
 */
export const schema: Schema.Schema<TriggerRule> = Schema.Union(
  tag("AllSuccess"),
  tag("NoneFailed"),
  tag("AllDone"),
  tag("OneSuccess"),
  tag("OneFailed"),
  tag("AllFailed"),
  Schema.TaggedStruct("All", { rules: nested }),
  Schema.TaggedStruct("Any", { rules: nested }),
  Schema.TaggedStruct("None", { rules: nested }),
  Schema.TaggedStruct("TaskSucceeded", { taskId: Schema.String }),
  Schema.TaggedStruct("TaskFailed", { taskId: Schema.String }),
  Schema.TaggedStruct("TaskSkipped", { taskId: Schema.String }),
  Schema.TaggedStruct("ContextValue", {
    key: Schema.String,
    op: Schema.Literal(...operators),
    value: Schema.optional(Schema.Unknown)
  })
)

/** Run unless a dependency failed (or was skipped because its own upstream failed). The default. @since 0.1.0 */
export const noneFailed: TriggerRule = { _tag: "NoneFailed" }
/** Run only if every dependency completed. @since 0.1.0 */
export const allSuccess: TriggerRule = { _tag: "AllSuccess" }
/** Run whatever happened upstream: the "robust aggregator". @since 0.1.0 */
export const allDone: TriggerRule = { _tag: "AllDone" }
/** Run if at least one dependency completed. @since 0.1.0 */
export const oneSuccess: TriggerRule = { _tag: "OneSuccess" }
/** Run if at least one dependency failed: an error handler. @since 0.1.0 */
export const oneFailed: TriggerRule = { _tag: "OneFailed" }
/** Run if every dependency failed. @since 0.1.0 */
export const allFailed: TriggerRule = { _tag: "AllFailed" }

/** Every rule holds. @since 0.1.0 */
export const all = (...rules: ReadonlyArray<TriggerRule>): TriggerRule => ({ _tag: "All", rules })
/** At least one rule holds. @since 0.1.0 */
export const any = (...rules: ReadonlyArray<TriggerRule>): TriggerRule => ({ _tag: "Any", rules })
/** No rule holds. @since 0.1.0 */
export const none = (...rules: ReadonlyArray<TriggerRule>): TriggerRule => ({ _tag: "None", rules })

const idOf = (task: string | { readonly id: string }): string => typeof task === "string" ? task : task.id

/** The given upstream task completed. It must be an ancestor of the task that uses the rule. @since 0.1.0 */
export const taskSucceeded = (task: string | { readonly id: string }): TriggerRule => ({
  _tag: "TaskSucceeded",
  taskId: idOf(task)
})
/** The given upstream task failed. @since 0.1.0 */
export const taskFailed = (task: string | { readonly id: string }): TriggerRule => ({
  _tag: "TaskFailed",
  taskId: idOf(task)
})
/** The given upstream task was skipped. @since 0.1.0 */
export const taskSkipped = (task: string | { readonly id: string }): TriggerRule => ({
  _tag: "TaskSkipped",
  taskId: idOf(task)
})

/**
 * A condition on the task's input context (the merge of its dependencies' outputs).
 * With a `ContextKey`, `value` is encoded with the key's schema before comparing.
 *
 * @example
 * TriggerRule.contextValue("processing_strategy", "equals", "high_value")
 *
 * @since 0.1.0
 */
export const contextValue = (
  key: string | ContextKey.ContextKey<any>,
  op: ContextOperator,
  value?: unknown
): TriggerRule => {
  if (!(operators as ReadonlyArray<string>).includes(op)) {
    throw new WorkflowDefinitionError({
      reason: "InvalidTriggerRule",
      detail: `unknown context operator "${String(op)}" (one of ${operators.join(", ")})`
    })
  }
  const json = (name: string, v: unknown): unknown => {
    if (v === undefined) return undefined
    try {
      return toFrozenJson(name, v)
    } catch (e) {
      throw new WorkflowDefinitionError({
        reason: "InvalidTriggerRule",
        detail: `contextValue("${name}"): ${e instanceof ContextValueError ? e.message : String(e)}`
      })
    }
  }
  if (typeof key === "string") return { _tag: "ContextValue", key, op, value: json(key, value) }
  let encoded = value
  if (value !== undefined) {
    const result = key.encode(value)
    if (result._tag === "Left") {
      throw new WorkflowDefinitionError({
        reason: "InvalidTriggerRule",
        detail: `contextValue("${key.name}"): ${ContextKey.formatError(result.left)}`
      })
    }
    encoded = result.right
  }
  return { _tag: "ContextValue", key: key.name, op, value: json(key.name, encoded) }
}

/** The task ids a rule refers to, for validation. @internal */
export const referencedTasks = (rule: TriggerRule): ReadonlyArray<string> => {
  switch (rule._tag) {
    case "All":
    case "Any":
    case "None":
      return rule.rules.flatMap(referencedTasks)
    case "TaskSucceeded":
    case "TaskFailed":
    case "TaskSkipped":
      return [rule.taskId]
    default:
      return []
  }
}

/** A short text for messages and diagrams. @since 0.1.0 */
export const describe = (rule: TriggerRule): string => {
  switch (rule._tag) {
    case "All":
    case "Any":
    case "None":
      return `${rule._tag.toLowerCase()}(${rule.rules.map(describe).join(", ")})`
    case "TaskSucceeded":
      return `taskSucceeded(${rule.taskId})`
    case "TaskFailed":
      return `taskFailed(${rule.taskId})`
    case "TaskSkipped":
      return `taskSkipped(${rule.taskId})`
    case "ContextValue":
      return rule.op === "exists" || rule.op === "notExists"
        ? `contextValue(${rule.key} ${rule.op})`
        : `contextValue(${rule.key} ${rule.op} ${JSON.stringify(rule.value)})`
    default:
      return rule._tag.charAt(0).toLowerCase() + rule._tag.slice(1)
  }
}
