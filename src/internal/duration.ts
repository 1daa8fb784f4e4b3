/**
 * The one place where a duration given as an option is read. Effect's `Duration.decodeUnknown`
 * turns `-5`, `"-5 millis"` and `NaN` into zero: here each of them is an error, so that no
 * option is ever silently defaulted.
 */
import { Duration, Either, Option } from "effect"

export interface DurationRules {
  /** Zero is refused (timeouts, leases). Default: zero is allowed. */
  readonly positive?: boolean | undefined
  /** Infinity is allowed. Default: refused. */
  readonly infinite?: boolean | undefined
}

const negative = (input: unknown): boolean => {
  if (typeof input === "number") return input < 0 || Number.isNaN(input)
  if (typeof input === "bigint") return input < 0n
  if (typeof input === "string") return /^\s*-/.test(input)
  if (Array.isArray(input)) return input.some((part) => typeof part === "number" && (part < 0 || Number.isNaN(part)))
  return false
}

/** A duration, or the reason it is not one (to be wrapped in the caller's own typed error). */
export const decodeDuration = (input: unknown, rules: DurationRules = {}): Either.Either<Duration.Duration, string> => {
  if (negative(input)) return Either.left(`must not be negative, got ${describe(input)}`)
  const decoded = Duration.decodeUnknown(input)
  if (Option.isNone(decoded)) return Either.left(`is not a duration: ${describe(input)}`)
  const duration = decoded.value
  if (rules.infinite !== true && !Duration.isFinite(duration)) return Either.left("must be finite")
  if (rules.positive === true && Duration.toMillis(duration) <= 0) {
    return Either.left(`must be positive, got ${describe(input)}`)
  }
  return Either.right(duration)
}

const describe = (input: unknown): string => {
  try {
    return JSON.stringify(input) ?? String(input)
  } catch {
    return String(input)
  }
}
