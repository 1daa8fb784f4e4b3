/** The README's "Running, the Effect way", as code that compiles. */
import { Context, Layer } from "effect"
import { etl } from "./tour.js"

class Mailer extends Context.Tag("readme/Mailer")<Mailer, {
  readonly send: (to: Date, body: unknown) => Effect.Effect<void>
}>() {}
const MailerLive = Layer.succeed(Mailer, { send: () => Effect.void })

// README: the Effect way
import { Console, Effect, Stream } from "effect"
import { Runner, Storage } from "sluice"

const program = Effect.gen(function*() {
  const runner = yield* Runner
  const result = yield* runner.execute(etl, { date: "2026-11-28" }) // or runner.execute("etl", …)
  yield* Console.log(result.status, result.finalContext, result.errorMessage)

  const handle = yield* runner.submit("etl", {}, { idempotencyKey: "etl-2026-11-28", executionTimeout: "5 minutes" })
  yield* handle.events.pipe(Stream.runForEach(Console.log)) // this execution's events, from its start
  const again = yield* handle.result // waits on a Deferred: nothing polls
  yield* Console.log(again.status)
})

export const main = program.pipe(
  Effect.provide(Runner.layer({ workflows: [etl], maxConcurrentTasks: 8 })),
  Effect.provide(MailerLive), // what the tasks need: leave it out and this does not compile
  Effect.provide(Storage.layerFromUrl("sqlite://etl.db")) // or sqlite://:memory:, postgres://…, memory://
)
// README: end
