/**
 * Options shared by the subcommands, and the parsing of values @effect/cli leaves as text
 * (durations, JSON, statuses), failing with a usage error (exit 2).
 */
import { Options } from "@effect/cli"
import { Duration, Effect, Option } from "effect"
import type { ExecutionStatus } from "../Status.js"
import { usage } from "./errors.js"
import { root } from "./root.js"

export const storageOption = Options.text("storage").pipe(
  Options.withPseudoName("url"),
  Options.withDescription("storage URL (sqlite://file.db, postgres://…); default: $SLUICE_STORAGE"),
  Options.optional
)

export const jsonOption = Options.boolean("json").pipe(
  Options.withDescription("machine-readable JSON on stdout, nothing else")
)

/** `--storage` given to the subcommand, else before it, else `$SLUICE_STORAGE`. */
export const storageUrl = (own: Option.Option<string>) =>
  Effect.gen(function*() {
    const global = yield* root
    const url = Option.orElse(own, () => global.storage).pipe(
      Option.orElse(() => Option.fromNullable(process.env.SLUICE_STORAGE).pipe(Option.filter((s) => s !== "")))
    )
    if (Option.isNone(url)) return yield* usage("no storage: give --storage <url> or set SLUICE_STORAGE")
    return url.value
  })

/** Whether `--json` was given to the subcommand or before it. */
export const wantsJson = (own: boolean) => Effect.map(root, (global) => own || global.json)

const units: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }

/** `90s`, `15m`, `1h`, `7d`, `2w`, or Effect's long form (`7 days`). */
export const parseDuration = (option: string, text: string) => {
  const short = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/.exec(text.trim())
  if (short !== null) return Effect.succeed(Duration.millis(Number(short[1]) * units[short[2]]))
  const long = Duration.decodeUnknown(text.trim())
  return Option.isSome(long) && Duration.isFinite(long.value)
    ? Effect.succeed(long.value)
    : Effect.fail(usage(`--${option}: not a duration: "${text}" (e.g. 90s, 15m, 1h, 7d)`))
}

/** JSON typed on the command line. */
export const parseJson = (what: string, text: string) =>
  Effect.try({
    try: () => JSON.parse(text) as unknown,
    catch: (e) => usage(`${what}: not JSON: ${(e as Error).message}`)
  })

/** A JSON object typed on the command line (an input). */
export const parseJsonObject = (what: string, text: string) =>
  Effect.flatMap(
    parseJson(what, text),
    (value) =>
      typeof value === "object" && value !== null && !Array.isArray(value)
        ? Effect.succeed(value as Record<string, unknown>)
        : Effect.fail(usage(`${what}: expected a JSON object`))
  )

export const executionStatuses: ReadonlyArray<ExecutionStatus> = [
  "Pending",
  "Running",
  "Paused",
  "Completed",
  "Failed",
  "Cancelled"
]

/** Status names, case-insensitive, repeated or comma-separated. */
export const parseStatuses = <S extends string>(given: ReadonlyArray<string>, allowed: ReadonlyArray<S>) =>
  Effect.forEach(given.flatMap((s) => s.split(",")).filter((s) => s !== ""), (s) => {
    const found = allowed.find((a) => a.toLowerCase() === s.trim().toLowerCase())
    return found === undefined
      ? Effect.fail(usage(`--status: unknown status "${s}" (one of ${allowed.join(", ")})`))
      : Effect.succeed(found)
  })
