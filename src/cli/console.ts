/**
 * The console the command writes through, with colour only where it can show: escape codes
 * (ours, and those of @effect/cli's help and errors) are removed from what goes to a stream that
 * is not a terminal, or everywhere with NO_COLOR.
 */
import type { Console } from "effect"
import { Effect } from "effect"

const ESCAPES = /\x1b\[[0-9;]*m/g

const plain = (tty: boolean | undefined) => tty !== true || (process.env.NO_COLOR ?? "") !== ""

const strip = (on: boolean) => (args: ReadonlyArray<unknown>) =>
  on ? args.map((a) => typeof a === "string" ? a.replace(ESCAPES, "") : a) : args

export const withPlainConsole = <A, E, R>(program: Effect.Effect<A, E, R>) =>
  Effect.flatMap(Effect.console, (console) => {
    const out = strip(plain(process.stdout.isTTY))
    const err = strip(plain(process.stderr.isTTY))
    const patched: Console.Console = {
      ...console,
      log: (...args) => console.log(...out(args)),
      info: (...args) => console.info(...out(args)),
      error: (...args) => console.error(...err(args)),
      warn: (...args) => console.warn(...err(args))
    }
    return Effect.withConsole(program, patched)
  })
