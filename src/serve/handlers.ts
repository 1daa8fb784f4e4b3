/**
 * The API's handlers: each endpoint is one runner (or storage) operation, its errors mapped by
 * `errors.ts`, its answer shaped by `schemas.ts`.
 */
import { HttpApiBuilder, HttpServerResponse, OpenApi } from "@effect/platform"
import { Effect, Layer, Option, Ref } from "effect"
import { executionView } from "../operator/view.js"
import { Runner } from "../Runner.js"
import type { Footprint } from "../Storage.js"
import { Storage } from "../Storage.js"
import { SluiceApi } from "./api.js"
import type { RunnerError } from "./errors.js"
import { mapped, NotFound } from "./errors.js"
import { EventHub, eventStream, forExecution } from "./events.js"
import { levels } from "./layout.js"

const sseHeaders = {
  "cache-control": "no-cache, no-store",
  // A stream's connection is not reused: when the server ends the stream, the socket closes
  // (and closing the server does not wait for a kept-alive socket to time out).
  connection: "close",
  "x-accel-buffering": "no"
}

export const layerExecutions = HttpApiBuilder.group(SluiceApi, "executions", (handlers) =>
  Effect.gen(function*() {
    const runner = yield* Runner
    const storage = yield* Storage
    const provide = Effect.provideService(Runner, runner)
    const controlled = <E extends RunnerError>(id: string, op: (id: string) => Effect.Effect<void, E>) =>
      mapped(Effect.zipRight(op(id), runner.status(id))).pipe(Effect.map((status) => ({ executionId: id, status })))
    return handlers
      .handle("list", ({ urlParams }) =>
        Effect.gen(function*() {
          const limit = urlParams.limit ?? 50
          const offset = urlParams.offset ?? 0
          const rows = yield* mapped(runner.list({
            status: urlParams.status,
            workflowName: urlParams.workflow,
            limit: offset + limit + 1
          }))
          return {
            executions: rows.slice(offset, offset + limit),
            limit,
            offset,
            hasMore: rows.length > offset + limit
          }
        }))
      .handle("get", ({ path }) =>
        Effect.gen(function*() {
          const view = yield* mapped(executionView(path.id).pipe(provide, Effect.provideService(Storage, storage)))
          const level = levels(view.tasks)
          return {
            ...view.info,
            tasks: view.tasks.map((t) => ({ ...t, level: level.get(t.taskId) ?? 0 })),
            progress: view.progress
          }
        }))
      .handle("history", ({ path }) => mapped(runner.history(path.id)))
      .handle("attempts", ({ path }) => mapped(runner.attempts(path.id)))
      .handle("cancel", ({ path }) => controlled(path.id, runner.cancel))
      .handle("pause", ({ path }) => controlled(path.id, runner.pause))
      .handle("resume", ({ path }) => controlled(path.id, runner.resume))
      .handle("signal", ({ path, payload }) => controlled(path.id, (id) => runner.signal(id, path.signal, payload)))
      .handle(
        "prune",
        ({ payload }) =>
          mapped(runner.prune({ olderThan: payload.olderThan as never, status: payload.status })).pipe(
            Effect.map((pruned) => ({ pruned }))
          )
      )
  }))

export const layerSchedules = HttpApiBuilder.group(SluiceApi, "schedules", (handlers) =>
  Effect.gen(function*() {
    const runner = yield* Runner
    const one = (id: string) =>
      Effect.flatMap(mapped(runner.listSchedules()), (all) =>
        Option.match(
          Option.fromNullable(all.find((s) => s.id === id)),
          {
            onNone: () => Effect.fail(new NotFound({ message: `unknown schedule "${id}"` })),
            onSome: Effect.succeed
          }
        ))
    return handlers
      .handle("list", () => mapped(runner.listSchedules()))
      .handle("fires", ({ path, urlParams }) => mapped(runner.scheduleHistory(path.id, { limit: urlParams.limit })))
      .handle("pause", ({ path }) => Effect.zipRight(mapped(runner.pauseSchedule(path.id)), one(path.id)))
      .handle("resume", ({ path }) => Effect.zipRight(mapped(runner.resumeSchedule(path.id)), one(path.id)))
  }))

export const layerServerGroup = HttpApiBuilder.group(SluiceApi, "server", (handlers) =>
  Effect.gen(function*() {
    const runner = yield* Runner
    const storage = yield* Storage
    const hub = yield* EventHub
    const spec = OpenApi.fromApi(SluiceApi)
    // A storage that cannot say what it holds (no `footprint`) says nothing: counting would mean
    // reading every execution, and the page asks after every event.
    const unknown: Effect.Effect<Footprint> = Effect.succeed({ executions: {}, bytes: undefined })
    return handlers
      .handle("storage", () =>
        Effect.map(storage.footprint === undefined ? unknown : mapped(storage.footprint), (f) => ({
          executions: f.executions as Record<string, number>,
          total: storage.footprint === undefined
            ? undefined
            : Object.values(f.executions).reduce((a: number, b) => a + (b ?? 0), 0),
          bytes: f.bytes
        })))
      .handle("status", () => Effect.all({ streams: Ref.get(hub.open), workflows: runner.workflows }))
      .handle("openapi", () => Effect.succeed(spec))
  }))

export const layerEvents = HttpApiBuilder.group(SluiceApi, "events", (handlers) =>
  Effect.gen(function*() {
    const runner = yield* Runner
    const hub = yield* EventHub
    const respond = (keep: Parameters<typeof eventStream>[1]) =>
      HttpServerResponse.stream(eventStream(hub, keep), { contentType: "text/event-stream", headers: sseHeaders })
    return handlers
      .handle("all", () => Effect.succeed(respond(() => true)))
      .handle("execution", ({ path }) => Effect.as(mapped(runner.status(path.id)), respond(forExecution(path.id))))
  }))

/** Every group's handlers; needs the runner, its storage and the event hub. */
export const layerHandlers = Layer.mergeAll(layerExecutions, layerSchedules, layerServerGroup, layerEvents)
