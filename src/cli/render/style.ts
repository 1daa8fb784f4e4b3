/**
 * How output looks: its width (80 columns at most: it must read in any terminal and in a log)
 * and its colours (only on a terminal, and never with NO_COLOR), plus the formatting of times,
 * durations and values every view shares. Renderers take a `Style`, so they are pure.
 */

export interface Style {
  readonly width: number
  readonly colour: boolean
}

export const MAX_WIDTH = 80

/** The style of this process's stdout. */
export const stdoutStyle = (): Style => ({
  width: Math.min(MAX_WIDTH, process.stdout.isTTY === true ? process.stdout.columns || MAX_WIDTH : MAX_WIDTH),
  colour: process.stdout.isTTY === true && (process.env.NO_COLOR ?? "") === ""
})

const sgr = (code: string) => (style: Style, text: string) => style.colour ? `\x1b[${code}m${text}\x1b[0m` : text

export const bold = sgr("1")
export const dim = sgr("2")
export const red = sgr("31")
export const green = sgr("32")
export const yellow = sgr("33")
export const blue = sgr("34")
export const cyan = sgr("36")

/** A status in its colour: green done, red failed, yellow waiting or paused, cyan running. */
export const paintStatus = (style: Style, status: string): string => {
  switch (status) {
    case "Completed":
      return green(style, status)
    case "Failed":
    case "Interrupted":
      return red(style, status)
    case "Running":
      return cyan(style, status)
    case "Paused":
    case "Waiting":
    case "Retrying":
    case "Cancelled":
      return yellow(style, status)
    default:
      return dim(style, status)
  }
}

/** At most `max` characters, cut with an ellipsis. */
export const truncate = (text: string, max: number): string =>
  max <= 0 ? "" : text.length <= max ? text : max === 1 ? "…" : `${text.slice(0, max - 1)}…`

const CONTROL = /[\x00-\x1f\x7f-\x9f]/g

/**
 * Text that came from storage (an error, a reason, a key, a runner id, a name), made harmless
 * for a terminal: every C0 and C1 control character, ESC among them, is shown instead of sent —
 * C0 and DEL as their Unicode control pictures (`\x1b` as `␛`, a newline as `␊`), C1 as
 * `\u009b` text. A task's error could otherwise retitle the terminal, clear it, or worse.
 * Multi-line text is made one line first (`oneLine`), so newlines read as spaces there.
 */
export const safe = (text: string): string =>
  text.replace(CONTROL, (c) => {
    const code = c.charCodeAt(0)
    if (code < 0x20) return String.fromCharCode(0x2400 + code)
    return code === 0x7f ? "\u2421" : `\\u${code.toString(16).padStart(4, "0")}`
  })

/** One line, safe to print (see `safe`): newlines and tabs shown as spaces. */
export const oneLine = (text: string): string => safe(text.replace(/\s+/g, " ").trim())

export const formatDuration = (ms: number | undefined): string => {
  if (ms === undefined) return "-"
  if (ms < 1_000) return `${Math.round(ms)}ms`
  if (ms < 60_000) return `${(ms / 1_000).toFixed(ms < 10_000 ? 2 : 1)}s`
  const pad = (n: number) => String(Math.floor(n)).padStart(2, "0")
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)}m${pad((ms % 60_000) / 1_000)}s`
  if (ms < 86_400_000) return `${Math.floor(ms / 3_600_000)}h${pad((ms % 3_600_000) / 60_000)}m`
  return `${Math.floor(ms / 86_400_000)}d${pad((ms % 86_400_000) / 3_600_000)}h`
}

const pad2 = (n: number) => String(n).padStart(2, "0")

/** Local time, `2026-12-05 15:40:01`; `short` drops the year. */
export const formatTime = (date: Date | undefined, short = false): string => {
  if (date === undefined) return "-"
  const day = `${pad2(date.getMonth() + 1)}-${pad2(date.getDate())}`
  const time = `${pad2(date.getHours())}:${pad2(date.getMinutes())}:${pad2(date.getSeconds())}`
  return short ? `${day} ${time}` : `${date.getFullYear()}-${day} ${time}`
}

/** A JSON value on one line, cut to `max`. */
export const formatValue = (value: unknown, max: number): string => {
  let text: string
  try {
    text = JSON.stringify(value) ?? String(value)
  } catch {
    text = String(value)
  }
  return truncate(oneLine(text), max)
}
