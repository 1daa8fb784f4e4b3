/**
 * Loading a user's module (`.ts` or `.js`) and taking its workflows and schedules: named
 * exports (or the default export), single values or arrays, recognised by their shape (the type
 * ids the library stamps on them), so that any module of the user's code can be given as it is.
 *
 * `.ts` goes through tsx, registered for the whole process rather than with `tsImport`: a
 * namespaced import gives `sluice` a second instance, and the runner would not know the module's
 * workflows. Its absence is a clear error, not a stack.
 */
import { Effect } from "effect"
import { existsSync } from "node:fs"
import { register } from "node:module"
import { createRequire } from "node:module"
import { extname, resolve } from "node:path"
import { pathToFileURL } from "node:url"
import type { CronSchedule } from "../CronSchedule.js"
import type { PollTrigger } from "../PollTrigger.js"
import type { Workflow } from "../Workflow.js"
import { describeError, failure } from "./errors.js"

export interface Loaded {
  readonly path: string
  readonly workflows: ReadonlyArray<Workflow<any>>
  readonly schedules: ReadonlyArray<CronSchedule | PollTrigger<any>>
}

const has = (u: unknown, id: string): boolean => typeof u === "object" && u !== null && Symbol.for(id) in u

const isWorkflow = (u: unknown): u is Workflow<any> => has(u, "sluice/Workflow")
const isSchedule = (u: unknown): u is CronSchedule | PollTrigger<any> =>
  has(u, "sluice/CronSchedule") || has(u, "sluice/PollTrigger")

let registered: Promise<void> | undefined

/** tsx for `.ts` (from the command's install, else from the module's folder), then `sluice` pinned. */
const registerLoaders = (path: string, typescript: boolean) =>
  registered ??= (async () => {
    if (typescript) {
      const api = await import("tsx/esm/api").catch(() =>
        import(pathToFileURL(createRequire(path).resolve("tsx/esm/api")).href) as Promise<typeof import("tsx/esm/api")>
      ).catch(() => undefined)
      if (api === undefined) {
        throw new Error(`loading a .ts module needs tsx (npm install --save-dev tsx), or give the built .js file`)
      }
      api.register()
    }
    // Registered last, so it resolves `sluice` before tsx's tsconfig paths can.
    register("./hooks.js", import.meta.url, { data: { entry: new URL("../index.js", import.meta.url).href } })
  })()

/** The module's workflows and schedules; a module with neither is an error. */
export const loadModule = (given: string) =>
  Effect.gen(function*() {
    const path = resolve(given)
    if (!existsSync(path)) return yield* failure(`no module at ${given}`)
    const exports = yield* Effect.tryPromise({
      try: async () => {
        await registerLoaders(path, [".ts", ".mts", ".cts"].includes(extname(path)))
        return await import(pathToFileURL(path).href) as Record<string, unknown>
      },
      catch: (e) => failure(`cannot load ${given}: ${describeError(e)}`)
    })
    const values = Object.values(exports).flatMap((v) => Array.isArray(v) ? v : [v])
    const workflows = [...new Set(values.filter(isWorkflow))]
    const schedules = [...new Set(values.filter(isSchedule))]
    if (workflows.length === 0 && schedules.length === 0) {
      return yield* failure(`${given} exports no workflow (Workflow.make) and no schedule`)
    }
    return { path, workflows, schedules } satisfies Loaded
  })

/** The workflow named `name` in the module, or an error listing those it has. */
export const pickWorkflow = (loaded: Loaded, name: string) => {
  const found = loaded.workflows.filter((w) => w.name === name)
  return found.length > 0
    ? Effect.succeed(found[found.length - 1])
    : Effect.fail(
      failure(`no workflow "${name}" in ${loaded.path} (it has: ${loaded.workflows.map((w) => w.name).join(", ")})`)
    )
}
