/**
 * Following an execution until it ends (`show --follow`, `run --follow`): read its view, draw it,
 * wait for a change, again. With `--json`, one view per line instead of a screen, and only when
 * it differs from the last one printed (the safety net wakes us with nothing new every 2 s).
 */
import type { Stream } from "effect"
import { Console, Effect } from "effect"
import { executionView } from "../operator/view.js"
import { isFinal } from "../Status.js"
import { changes } from "./follow.js"
import { makeScreen, toJson } from "./output.js"
import type { ShowOptions } from "./render/execution.js"
import { renderExecution } from "./render/execution.js"
import { progressLine } from "./render/progress.js"
import { stdoutStyle } from "./render/style.js"

/** Draws the execution until it is finished; returns its last view. */
export const followExecution = (
  executionId: string,
  options: ShowOptions & { readonly json: boolean; readonly also?: Stream.Stream<unknown> | undefined }
) =>
  Effect.scoped(Effect.gen(function*() {
    const changed = yield* changes(executionId, options.also)
    const screen = makeScreen()
    let printed: string | undefined
    while (true) {
      const view = yield* executionView(executionId)
      const done = isFinal(view.info.status)
      const style = stdoutStyle()
      if (options.json) {
        const line = toJson(view)
        if (line !== printed) yield* Console.log(line)
        printed = line
      } else {
        const lines = renderExecution(style, view, Date.now(), options)
        const summary = `${view.info.status}  ${
          progressLine({ ...style, colour: false }, view.progress.finished, view.progress.total)
        }`
        yield* done ? screen.finish(lines) : screen.draw(lines, summary)
      }
      if (done) return view
      yield* changed
    }
  }))
