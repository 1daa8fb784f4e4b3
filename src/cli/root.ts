/**
 * The root command's own options (`sluice --storage … --json <subcommand>`): subcommands read
 * them through it, so it lives apart from the tree that lists the subcommands.
 */
import { Command, Options } from "@effect/cli"

export const root = Command.make("sluice", {
  storage: Options.text("storage").pipe(
    Options.withPseudoName("url"),
    Options.withDescription("storage URL (sqlite://file.db, postgres://…); default: $SLUICE_STORAGE"),
    Options.optional
  ),
  json: Options.boolean("json").pipe(Options.withDescription("machine-readable JSON on stdout"))
})
