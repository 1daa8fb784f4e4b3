/**
 * A module-resolution hook (Node's `module.register`) that makes `sluice`, imported by a user's
 * module, the package this command runs from: one instance, so the `Runner` tag, the workflow
 * values and the storage are the command's own. A project's `tsconfig` paths or another copy of
 * the package would otherwise give a second instance, whose tags this command cannot see.
 */
import type { InitializeHook, ResolveHook } from "node:module"

let entry: string | undefined

export const initialize: InitializeHook<{ readonly entry: string }> = (data) => {
  entry = data.entry
}

export const resolve: ResolveHook = (specifier, context, next) =>
  // Resolved by the rest of the chain: under tsx, the sources' `.js` names map to `.ts`.
  specifier === "sluice" && entry !== undefined ? next(entry, context) : next(specifier, context)
