/**
 * The HTTP API of `sluice serve`, as an `HttpApi`: one group per concern, every endpoint with
 * its Schemas and errors, so that the OpenAPI document (`/openapi.json`) says everything.
 */
import { HttpApi, HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { ExecutionEvent } from "../ExecutionEvent.js"
import { ExecutionStatus } from "../Status.js"
import { Authorization } from "./auth.js"
import { BadRequest, Conflict, NotFound, StorageFailure } from "./errors.js"
import {
  Attempt,
  ControlResult,
  ExecutionDetail,
  ExecutionPage,
  Footprint,
  PruneRequest,
  PruneResult,
  Schedule,
  ScheduleFire,
  ServerStatus
} from "./schemas.js"

const id = HttpApiSchema.param("id", Schema.String)
const signal = HttpApiSchema.param("signal", Schema.String)

const Limit = Schema.NumberFromString.pipe(Schema.int(), Schema.between(1, 1000))
const Offset = Schema.NumberFromString.pipe(Schema.int(), Schema.greaterThanOrEqualTo(0))

/** A text/event-stream body (server-sent events: `event: <tag>` and `data: <the event as JSON>`). */
export const EventStream = Schema.String.pipe(
  HttpApiSchema.withEncoding({ kind: "Text", contentType: "text/event-stream" })
).annotations({
  description: "Server-sent events: each event's `event:` is its _tag, `data:` the event as JSON " +
    "(ExecutionEvent's encoding: times in epoch milliseconds). A first `ready` event says the stream is " +
    "subscribed; comments keep the connection alive."
})

const control = <const Name extends "cancel" | "pause" | "resume">(name: Name) =>
  HttpApiEndpoint.post(name, `/api/executions/:id/${name}`)
    .setPath(Schema.Struct({ id: Schema.String }))
    .addSuccess(ControlResult)
    .addError(NotFound)

export class ExecutionsGroup extends HttpApiGroup.make("executions")
  .add(
    HttpApiEndpoint.get("list", "/api/executions")
      .setUrlParams(Schema.Struct({
        status: Schema.optional(ExecutionStatus),
        workflow: Schema.optional(Schema.String),
        limit: Schema.optional(Limit),
        offset: Schema.optional(Offset)
      }))
      .addSuccess(ExecutionPage)
  )
  .add(HttpApiEndpoint.get("get")`/api/executions/${id}`.addSuccess(ExecutionDetail).addError(NotFound))
  .add(
    HttpApiEndpoint.get("history")`/api/executions/${id}/history`
      .addSuccess(Schema.Array(ExecutionEvent))
      .addError(NotFound)
  )
  .add(
    HttpApiEndpoint.get("attempts")`/api/executions/${id}/attempts`.addSuccess(Schema.Array(Attempt)).addError(
      NotFound
    )
  )
  .add(control("cancel"))
  .add(control("pause"))
  .add(control("resume"))
  .add(
    HttpApiEndpoint.post("signal")`/api/executions/${id}/signals/${signal}`
      .setPayload(Schema.Unknown.annotations({ description: "The signal's payload: any JSON." }))
      .addSuccess(ControlResult)
      .addError(NotFound)
      .addError(BadRequest)
      .addError(Conflict)
  )
  .add(
    HttpApiEndpoint.post("prune", "/api/prune")
      .setPayload(PruneRequest)
      .addSuccess(PruneResult)
      .addError(BadRequest)
  )
  .addError(StorageFailure)
  .annotate(OpenApi.Description, "Executions: read, control, prune")
{}

export class SchedulesGroup extends HttpApiGroup.make("schedules")
  .add(HttpApiEndpoint.get("list", "/api/schedules").addSuccess(Schema.Array(Schedule)))
  .add(
    HttpApiEndpoint.get("fires")`/api/schedules/${id}/fires`
      .setUrlParams(Schema.Struct({ limit: Schema.optional(Limit) }))
      .addSuccess(Schema.Array(ScheduleFire))
      .addError(NotFound)
      .addError(BadRequest)
  )
  .add(
    HttpApiEndpoint.post("pause")`/api/schedules/${id}/pause`.addSuccess(Schedule).addError(NotFound).addError(
      BadRequest
    )
  )
  .add(
    HttpApiEndpoint.post("resume")`/api/schedules/${id}/resume`.addSuccess(Schedule).addError(NotFound).addError(
      BadRequest
    )
  )
  .addError(StorageFailure)
  .annotate(OpenApi.Description, "Cron schedules and poll triggers")
{}

export class ServerGroup extends HttpApiGroup.make("server")
  .add(HttpApiEndpoint.get("storage", "/api/storage").addSuccess(Footprint))
  .add(HttpApiEndpoint.get("status", "/api/server").addSuccess(ServerStatus))
  .add(
    HttpApiEndpoint.get("openapi", "/openapi.json").addSuccess(
      Schema.Unknown.annotations({ description: "This document" })
    )
  )
  .addError(StorageFailure)
  .annotate(OpenApi.Description, "What is stored; the server; this document")
{}

export class EventsGroup extends HttpApiGroup.make("events")
  .add(HttpApiEndpoint.get("all", "/api/events").addSuccess(EventStream))
  .add(HttpApiEndpoint.get("execution")`/api/executions/${id}/events`.addSuccess(EventStream).addError(NotFound))
  .addError(StorageFailure)
  .annotate(OpenApi.Description, "Live events (server-sent events)")
{}

export class SluiceApi extends HttpApi.make("sluice")
  .add(ExecutionsGroup)
  .add(SchedulesGroup)
  .add(ServerGroup)
  .add(EventsGroup)
  .middleware(Authorization)
  .annotate(OpenApi.Title, "sluice")
  .annotate(OpenApi.Description, "Durable DAG workflows: executions, schedules, live events")
{}
