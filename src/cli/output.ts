/**
 * Writing to stdout: lines of text, JSON (the only thing on stdout with `--json`), and a screen
 * that redraws in place on a terminal (`--follow`). Off a terminal, a redraw would be a new copy
 * of the whole view each time: there it prints the one summary line when it changes, and the
 * whole view once, at the end.
 */
import { Console, Effect } from "effect"

export const printLines = (lines: ReadonlyArray<string>) => Console.log(lines.join("\n"))

/**
 * JSON text with DEL and the C1 controls escaped too (`JSON.stringify` escapes only C0): the same
 * value once parsed, but nothing a terminal would act on if the output is shown raw. They can
 * only stand inside strings, where `\u009b` means the same character.
 */
export const toJson = (value: unknown, indent?: number) =>
  JSON.stringify(value, null, indent).replace(
    /[\x7f-\x9f]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`
  )

export const printJson = (value: unknown) => Console.log(toJson(value, 2))

/** One compact JSON value per line (a stream of views). */
export const printJsonLine = (value: unknown) => Console.log(toJson(value))

export interface Screen {
  /** Shows a frame; `summary` is what is printed off a terminal (when it changed). */
  readonly draw: (lines: ReadonlyArray<string>, summary: string) => Effect.Effect<void>
  /** The last frame: drawn in place on a terminal, printed whole otherwise. */
  readonly finish: (lines: ReadonlyArray<string>) => Effect.Effect<void>
}

export const makeScreen = (tty = process.stdout.isTTY === true): Screen => {
  let drawn = 0
  let lastSummary: string | undefined
  const redraw = (lines: ReadonlyArray<string>) =>
    Effect.sync(() => {
      // Back to the first line of the last frame, clear to the end of the screen, draw again.
      const clear = drawn > 0 ? `\x1b[${drawn}F\x1b[J` : ""
      process.stdout.write(`${clear}${lines.join("\n")}\n`)
      drawn = lines.length
    })
  return {
    draw: (lines, summary) =>
      tty ? redraw(lines) : Effect.suspend(() => {
        if (summary === lastSummary) return Effect.void
        lastSummary = summary
        return Console.log(summary)
      }),
    finish: (lines) => tty ? redraw(lines) : printLines(lines)
  }
}
