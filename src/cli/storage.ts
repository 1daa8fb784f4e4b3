/**
 * Opening the storage a command works on, with a runner on it.
 *
 * A SQLite file is held by its runner (one writer per file). Read commands open it read-write
 * when nobody holds it, and read-only beside the runner that does; commands that write (control,
 * prune, schedules) cannot share it and say how to reach that runner instead. On PostgreSQL the
 * command's runner is `worker: false`: it runs nothing, and its controls reach the runner that
 * owns an execution through the fleet. A command's runner never recovers executions: only `run`
 * and `serve` run any.
 */
import { Context, Effect, Layer } from "effect"
import { existsSync } from "node:fs"
import type { CronSchedule } from "../CronSchedule.js"
import type { InvalidOptionError, InvalidStorageUrlError, StorageError } from "../Errors.js"
import { parseStorageUrl } from "../internal/storage/url.js"
import type { PollTrigger } from "../PollTrigger.js"
import { Runner } from "../Runner.js"
import { Storage } from "../Storage.js"
import type { Workflow } from "../Workflow.js"
import type { CliError } from "./errors.js"
import { describeError, failure, usage } from "./errors.js"

/** What a command needs of the storage: to read it, to write it, or to run executions on it. */
export type Access = "read" | "write" | "work"

/** The storage as opened: what following its changes needs to know. */
export interface Opened {
  readonly kind: "sqlite" | "postgres" | "memory"
  /** The SQLite file (none for `:memory:`). */
  readonly filename: string | undefined
  readonly readOnly: boolean
}

export class Target extends Context.Tag("sluice/cli/Target")<Target, Opened>() {}

type StorageFailure = StorageError | InvalidStorageUrlError | InvalidOptionError | CliError

const held = (error: unknown) => describeError(error).includes("in use by another sluice runner")

const heldMessage = (filename: string, what: string) =>
  `${filename} is held by a running sluice runner (one writer per SQLite file): ${what}; ` +
  `do it through that process (its Runner API, or the HTTP API of \`sluice serve\` running there)`

export interface RunnerOptions {
  readonly workflows?: ReadonlyArray<Workflow<any>> | undefined
  readonly schedules?: ReadonlyArray<CronSchedule | PollTrigger<any>> | undefined
  /** `work` only: take up the unfinished executions of these workflows (default true). */
  readonly recover?: boolean | undefined
}

/** The storage at `url` and a runner on it, for a command with this access. */
export const open = (url: string, access: Access, options: RunnerOptions = {}) =>
  Layer.unwrapEffect(Effect.gen(function*() {
    const target = yield* Effect.mapError(parseStorageUrl(url), (e) => usage(e.message))
    const sqliteFile = target._tag === "Sqlite" && target.filename !== ":memory:" ? target.filename : undefined
    // Reading or controlling a file that is not there is a typo: opening would create it.
    if (sqliteFile !== undefined && access !== "work" && !existsSync(sqliteFile)) {
      return yield* failure(`no database file at ${sqliteFile}`)
    }
    const readWrite = Storage.layerFromUrl(url)
    const storage = sqliteFile === undefined ?
      readWrite :
      Layer.catchAll(readWrite, (error): Layer.Layer<Storage, StorageFailure> => {
        if (!held(error)) return Layer.fail(error)
        switch (access) {
          case "read":
            return Storage.layerSqlite({ filename: sqliteFile, readOnly: true })
          case "write":
            return Layer.fail(failure(heldMessage(sqliteFile, "this command writes to it")))
          case "work":
            return Layer.fail(
              failure(
                heldMessage(sqliteFile, "a second runner cannot run on it").replace(/; do it.*$/, "") +
                  "; stop that runner, or use PostgreSQL, where runners share a database"
              )
            )
        }
      })
    const postgres = target._tag === "Postgres"
    const runner = Runner.layer({
      workflows: (options.workflows ?? []) as ReadonlyArray<Workflow<never>>,
      schedules: options.schedules as ReadonlyArray<CronSchedule | PollTrigger<never>> | undefined,
      recover: access === "work" ? options.recover : false,
      worker: postgres && access !== "work" ? false : undefined
    })
    const opened = Layer.effect(
      Target,
      Effect.map(Storage, (s): Opened => ({
        kind: postgres ? "postgres" : target._tag === "Memory" ? "memory" : "sqlite",
        filename: sqliteFile,
        readOnly: s.readOnly
      }))
    )
    return Layer.merge(runner, opened).pipe(Layer.provideMerge(storage))
  }))
