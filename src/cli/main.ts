/**
 * The `sluice` command's entry point (bin/sluice.js imports the built file). Logs go to stderr,
 * so that stdout holds only the output (JSON with `--json`); at warning level unless
 * `--log-level` says otherwise.
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Effect, Layer, Logger, LogLevel } from "effect"
import { main } from "./app.js"
import { withPlainConsole } from "./console.js"
import { exitCodeOf } from "./errors.js"

const logging = Layer.merge(
  Logger.replace(Logger.defaultLogger, Logger.withConsoleError(Logger.stringLogger)),
  Logger.minimumLogLevel(LogLevel.Warning)
)

NodeRuntime.runMain(
  withPlainConsole(main(process.argv)).pipe(Effect.provide(Layer.merge(NodeContext.layer, logging))),
  {
    disableErrorReporting: true,
    // Interrupted (SIGINT, SIGTERM): 130, as shells report it; anything else that got this far: 1
    // (see exitCodeOf). Exit once stdout is written, whatever handles are still open (a pool, a
    // watcher being closed).
    teardown: (exit) => {
      const code = exitCodeOf(exit)
      process.stdout.write("", () => process.exit(code))
    }
  }
)
