/**
 * `sluice serve <module>`: a runner with the module's workflows and schedules, and the HTTP API
 * and web view on it (src/serve/), until stopped (SIGINT, SIGTERM: running tasks are put back).
 */
import { Args, Command, Options } from "@effect/cli"
import { Effect, Layer, Option } from "effect"
import { layerServer } from "../../serve/server.js"
import { loadModule } from "../module.js"
import { storageOption } from "../options.js"
import { withRunner } from "./shared.js"

export const serve = Command.make("serve", {
  storage: storageOption,
  port: Options.integer("port").pipe(Options.withDescription("port to listen on"), Options.withDefault(8080)),
  host: Options.text("host").pipe(Options.withDescription("address to bind"), Options.withDefault("127.0.0.1")),
  token: Options.text("token").pipe(
    Options.withDescription("require this bearer token on every request (default: $SLUICE_TOKEN)"),
    Options.optional
  ),
  module: Args.text({ name: "module" })
}, (o) =>
  Effect.gen(function*() {
    const loaded = yield* loadModule(o.module)
    // The token from the environment keeps it out of the process list.
    const token = Option.orElse(o.token, () => Option.fromNullable(process.env.SLUICE_TOKEN)).pipe(
      Option.filter((t) => t !== ""),
      Option.getOrUndefined
    )
    yield* withRunner(
      o.storage,
      "work",
      Layer.launch(layerServer({ port: o.port, host: o.host, token })),
      { workflows: loaded.workflows, schedules: loaded.schedules }
    )
  })).pipe(Command.withDescription("a runner with the module's workflows and schedules, and the web view"))
