/** Storage URLs, as cloaca accepts them, plus `memory://` and PostgreSQL's `?schema=` (a tenant). */
import { Effect } from "effect"
import { InvalidStorageUrlError } from "../../Errors.js"
import { schemaPattern } from "./sql/tables.js"

export type StorageTarget =
  | { readonly _tag: "Memory" }
  | { readonly _tag: "Sqlite"; readonly filename: string }
  | { readonly _tag: "Postgres"; readonly url: string; readonly schema: string | undefined }

const postgres = (url: string, fail: (detail: string) => Effect.Effect<never, InvalidStorageUrlError>) => {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return fail("not a valid URL")
  }
  if (parsed.hostname === "") return fail("no host")
  const schema = parsed.searchParams.get("schema") ?? undefined
  if (schema !== undefined && !schemaPattern.test(schema)) {
    return fail(`schema "${schema}" must match ${schemaPattern.source}`)
  }
  // The driver does not know the parameter: it is sluice's.
  parsed.searchParams.delete("schema")
  return Effect.succeed({ _tag: "Postgres", url: parsed.toString(), schema } as const)
}

export const parseStorageUrl = (url: unknown): Effect.Effect<StorageTarget, InvalidStorageUrlError> =>
  Effect.suspend((): Effect.Effect<StorageTarget, InvalidStorageUrlError> => {
    const fail = (detail: string) => Effect.fail(new InvalidStorageUrlError({ url: String(url), detail }))
    if (typeof url !== "string" || url.trim() === "") return fail("expected a non-empty string")
    if (url === "memory://" || url === "memory:") return Effect.succeed({ _tag: "Memory" } as const)
    if (url.startsWith("postgres://") || url.startsWith("postgresql://")) return postgres(url, fail)
    const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(url)
    if (url.startsWith("sqlite:")) {
      // sqlite://x.db is relative, sqlite:///x.db absolute, sqlite://:memory: in memory.
      let rest = url.slice("sqlite:".length)
      if (rest.startsWith("//")) rest = rest.slice(2)
      const query = rest.indexOf("?")
      if (query >= 0) rest = rest.slice(0, query)
      if (rest === "") return fail("no file name (use sqlite://:memory: for an in-memory database)")
      return Effect.succeed({ _tag: "Sqlite", filename: rest } as const)
    }
    if (scheme !== null && scheme[1].length > 1) {
      return fail(`unsupported scheme "${scheme[1]}" (use sqlite://, postgres://, memory:// or a file path)`)
    }
    if (url === ":memory:") return Effect.succeed({ _tag: "Sqlite", filename: ":memory:" } as const)
    if (/[\0]/.test(url)) return fail("the path contains a NUL byte")
    return Effect.succeed({ _tag: "Sqlite", filename: url } as const)
  })
