/**
 * The command's own failures, with the exit code each stands for: 2 for what the user typed
 * wrong (a bad option value, JSON that does not parse), 1 for an operation that failed (no such
 * execution, a module that does not load, a storage held by a runner), 3 for `run`'s cancelled
 * execution. Errors of the library keep their own message and exit 1.
 */
import { Cause, Data, Exit } from "effect"

export class CliError extends Data.TaggedError("CliError")<{
  readonly message: string
  readonly exitCode: 1 | 2 | 3
}> {}

/** What the user typed is wrong: exit 2. */
export const usage = (message: string) => new CliError({ message, exitCode: 2 })

/** The operation failed: exit 1. */
export const failure = (message: string) => new CliError({ message, exitCode: 1 })

/** The one line an error prints to stderr. */
export const describeError = (error: unknown): string => {
  if (typeof error === "object" && error !== null && "message" in error && typeof error.message === "string") {
    return error.message
  }
  return String(error)
}

/**
 * The process's exit code from how the program ended: its own code when it ran to the end; 130
 * (as shells report a signal) only when it was interrupted (SIGINT, SIGTERM) and nothing else
 * went wrong; 1 for any failure or defect that got past `main`'s handlers, interrupted or not.
 */
export const exitCodeOf = (exit: Exit.Exit<unknown, unknown>): number =>
  Exit.isSuccess(exit)
    ? typeof exit.value === "number" ? exit.value : 0
    : Cause.isInterruptedOnly(exit.cause)
    ? 130
    : 1
