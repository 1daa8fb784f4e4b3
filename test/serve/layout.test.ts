/** A task's level in the drawing: the longest path from a root. */
import { describe, expect, it } from "vitest"
import { levels } from "../../src/serve/layout.js"

describe("levels", () => {
  it("puts a task one column right of its deepest dependency, whatever order tasks come in", () => {
    const tasks = [
      { taskId: "join", dependencies: ["short", "long2"] },
      { taskId: "long2", dependencies: ["long1"] },
      { taskId: "short", dependencies: ["root"] },
      { taskId: "long1", dependencies: ["root"] },
      { taskId: "root", dependencies: [] },
      { taskId: "alone", dependencies: [] }
    ]
    expect(Object.fromEntries(levels(tasks))).toEqual({ root: 0, alone: 0, short: 1, long1: 1, long2: 2, join: 3 })
  })

  it("ignores a dependency that is not among the tasks", () => {
    expect(Object.fromEntries(levels([{ taskId: "a", dependencies: ["gone"] }]))).toEqual({ a: 0 })
  })
})
