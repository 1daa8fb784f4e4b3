/** Workflow definitions: validation errors (each a typed WorkflowDefinitionError) and inspection. */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Schedule } from "effect"
import { RetryPolicy, Task, TriggerRule, Workflow, WorkflowDefinitionError } from "sluice"

const noop = () => {}
const task = (id: string, dependencies: ReadonlyArray<string> = []) => Task.make({ id, dependencies, run: noop })

const definitionError = (make: () => unknown): WorkflowDefinitionError => {
  try {
    make()
  } catch (e) {
    expect(e).toBeInstanceOf(WorkflowDefinitionError)
    return e as WorkflowDefinitionError
  }
  throw new Error("expected a WorkflowDefinitionError, nothing was thrown")
}

describe("Workflow.make validation", () => {
  it("rejects a workflow without tasks", () => {
    const e = definitionError(() => Workflow.make({ name: "empty", tasks: [] }))
    expect(e.reason).toBe("EmptyWorkflow")
    expect(e._tag).toBe("WorkflowDefinitionError")
    expect(e.message).toContain("empty")
  })

  it("rejects an unknown dependency, naming both tasks", () => {
    const e = definitionError(() => Workflow.make({ name: "wf", tasks: [task("a"), task("b", ["ghost"])] }))
    expect(e.reason).toBe("UnknownDependency")
    expect(e.taskId).toBe("b")
    expect(e.message).toContain("\"ghost\"")
  })

  it("rejects a cycle and names its path in execution order", () => {
    const e = definitionError(() =>
      Workflow.make({
        name: "wf",
        tasks: [task("start"), task("a", ["start", "c"]), task("b", ["a"]), task("c", ["b"]), task("d", ["c"])]
      })
    )
    expect(e.reason).toBe("Cycle")
    expect(e.cycle).toHaveLength(4)
    expect(e.cycle![0]).toBe(e.cycle![3])
    expect(new Set(e.cycle)).toEqual(new Set(["a", "b", "c"]))
    // Each step of the path is a real edge: the next task depends on the previous one.
    const deps: Record<string, Array<string>> = { a: ["start", "c"], b: ["a"], c: ["b"] }
    for (let i = 0; i < 3; i++) expect(deps[e.cycle![i + 1]]).toContain(e.cycle![i])
    expect(e.message).toMatch(/cycle: \w+ -> \w+ -> \w+ -> \w+/)
  })

  it("rejects a task that depends on itself", () => {
    const e = definitionError(() => Workflow.make({ name: "wf", tasks: [task("a", ["a"])] }))
    expect(e.reason).toBe("Cycle")
    expect(e.cycle).toEqual(["a", "a"])
  })

  it("rejects duplicate task ids (the same task value twice counts once)", () => {
    const e = definitionError(() => Workflow.make({ name: "wf", tasks: [task("a"), task("a")] }))
    expect(e.reason).toBe("DuplicateTaskId")
    expect(e.taskId).toBe("a")
    const a = task("a")
    expect(Workflow.make({ name: "wf", tasks: [a, a] }).tasks).toHaveLength(1)
  })

  it.each(["", "has space", "slash/id", "tab\tid", "ünïcode", "x".repeat(201)])(
    "rejects the invalid task id %j",
    (id) => {
      const e = definitionError(() => Workflow.make({ name: "wf", tasks: [task(id)] }))
      expect(e.reason).toBe("InvalidTaskId")
    }
  )

  it("rejects an invalid workflow name", () => {
    expect(definitionError(() => Workflow.make({ name: "", tasks: [task("a")] })).reason).toBe("InvalidWorkflowName")
    expect(definitionError(() => Workflow.make({ name: "a b", tasks: [task("a")] })).reason).toBe("InvalidWorkflowName")
  })

  it("rejects a trigger rule about a task that is not upstream", () => {
    const e = definitionError(() =>
      Workflow.make({
        name: "wf",
        tasks: [
          task("a"),
          task("b"),
          Task.make({ id: "c", dependencies: ["a"], triggerRule: TriggerRule.taskFailed("b"), run: noop })
        ]
      })
    )
    expect(e.reason).toBe("InvalidTriggerRule")
    expect(e.message).toContain("\"b\"")
  })

  it("rejects bad task options when the task is made", () => {
    expect(definitionError(() => Task.make({ id: "a", timeout: "soon" as never, run: noop })).reason).toBe(
      "InvalidOption"
    )
    expect(definitionError(() => Task.make({ id: "a", timeout: -5, run: noop })).reason).toBe("InvalidOption")
    expect(definitionError(() => Task.make({ id: "a", timeout: "-5 millis", run: noop })).message).toContain(
      "must not be negative"
    )
    expect(definitionError(() => Task.make({ id: "a", timeout: "0 millis", run: noop })).reason).toBe("InvalidOption")
    expect(definitionError(() => TriggerRule.contextValue("k", "equals", () => 1)).reason).toBe("InvalidTriggerRule")
    expect(definitionError(() => Task.make({ id: "a", run: 42 as never })).reason).toBe("InvalidOption")
    expect(definitionError(() => TriggerRule.contextValue("k", "bigger" as never, 1)).reason).toBe("InvalidTriggerRule")
  })

  it("rejects bad retry options, never defaulting them", () => {
    const bad: Array<() => unknown> = [
      () => RetryPolicy.exponential({ maxAttempts: 0, initialDelay: "1 second" }),
      () => RetryPolicy.exponential({ maxAttempts: 2.5, initialDelay: "1 second" }),
      () => RetryPolicy.fixed({ maxAttempts: 3, delay: -1 }),
      // Negative durations in any form (Effect's own decoding turns them into zero).
      () => RetryPolicy.fixed({ maxAttempts: 3, delay: "-5 millis" }),
      () => RetryPolicy.exponential({ maxAttempts: 3, initialDelay: "-1 seconds" }),
      () => RetryPolicy.linear({ maxAttempts: 3, initialDelay: "1 second", maxDelay: [-1, 0] }),
      () => RetryPolicy.fixed({ maxAttempts: 3, delay: Number.NaN }),
      () => RetryPolicy.linear({ maxAttempts: 3, initialDelay: "2 seconds", maxDelay: "1 second" }),
      () => RetryPolicy.exponential({ maxAttempts: 3 }),
      () => RetryPolicy.exponential({ maxAttempts: 3, initialDelay: "1 second", factor: 0.5 }),
      () => RetryPolicy.make({ strategy: "random" } as never),
      () => RetryPolicy.fromSchedule("not a schedule" as never)
    ]
    for (const make of bad) expect(definitionError(make).reason).toBe("InvalidOption")
    expect(RetryPolicy.exponential({ maxAttempts: 3, delay: "10 millis" }).maxAttempts).toBe(3)
    expect(RetryPolicy.fromSchedule(Schedule.recurs(2)).maxAttempts).toBe(Infinity)
  })

  it("Workflow.validate gives the same as a typed failure", () =>
    Effect.gen(function*() {
      const result = yield* Effect.either(Workflow.validate({ name: "wf", tasks: [task("a", ["b"])] }))
      expect(Either.isLeft(result) && result.left.reason).toBe("UnknownDependency")
      const ok = yield* Workflow.validate({ name: "wf", tasks: [task("a")] })
      expect(ok.name).toBe("wf")
    }).pipe(Effect.runSync))
})

