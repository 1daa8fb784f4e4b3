/**
 * Type-level tests, checked by `npm run lint` (tsc): what a workflow's tasks need travels in the
 * types, so that running one whose services are not provided does not compile. Each
 * `@ts-expect-error` fails the build if the error it expects goes away.
 */
import { Context, Effect, Layer } from "effect"
import type { WorkflowResult } from "sluice"
import { DefaultRunner, Runner, Storage, Task, Workflow } from "sluice"
import { expectTypeOf } from "vitest"

class Mailer extends Context.Tag("test/Mailer")<Mailer, { readonly send: (to: string) => Effect.Effect<void> }>() {}
class Clock2 extends Context.Tag("test/Clock2")<Clock2, { readonly now: Effect.Effect<number> }>() {}

const MailerLive = Layer.succeed(Mailer, { send: () => Effect.void })
const Clock2Live = Layer.succeed(Clock2, { now: Effect.succeed(0) })

const mail = Task.make({ id: "mail", run: () => Effect.flatMap(Mailer, (m) => m.send("a@b.c")) })
const stamp = Task.make({ id: "stamp", run: () => Effect.flatMap(Clock2, (c) => c.now) })
const plain = Task.make({ id: "plain", run: () => {} })

// A task's requirements come from its body; a workflow's are the union of its tasks'.
expectTypeOf(mail).toEqualTypeOf<Task.Task<Mailer>>()
expectTypeOf(plain).toEqualTypeOf<Task.Task<never>>()
const notify = Workflow.make({ name: "notify", tasks: [mail, stamp] })
expectTypeOf(notify).toEqualTypeOf<Workflow.Workflow<Mailer | Clock2>>()
const quiet = Workflow.make({ name: "quiet", tasks: [plain] })
expectTypeOf(quiet).toEqualTypeOf<Workflow.Workflow<never>>()

// The runner's layer requires what its workflows need.
const layer = Runner.layer({ workflows: [notify, quiet] })
expectTypeOf<Layer.Layer.Context<typeof layer>>().toEqualTypeOf<Storage | Mailer | Clock2>()

// execute and submit by value require the workflow's services of the caller…
const byValue = Effect.flatMap(Runner, (r) => r.execute(notify))
expectTypeOf(byValue).toEqualTypeOf<
  Effect.Effect<WorkflowResult, Effect.Effect.Error<typeof byValue>, Runner | Mailer | Clock2>
>()
export const submitted = Effect.flatMap(Runner, (r) => r.submit(notify))
expectTypeOf<Effect.Effect.Context<typeof submitted>>().toEqualTypeOf<Runner | Mailer | Clock2>()
// … by name they need nothing: the layer checked the registered workflow.
const byName = Effect.flatMap(Runner, (r) => r.execute("notify"))
expectTypeOf<Effect.Effect.Context<typeof byName>>().toEqualTypeOf<Runner>()
// register requires what the workflow needs.
export const registered = Effect.flatMap(Runner, (r) => r.register(notify))
expectTypeOf<Effect.Effect.Context<typeof registered>>().toEqualTypeOf<Runner | Mailer | Clock2>()

// Provided: it compiles.
export const complete: Effect.Effect<WorkflowResult, unknown, never> = byValue.pipe(
  Effect.provide(layer),
  Effect.provide(Layer.mergeAll(MailerLive, Clock2Live, Storage.layerMemory))
)

// @ts-expect-error Clock2 is not provided to the runner's layer
export const missingForLayer: Effect.Effect<WorkflowResult, unknown, never> = byName.pipe(
  Effect.provide(layer),
  Effect.provide(Layer.merge(MailerLive, Storage.layerMemory))
)

// @ts-expect-error the caller does not provide Mailer to execute(notify)
export const missingForExecute: Effect.Effect<WorkflowResult, unknown, never> = byValue.pipe(
  Effect.provide(Runner.layer({ workflows: [quiet] })),
  Effect.provide(Layer.merge(Clock2Live, Storage.layerMemory))
)

// The Promise API cannot provide services: only workflows that need none.
export const promise = async () => {
  const runner = await DefaultRunner.make("memory://", { workflows: [quiet] })
  // @ts-expect-error notify needs Mailer and Clock2
  await runner.execute(notify)
  // @ts-expect-error nor can it be given one that needs services
  await DefaultRunner.make("memory://", { workflows: [notify] })
}
