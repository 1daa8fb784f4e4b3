/**
 * The command's own failures, with the exit code each stands for: 2 for what the user typed
 * wrong (a bad option value, JSON that does not parse), 1 for an operation that failed (no such
 * execution, a module that does not load, a storage held by a runner), 3 for `run`'s cancelled
 * execution. Errors of the library keep their own message and exit 1.
 */
import { Data } from "effect"

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
