/** The pure DAG rules: merge, trigger rules, final context, final status and summary. */
import { describe, expect, it } from "@effect/vitest"
import { TriggerRule } from "sluice"
import { mergeAll, mergeObjects, toFrozenJson } from "../src/internal/dag/json.js"
import type { Outcome } from "../src/internal/dag/rules.js"
import {
  countStatuses,
  decide,
  finalContext,
  finalStatus,
  inputOf,
  summarize,
  UPSTREAM_FAILED
} from "../src/internal/dag/rules.js"

describe("context merge", () => {
  it("merges objects deeply, concatenates arrays without duplicates, lets later scalars win", () => {
    const a = { obj: { x: 1, inner: { keep: true } }, list: [1, { id: 1 }], s: "first", only_a: 1 }
    const b = { obj: { y: 2, inner: { add: true } }, list: [{ id: 1 }, 2, 1], s: "second", only_b: 2 }
    expect(mergeObjects(a, b)).toEqual({
      obj: { x: 1, y: 2, inner: { keep: true, add: true } },
      list: [1, { id: 1 }, 2],
      s: "second",
      only_a: 1,
      only_b: 2
    })
  })

  it("replaces values of different kinds with the later one", () => {
    expect(mergeObjects({ v: [1] }, { v: { a: 1 } })).toEqual({ v: { a: 1 } })
    expect(mergeObjects({ v: { a: 1 } }, { v: null })).toEqual({ v: null })
  })

  it("merges in the given order", () => {
    expect(mergeAll([{ k: 1 }, { k: 2 }, { k: 3 }])).toEqual({ k: 3 })
    expect(mergeAll([{ k: [3] }, { k: [1] }, { k: [2] }])).toEqual({ k: [3, 1, 2] })
  })

  it("gives roots the execution input and joins the merge of their dependencies", () => {
    const contexts = [{ a: 1 }, { a: 2, b: 1 }]
    expect(inputOf([], { input: true }, () => ({}))).toEqual({ input: true })
    expect(inputOf([1, 0], {}, (d) => contexts[d])).toEqual({ a: 1, b: 1 })
  })
})

describe("JSON values", () => {
  it.each([
    ["a function", () => 1],
    ["a symbol", Symbol("s")],
    ["a bigint", 10n],
    ["undefined", undefined],
    ["NaN", NaN],
    ["Infinity", Infinity],
    ["a Date", new Date()],
    ["a Map", new Map()],
    [
      "a class instance",
      new (class Point {
        x = 1
      })()
    ]
  ])("rejects %s", (_, value) => {
    expect(() => toFrozenJson("k", value)).toThrow(/context value "k".*is not JSON/)
    expect(() => toFrozenJson("k", { nested: [1, { deep: value }] })).toThrow(/nested\[1\]\.deep/)
  })

  it("rejects a cycle", () => {
    const cyclic: Record<string, unknown> = { a: 1 }
    cyclic.self = cyclic
    expect(() => toFrozenJson("k", cyclic)).toThrow(/cycle/)
  })

  it("copies and freezes what it accepts, leaving the caller's value alone", () => {
    const value = { list: [1, { a: "x" }], shared: { n: 1 } }
    const stored = toFrozenJson("k", { ...value, again: value.shared }) as any
    expect(stored).toEqual({ ...value, again: { n: 1 } })
    expect(Object.isFrozen(stored.list[1])).toBe(true)
    expect(Object.isFrozen(value.list)).toBe(false)
  })
})

