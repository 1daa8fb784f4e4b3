/**
 * Which storage errors are worth trying again, read off the drivers' errors: a database that is
 * unreachable or restarting (PostgreSQL connection errors and its "shutting down" codes), one
 * that is busy (SQLite's locks, PostgreSQL's serialization failures and deadlocks), one that is
 * full (SQLite's SQLITE_FULL and I/O errors, PostgreSQL's disk-full code). Anything else (a
 * constraint violated, a value too large, a malformed statement) stands.
 */
import { StorageError } from "../../Errors.js"

type Transient = StorageError["transient"]

const codesOf = (cause: unknown): Array<string> => {
  const out: Array<string> = []
  let current = cause
  for (let depth = 0; depth < 6 && typeof current === "object" && current !== null; depth++) {
    const { code, errors } = current as { code?: unknown; errors?: unknown }
    if (typeof code === "string") out.push(code)
    if (Array.isArray(errors)) { for (const e of errors) out.push(...codesOf(e)) }
    current = (current as { cause?: unknown }).cause
  }
  return out
}

const textOf = (cause: unknown): string => {
  const parts: Array<string> = []
  let current = cause
  for (let depth = 0; depth < 6 && current !== undefined && current !== null; depth++) {
    try {
      parts.push(current instanceof Error ? current.message : String(current))
    } catch {
      break
    }
    current = typeof current === "object" ? (current as { cause?: unknown }).cause : undefined
  }
  return parts.join(" ")
}

export const classify = (cause: unknown): Transient => {
  const codes = codesOf(cause)
  const has = (predicate: (code: string) => boolean) => codes.some(predicate)
  if (has((c) => c === "SQLITE_FULL" || c.startsWith("SQLITE_IOERR") || c === "53100")) return "full"
  if (has((c) => c.startsWith("SQLITE_BUSY") || c.startsWith("SQLITE_LOCKED") || c === "40001" || c === "40P01")) {
    return "busy"
  }
  if (
    has((c) =>
      c.startsWith("08") || c === "57P01" || c === "57P02" || c === "57P03" || c === "53300" ||
      c === "ECONNREFUSED" || c === "ECONNRESET" || c === "EPIPE" || c === "ETIMEDOUT" || c === "EHOSTUNREACH"
    ) ||
    /Connection terminated|connection error|terminating connection|the database system is (starting up|shutting down)/i
      .test(textOf(cause))
  ) {
    return "unavailable"
  }
  return undefined
}

/** A storage error, classified. */
export const storageError = (operation: string) => (cause: unknown): StorageError =>
  new StorageError({ operation, cause, transient: classify(cause) })
