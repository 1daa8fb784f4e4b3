/** The command tree, and what running it ends with: the process's exit code. */
import { Command, ValidationError } from "@effect/cli"
import { Console, Effect } from "effect"
import { createRequire } from "node:module"
import { bench } from "./commands/bench.js"
import { cancel, pause, resume, signal } from "./commands/control.js"
import { graph } from "./commands/graph.js"
import { history } from "./commands/history.js"
import { list } from "./commands/list.js"
import { prune } from "./commands/prune.js"
import { run } from "./commands/run.js"
import { schedules } from "./commands/schedules.js"
import { serve } from "./commands/serve.js"
import { show } from "./commands/show.js"
import { CliError, describeError } from "./errors.js"
import { oneLine } from "./render/style.js"
import { root } from "./root.js"

// src/cli and dist/cli are both two levels below the package.
const { version } = createRequire(import.meta.url)("../../package.json") as { readonly version: string }

const command = root.pipe(
  Command.withDescription("durable DAG workflows: inspect, control and run executions"),
  Command.withSubcommands([
    list,
    show,
    history,
    cancel,
    pause,
    resume,
    signal,
    graph,
    run,
    serve,
    prune,
    schedules,
    bench
  ])
)

const cli = Command.run(command, { name: "sluice", version })

/**
 * Runs the command on `argv`; succeeds with the exit code. A usage error was printed by
 * @effect/cli with the help it needs (2); any other error prints one line to stderr, made safe
 * for a terminal (it may carry an execution's error message: see `safe`).
 */
export const main = (argv: ReadonlyArray<string>) =>
  cli(argv).pipe(
    Effect.as(0),
    Effect.catchAll((error) =>
      ValidationError.isValidationError(error)
        ? Effect.succeed(2)
        : Effect.as(
          Console.error(`sluice: ${oneLine(describeError(error))}`),
          error instanceof CliError ? error.exitCode : 1
        )
    ),
    Effect.catchAllDefect((defect) =>
      Effect.as(Console.error(`sluice: unexpected error: ${oneLine(describeError(defect))}`), 1)
    )
  )
