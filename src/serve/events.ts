/**
 * Live events as server-sent events. The server takes the runner's `events` once and hands them
 * to every open stream (each subscribes before it says `ready`, so a client that waits for
 * `ready` misses nothing after it). Each stream holds at most `perStream` events for its client:
 * when a client falls behind, the oldest go, and the client is told how many before the next
 * ones (`event: dropped`, `data: {"count":n}`; a drop in the runner's own stream is told the same
 * way). A stream ends when its client goes away (the request's fiber is interrupted, its
 * subscription released) or when the server closes.
 */
import type { Scope } from "effect"
import { Chunk, Context, Deferred, Effect, Layer, Ref, Schedule, Schema, Stream } from "effect"
import { EventsDropped, ExecutionEvent } from "../ExecutionEvent.js"
import { DroppingBuffer } from "../internal/droppingBuffer.js"
import { Runner } from "../Runner.js"

const Item = Schema.Union(ExecutionEvent, EventsDropped)
type Item = typeof Item.Type
const encodeItem = Schema.encodeSync(Item)

/** How often a comment is sent on an idle stream, so that proxies and clients keep it open. */
const keepAlive = "15 seconds"
/** Events held for a stream that falls behind; beyond, the oldest go (and the client is told). */
const perStream = 4096

/** What a stream takes: events, and how many were dropped before them. */
type Taken = Item | { readonly _tag: "dropped"; readonly count: number }

/** One stream's events: bounded, the oldest dropped (and counted) when its client falls behind. */
export type Mailbox = DroppingBuffer<Item, Taken>

export interface EventHubService {
  /** Hands events to every open stream. */
  readonly publish: (items: ReadonlyArray<Item>) => Effect.Effect<void>
  /** A stream's mailbox, for as long as the scope lives. */
  readonly subscribe: Effect.Effect<Mailbox, never, Scope.Scope>
  /** Streams open now. */
  readonly open: Ref.Ref<number>
  /** Completed when the server closes: every stream ends. */
  readonly closing: Deferred.Deferred<void>
}

export class EventHub extends Context.Tag("sluice/serve/EventHub")<EventHub, EventHubService>() {}

/** A hub; each stream holds at most `capacity` events for its client. */
export const makeEventHub = (capacity: number = perStream): Effect.Effect<EventHubService> =>
  Effect.gen(function*() {
    const mailboxes = new Set<Mailbox>()
    return {
      publish: (items) => Effect.sync(() => mailboxes.forEach((m) => m.push(items))),
      subscribe: Effect.acquireRelease(
        Effect.sync(() => {
          const mailbox: Mailbox = new DroppingBuffer(capacity, (count): Taken => ({ _tag: "dropped", count }))
          mailboxes.add(mailbox)
          return mailbox
        }),
        (mailbox) => Effect.sync(() => void mailboxes.delete(mailbox))
      ),
      open: yield* Ref.make(0),
      closing: yield* Deferred.make<void>()
    }
  })

/** The hub, fed by the runner's events for as long as the layer lives. */
export const layerEventHub: Layer.Layer<EventHub, never, Runner> = Layer.scoped(
  EventHub,
  Effect.gen(function*() {
    const runner = yield* Runner
    const hub = yield* makeEventHub()
    yield* runner.events.pipe(
      Stream.runForEachChunk((chunk) => hub.publish(Chunk.toReadonlyArray(chunk))),
      Effect.forkScoped
    )
    return hub
  })
)

/** One server-sent event. */
export const formatEvent = (name: string, data: unknown): string => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`

const formatTaken = (taken: Taken): string =>
  taken._tag === "dropped" || taken._tag === "EventsDropped"
    ? formatEvent("dropped", { count: taken.count })
    : formatEvent(taken._tag, encodeItem(taken))

/** The events that `keep` accepts, as a text/event-stream body. */
export const eventStream = (
  hub: EventHubService,
  keep: (item: Item) => boolean
): Stream.Stream<Uint8Array> =>
  Stream.unwrapScoped(Effect.gen(function*() {
    const mailbox = yield* hub.subscribe
    yield* Effect.acquireRelease(Ref.update(hub.open, (n) => n + 1), () => Ref.update(hub.open, (n) => n - 1))
    const events = Stream.repeatEffectChunkOption(mailbox.take).pipe(
      Stream.filter((taken) => taken._tag === "dropped" || keep(taken)),
      Stream.map(formatTaken)
    )
    const comments = Stream.fromSchedule(Schedule.spaced(keepAlive)).pipe(Stream.as(": keep-alive\n\n"))
    return Stream.make(formatEvent("ready", {})).pipe(
      Stream.concat(Stream.merge(events, comments)),
      Stream.interruptWhen(Deferred.await(hub.closing)),
      Stream.encodeText
    )
  }))

/** Whether an item concerns one execution (a drop marker concerns every one). */
export const forExecution = (executionId: string) => (item: Item): boolean =>
  item._tag === "EventsDropped" || item.executionId === executionId
