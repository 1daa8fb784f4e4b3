/**
 * Type-level tests of typed task outputs, compiled by `npm run lint` (tsc): `ctx.output(task)` has
 * the type of the task's output schema, and reading a task that is not upstream does not compile.
 */
import { Effect, Schema } from "effect"
import type { RunnerService } from "sluice"
import { Task, Workflow } from "sluice"
import { expectTypeOf } from "vitest"

const extract = Task.make({ id: "extract", output: Schema.Array(Schema.Number), run: () => [1, 2, 3] })
const stats = Task.make({
  id: "stats",
  dependencies: [extract],
  output: Schema.Struct({ total: Schema.Number, at: Schema.Date }),
  run: (ctx) => {
    expectTypeOf(ctx.output(extract)).toEqualTypeOf<ReadonlyArray<number>>()
    return Effect.succeed({ total: ctx.output(extract).length, at: new Date() })
  }
})
expectTypeOf(stats).toEqualTypeOf<
  Task.Task<never, { readonly total: number; readonly at: Date }, "stats", "extract">
>()

Task.make({
  id: "report",
  dependencies: [stats],
  run: (ctx) => {
    // Upstream through a dependency: readable, typed.
    expectTypeOf(ctx.output(extract)).toEqualTypeOf<ReadonlyArray<number>>()
    expectTypeOf(ctx.output(stats).at).toEqualTypeOf<Date>()
  }
})

const lonely = Task.make({ id: "lonely", output: Schema.String, run: async () => "x" })
Task.make({
  id: "beside",
  dependencies: [extract],
  run: (ctx) => {
    // @ts-expect-error "lonely" is not upstream of "beside"
    ctx.output(lonely)
  }
})
Task.make({
  id: "root",
  run: (ctx) => {
    // @ts-expect-error nothing is upstream of a root
    ctx.output(extract)
  }
})
// Dependencies given by id: TypeScript cannot follow them, the runtime checks (TaskOutputError).
Task.make({ id: "by-id", dependencies: ["extract"], run: (ctx) => void ctx.output(lonely) })

// `run` must return what the schema holds.
// @ts-expect-error a string is not a number
Task.make({ id: "wrong", output: Schema.Number, run: () => "three" })

// A workflow's typed final output: `result.output` has the schema's type.
const typedOut = Workflow.make({
  name: "typed-out",
  tasks: [extract],
  output: Schema.Struct({ extract: Schema.Array(Schema.Number) })
})
expectTypeOf(typedOut).toEqualTypeOf<Workflow.Workflow<never, { readonly extract: ReadonlyArray<number> }>>()
declare const runner: RunnerService
const _executed = runner.execute(typedOut)
expectTypeOf<Effect.Effect.Success<typeof _executed>["output"]>().toEqualTypeOf<
  { readonly extract: ReadonlyArray<number> } | undefined
>()
expectTypeOf<Effect.Effect.Success<ReturnType<typeof runner.execute<never>>>["output"]>().toEqualTypeOf<unknown>()