describe("trigger rules", () => {
  const none = () => "completed" as Outcome
  const run = (rule: TriggerRule.TriggerRule, deps: ReadonlyArray<Outcome>, input = {}) =>
    decide(rule, deps, none, input).run

  const table: Array<[string, TriggerRule.TriggerRule, ReadonlyArray<Outcome>, boolean]> = [
    ["noneFailed, all completed", TriggerRule.noneFailed, ["completed", "completed"], true],
    ["noneFailed, one skipped", TriggerRule.noneFailed, ["completed", "skipped"], true],
    ["noneFailed, one failed", TriggerRule.noneFailed, ["completed", "failed"], false],
    ["noneFailed, one upstream-failed", TriggerRule.noneFailed, ["completed", "upstreamFailed"], false],
    ["allSuccess, all completed", TriggerRule.allSuccess, ["completed", "completed"], true],
    ["allSuccess, one skipped", TriggerRule.allSuccess, ["completed", "skipped"], false],
    ["allDone, failures", TriggerRule.allDone, ["failed", "upstreamFailed", "skipped"], true],
    ["oneSuccess, one", TriggerRule.oneSuccess, ["failed", "completed"], true],
    ["oneSuccess, none", TriggerRule.oneSuccess, ["failed", "skipped"], false],
    ["oneFailed, one", TriggerRule.oneFailed, ["completed", "failed"], true],
    ["oneFailed, none", TriggerRule.oneFailed, ["completed", "skipped"], false],
    ["allFailed, all", TriggerRule.allFailed, ["failed", "upstreamFailed"], true],
    ["allFailed, not all", TriggerRule.allFailed, ["failed", "completed"], false]
  ]
  it.each(table)("%s", (_, rule, deps, expected) => expect(run(rule, deps)).toBe(expected))

  it("skips with reason 'upstream failed' when a success rule meets a failure, so it cascades", () => {
    expect(decide(TriggerRule.noneFailed, ["failed"], none, {})).toEqual({ run: false, reason: UPSTREAM_FAILED })
    expect(decide(TriggerRule.allSuccess, ["skipped"], none, {})).toEqual({
      run: false,
      reason: "trigger rule not satisfied: allSuccess"
    })
  })

  it("evaluates context conditions on the input", () => {
    const input = { strategy: "high_value", total: 600_000, tags: ["a", "b"], name: "customer analysis" }
    const cv = TriggerRule.contextValue
    expect(run(cv("strategy", "equals", "high_value"), [], input)).toBe(true)
    expect(run(cv("strategy", "notEquals", "high_value"), [], input)).toBe(false)
    expect(run(cv("total", "greaterThan", 500_000), [], input)).toBe(true)
    expect(run(cv("total", "lessThan", 500_000), [], input)).toBe(false)
    expect(run(cv("total", "greaterThan", "5"), [], input)).toBe(false)
    expect(run(cv("tags", "contains", "b"), [], input)).toBe(true)
    expect(run(cv("name", "contains", "analysis"), [], input)).toBe(true)
    expect(run(cv("tags", "notContains", "z"), [], input)).toBe(true)
    expect(run(cv("strategy", "exists"), [], input)).toBe(true)
    expect(run(cv("missing", "notExists"), [], input)).toBe(true)
    expect(run(cv("missing", "equals", null), [], input)).toBe(false)
  })

  it("combines conditions with all / any / none over upstream outcomes", () => {
    const outcomes: Record<string, Outcome> = { a: "completed", b: "failed", c: "skipped" }
    const of = (id: string) => outcomes[id]
    const rule = TriggerRule.all(
      TriggerRule.taskSucceeded("a"),
      TriggerRule.any(TriggerRule.taskFailed("b"), TriggerRule.taskSkipped("a")),
      TriggerRule.none(TriggerRule.taskSucceeded("c"))
    )
    expect(decide(rule, ["completed"], of, {}).run).toBe(true)
    expect(decide(TriggerRule.taskSkipped("c"), [], of, {}).run).toBe(true)
    expect(decide(TriggerRule.none(TriggerRule.taskFailed("b")), [], of, {}).run).toBe(false)
  })
})

describe("final context, status and summary", () => {
  it("merges the completed leaves in topological order", () => {
    const outputs = [{ a: 1, shared: "first" }, { b: 2 }, { shared: "last" }]
    const done = [true, false, true]
    expect(finalContext([0, 1, 2], (i) => done[i], (i) => outputs[i])).toEqual({ a: 1, shared: "last" })
  })

  it("is Failed if any task failed, Cancelled if cancelled, else Completed", () => {
    const counts = countStatuses(["Completed", "Failed", "Skipped", "Completed"])
    expect(counts).toEqual({ completed: 2, failed: 1, skipped: 1, cancelled: 0 })
    expect(finalStatus(counts, false)).toBe("Failed")
    expect(finalStatus(counts, true)).toBe("Failed")
    expect(finalStatus(countStatuses(["Completed", "Cancelled"]), true)).toBe("Cancelled")
    expect(finalStatus(countStatuses(["Completed", "Skipped"]), false)).toBe("Completed")
  })

  it("summarizes like cloaca", () => {
    const counts = { completed: 13, failed: 1, skipped: 1, cancelled: 0 }
    expect(summarize("Failed", counts, undefined)).toBe("1 task(s) failed, 13 completed, 1 skipped")
    expect(summarize("Completed", { ...counts, failed: 0 }, undefined)).toBeUndefined()
    expect(summarize("Cancelled", { completed: 2, failed: 0, skipped: 0, cancelled: 3 }, "timed out")).toBe(
      "timed out: 2 completed, 0 skipped, 3 cancelled"
    )
  })
})
