/**
 * `sluice serve <module>`: a runner with the module's workflows and schedules, and the HTTP API
 * and web view on it (src/serve/), until stopped (SIGINT, SIGTERM: running tasks are put back).
 *
 * An empty token (`--token "$TOKEN"` or `SLUICE_TOKEN=$TOKEN` with TOKEN unset) is refused (exit
 * 2): taken as no token, it would serve without authentication while the operator believes
 * otherwise. No token on an address other than loopback: served, with a warning on stderr.
 */
import { Args, Command, Options } from "@effect/cli"
import { Console, Effect, Layer, Option } from "effect"
import { isLoopback } from "../../serve/guard.js"
import { layerServer } from "../../serve/server.js"
import { usage } from "../errors.js"
import { loadModule } from "../module.js"
import { storageOption } from "../options.js"
import { withRunner } from "./shared.js"

export const serve = Command.make("serve", {
  storage: storageOption,
  port: Options.integer("port").pipe(Options.withDescription("port to listen on"), Options.withDefault(8080)),
  host: Options.text("host").pipe(Options.withDescription("address to bind"), Options.withDefault("127.0.0.1")),
  token: Options.text("token").pipe(
    Options.withDescription(
      "require this bearer token on every request (default: $SLUICE_TOKEN, which `ps` does not show)"
    ),
    Options.optional
  ),
  module: Args.text({ name: "module" })
}, (o) =>
  Effect.gen(function*() {
    // The token from the environment keeps it out of the process list.
    const given = Option.match(o.token, {
      onSome: (token) => ({ token, from: "--token" }),
      onNone: () => ({ token: process.env.SLUICE_TOKEN, from: "SLUICE_TOKEN" })
    })
    if (given.token !== undefined && given.token.trim() === "") {
      return yield* usage(
        `${given.from} is empty (an unset variable?): give the token, or leave ${given.from} out to serve without one`
      )
    }
    const token = given.token
    if (token === undefined && !isLoopback(o.host)) {
      yield* Console.error(
        `sluice: warning: serving on ${o.host} without a token: anyone who reaches it can read and control ` +
          `executions (set SLUICE_TOKEN)`
      )
    }
    const loaded = yield* loadModule(o.module)
    yield* withRunner(
      o.storage,
      "work",
      Layer.launch(layerServer({ port: o.port, host: o.host, token })),
      { workflows: loaded.workflows, schedules: loaded.schedules }
    )
  })).pipe(Command.withDescription("a runner with the module's workflows and schedules, and the web view"))
