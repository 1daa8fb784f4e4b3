/** Storage URLs, as cloaca accepts them plus `memory://`. */
import { Effect } from "effect"
import { InvalidStorageUrlError } from "../../Errors.js"

export type StorageTarget =
  | { readonly _tag: "Memory" }
  | { readonly _tag: "Sqlite"; readonly filename: string }
  | { readonly _tag: "Postgres"; readonly url: string }

export const parseStorageUrl = (url: unknown): Effect.Effect<StorageTarget, InvalidStorageUrlError> =>
  Effect.suspend((): Effect.Effect<StorageTarget, InvalidStorageUrlError> => {
    const fail = (detail: string) => Effect.fail(new InvalidStorageUrlError({ url: String(url), detail }))
    if (typeof url !== "string" || url.trim() === "") return fail("expected a non-empty string")
    if (url === "memory://" || url === "memory:") return Effect.succeed({ _tag: "Memory" } as const)
    if (url.startsWith("postgres://") || url.startsWith("postgresql://")) {
      try {
        const parsed = new URL(url)
        if (parsed.hostname === "") return fail("no host")
      } catch {
        return fail("not a valid URL")
      }
      return Effect.succeed({ _tag: "Postgres", url } as const)
    }
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