describe("Workflow inspection", () => {
  // a -> b -> d, a -> c -> d, e alone
  const build = () =>
    Workflow.make({
      name: "shape",
      tasks: [task("a"), task("b", ["a"]), task("c", ["a"]), task("d", ["b", "c"]), task("e")]
    })

  it("gives a topological order, levels, roots and leaves", () => {
    const wf = build()
    expect(Workflow.topologicalOrder(wf)).toEqual(["a", "e", "b", "c", "d"])
    expect(Workflow.levels(wf)).toEqual([["a", "e"], ["b", "c"], ["d"]])
    expect(Workflow.roots(wf)).toEqual(["a", "e"])
    expect(Workflow.leaves(wf)).toEqual(["e", "d"])
  })

  it("gives the same version for the same definition and another for a changed one", () => {
    expect(Workflow.version(build())).toBe(Workflow.version(build()))
    expect(Workflow.version(build())).toMatch(/^[0-9a-f]{16}$/)
    const changed = Workflow.make({ name: "shape", tasks: [task("a"), task("b", ["a"])] })
    expect(Workflow.version(changed)).not.toBe(Workflow.version(build()))
    // The version depends on the DAG, not on the order the tasks are listed in.
    const listed = build()
    const reversed = Workflow.make({ name: "shape", tasks: [...listed.tasks].reverse() })
    expect(Workflow.version(reversed)).toBe(Workflow.version(listed))
  })

  it("renders Mermaid with every edge", () => {
    const text = Workflow.toMermaid(build())
    expect(text.split("\n")[0]).toBe("graph TD")
    for (const [from, to] of [["a", "b"], ["a", "c"], ["b", "d"], ["c", "d"]]) {
      expect(text).toMatch(new RegExp(`\\b${from}\\b.*-->.*\\b${to}\\b`))
    }
    expect(text).toContain("e")
  })

  it("composes: a workflow built in a loop and one derived from another's tasks", () => {
    const base = build()
    const extra = Task.make({ id: "report", dependencies: Workflow.leaves(base), run: noop })
    const derived = Workflow.make({ name: "derived", tasks: [...base.tasks, extra] })
    expect(Workflow.leaves(derived)).toEqual(["report"])
    const looped = Workflow.make({
      name: "looped",
      tasks: Array.from({ length: 50 }, (_, i) => task(`t${i}`, i === 0 ? [] : [`t${i - 1}`]))
    })
    expect(Workflow.levels(looped)).toHaveLength(50)
  })
})
