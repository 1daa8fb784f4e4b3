/** What the subcommands share: a runner on the storage the user named, for the access they need. */
import type { Effect, Option } from "effect"
import { Effect as E } from "effect"
import { storageUrl } from "../options.js"
import type { Access, RunnerOptions } from "../storage.js"
import { open } from "../storage.js"

/** Runs `body` with a runner on the storage of `--storage` (or `$SLUICE_STORAGE`). */
export const withRunner = <A, E, R>(
  given: Option.Option<string>,
  access: Access,
  body: Effect.Effect<A, E, R>,
  options?: RunnerOptions
) => E.flatMap(storageUrl(given), (url) => E.provide(body, open(url, access, options)))
