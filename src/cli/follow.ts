/**
 * Waking up when an execution may have changed, for `--follow`, without a tight polling loop.
 *
 * - SQLite: the runner beside us commits to the file's write-ahead log; `fs.watch` on the
 *   `-wal` file (and the file itself, written at checkpoints) wakes us.
 * - PostgreSQL: the runners' own protocol: we say we follow the execution (`e <id>`, renewed
 *   every 2 s, as runners do), and its owner announces each commit of it (`c <id>`, `f <id>` at
 *   its end) on the database's LISTEN channel.
 * - Anything else (an in-process run): the caller's own wake-ups.
 *
 * A safety net re-reads every 2 s anyway: a watcher can miss changes (network file systems), a
 * notification can be lost while the listener reconnects, and running times should move on.
 */
import type { Scope } from "effect"
import { Duration, Effect, Queue, Schedule, Stream } from "effect"
import { watch } from "node:fs"
import { Storage } from "../Storage.js"
import { Target } from "./storage.js"

const SAFETY_NET = Duration.seconds(2)
/** Commits come in bursts: wait this long after a wake-up so that one read sees the burst. */
const SETTLE = Duration.millis(30)

const watchFile = (file: string, poke: () => void) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      try {
        return watch(file, { persistent: false }, poke)
      } catch {
        return undefined // no `-wal` yet: the file's own watcher and the safety net cover it
      }
    }),
    (watcher) => Effect.sync(() => watcher?.close())
  )

/**
 * An effect that returns once the execution may have changed (or the safety net's time passed).
 * `also`: further wake-ups (a submit handle's events).
 */
export const changes = (
  executionId: string,
  also: Stream.Stream<unknown> = Stream.empty
): Effect.Effect<Effect.Effect<void>, never, Scope.Scope | Target | Storage> =>
  Effect.gen(function*() {
    const target = yield* Target
    const storage = yield* Storage
    const wakeups = yield* Queue.sliding<void>(1)
    const poke = () => void Queue.unsafeOffer(wakeups, undefined)
    if (target.kind === "sqlite" && target.filename !== undefined) {
      yield* watchFile(target.filename, poke)
      yield* watchFile(`${target.filename}-wal`, poke)
    }
    const fleet = storage.fleet
    if (target.kind === "postgres" && fleet !== undefined) {
      yield* fleet.notifications.pipe(
        Stream.filter((m) => (m[0] === "c" || m[0] === "f") && m.slice(2).split(" ").includes(executionId)),
        Stream.runForEach(() => Effect.sync(poke)),
        Effect.ignore,
        Effect.forkScoped
      )
      yield* fleet.notify(`e ${executionId}`).pipe(
        Effect.ignore,
        Effect.repeat(Schedule.spaced(SAFETY_NET)),
        Effect.forkScoped
      )
    }
    yield* also.pipe(Stream.runForEach(() => Effect.sync(poke)), Effect.forkScoped)
    return Effect.raceFirst(Queue.take(wakeups), Effect.sleep(SAFETY_NET)).pipe(
      Effect.zipRight(Effect.sleep(SETTLE)),
      Effect.zipRight(Queue.takeAll(wakeups)),
      Effect.asVoid
    )
  })
