/** `sluice show <id>`: one execution, its tasks, what they wrote; `--follow` redraws it until it ends. */
import { Args, Command, Options } from "@effect/cli"
import { Effect } from "effect"
import { executionView } from "../../operator/view.js"
import { followExecution } from "../live.js"
import { jsonOption, storageOption, wantsJson } from "../options.js"
import { printJson, printLines } from "../output.js"
import { renderExecution } from "../render/execution.js"
import { stdoutStyle } from "../render/style.js"
import { withRunner } from "./shared.js"

const options = {
  storage: storageOption,
  json: jsonOption,
  follow: Options.boolean("follow").pipe(
    Options.withAlias("f"),
    Options.withDescription("redraw as it changes, until it ends")
  ),
  timeline: Options.boolean("timeline").pipe(
    Options.withDescription("each attempt as a bar on a time axis, by runner")
  ),
  id: Args.text({ name: "execution-id" })
}

export const show = Command.make("show", options, (o) =>
  Effect.gen(function*() {
    const json = yield* wantsJson(o.json)
    yield* withRunner(
      o.storage,
      "read",
      o.follow
        ? Effect.asVoid(followExecution(o.id, { json, timeline: o.timeline }))
        : Effect.flatMap(
          executionView(o.id),
          (view) =>
            json
              ? printJson(view)
              : printLines(renderExecution(stdoutStyle(), view, Date.now(), { timeline: o.timeline }))
        )
    )
  })).pipe(Command.withDescription("one execution: its tasks, attempts, errors, what each task wrote"))
