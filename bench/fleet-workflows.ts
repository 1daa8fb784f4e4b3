/** The scale-out bench's workflows: I/O-bound (each task sleeps), so that more runners help. */
import { Effect } from "effect"
import { Task, Workflow } from "sluice"

const sleepy = (id: string, dependencies: ReadonlyArray<string> = [], ms = 20) =>
  Task.make({ id, dependencies, run: () => Effect.sleep(ms) })

/** Cloacina's 5-task parallel shape, each task waiting 20 ms. */
export const io5 = Workflow.make({ name: "io5", tasks: Array.from({ length: 5 }, (_, i) => sleepy(`t${i}`)) })

/** One root, 1,000 tasks after it, one join: each task waiting 20 ms. */
export const ioFan = Workflow.make({
  name: "io_fan_1000",
  tasks: [
    sleepy("root"),
    ...Array.from({ length: 1_000 }, (_, i) => sleepy(`f${i}`, ["root"])),
    sleepy("join", Array.from({ length: 1_000 }, (_, i) => `f${i}`))
  ]
})

/** A chain of 4 tasks of 500 ms: long enough to be running when its runner is killed. */
export const slow = Workflow.make({
  name: "slow4",
  tasks: [sleepy("a", [], 500), sleepy("b", ["a"], 500), sleepy("c", ["b"], 500), sleepy("d", ["c"], 500)]
})

export const ioWorkflows = [io5, ioFan, slow]
