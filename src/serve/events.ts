/**
 * Live events as server-sent events. The server takes the runner's `events` once and hands them
 * to every open stream (each subscribes before it says `ready`, so a client that waits for
 * `ready` misses nothing after it). A stream ends when its client goes away (the request's fiber
 * is interrupted, its subscription released) or when the server closes.
 */
import { Context, Deferred, Effect, Layer, PubSub, Ref, Schedule, Schema, Stream } from "effect"
import { EventsDropped, ExecutionEvent } from "../ExecutionEvent.js"
import { Runner } from "../Runner.js"

const Item = Schema.Union(ExecutionEvent, EventsDropped)
type Item = typeof Item.Type
const encodeItem = Schema.encodeSync(Item)

/** How often a comment is sent on an idle stream, so that proxies and clients keep it open. */
const keepAlive = "15 seconds"
/** Events held for a stream that falls behind; beyond, the oldest go (the page reads the view again). */
const perStream = 4096

export interface EventHubService {
  readonly pubsub: PubSub.PubSub<Item>
  /** Streams open now. */
  readonly open: Ref.Ref<number>
  /** Completed when the server closes: every stream ends. */
  readonly closing: Deferred.Deferred<void>
}

export class EventHub extends Context.Tag("sluice/serve/EventHub")<EventHub, EventHubService>() {}

/** The hub, fed by the runner's events for as long as the layer lives. */
export const layerEventHub: Layer.Layer<EventHub, never, Runner> = Layer.scoped(
  EventHub,
  Effect.gen(function*() {
    const runner = yield* Runner
    const pubsub = yield* Effect.acquireRelease(PubSub.sliding<Item>(perStream), PubSub.shutdown)
    yield* runner.events.pipe(Stream.runForEach((e) => PubSub.publish(pubsub, e)), Effect.forkScoped)
    return { pubsub, open: yield* Ref.make(0), closing: yield* Deferred.make<void>() }
  })
)

/** One server-sent event. */
export const formatEvent = (name: string, data: unknown): string => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`

const formatItem = (item: Item): string => formatEvent(item._tag, encodeItem(item))

/** The events that `keep` accepts, as a text/event-stream body. */
export const eventStream = (
  hub: EventHubService,
  keep: (item: Item) => boolean
): Stream.Stream<Uint8Array> =>
  Stream.unwrapScoped(Effect.gen(function*() {
    const subscription = yield* PubSub.subscribe(hub.pubsub)
    yield* Effect.acquireRelease(Ref.update(hub.open, (n) => n + 1), () => Ref.update(hub.open, (n) => n - 1))
    const events = Stream.fromQueue(subscription).pipe(
      Stream.filter(keep),
      Stream.map(formatItem)
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
