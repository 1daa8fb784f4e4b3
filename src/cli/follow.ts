/**
 * Waking up when an execution may have changed, for `--follow`, without a tight polling loop.
 *
 * - SQLite: the runner beside us commits to the file's write-ahead log, and writes the file
 *   itself at checkpoints; `fs.watch` on their directory, for those two names, wakes us.
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
import type { FSWatcher } from "node:fs"
import { watch } from "node:fs"
import { basename, dirname } from "node:path"
import { Storage } from "../Storage.js"
import { Target } from "./storage.js"

const SAFETY_NET = Duration.seconds(2)
/** Commits come in bursts: wait this long after a wake-up so that one read sees the burst. */
const SETTLE = Duration.millis(30)

/**
 * Calls `poke` when the SQLite file `filename` or its `-wal` changes. The directory is watched,
 * not the files: a watch on a file follows its inode, and the `-wal` is deleted when the last
 * connection closes and created anew by the next runner (a restart), after which a watch on the
 * old one would never fire again; a watch on the directory sees the new file too (and a `-wal`
 * that does not exist yet). The `-shm` is left out: every read touches it, our own included.
 *
 * A watcher that fails (the directory removed, the watch limit reached, a network file system)
 * emits `'error'`, which would crash the process without a listener: it is closed then, and the
 * safety net's reads carry on alone. No watcher at all (`fs.watch` throws): the same.
 */
export const watchDatabase = (filename: string, poke: () => void): FSWatcher | undefined => {
  const names = new Set([basename(filename), `${basename(filename)}-wal`])
  try {
    const watcher = watch(dirname(filename), { persistent: false }, (_, name) => {
      // Some platforms do not say which file changed: wake up anyway.
      if (name === null || names.has(String(name))) poke()
    })
    watcher.on("error", () => {
      watcher.close()
      poke()
    })
    return watcher
  } catch {
    return undefined
  }
}

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
      const filename = target.filename
      yield* Effect.acquireRelease(
        Effect.sync(() => watchDatabase(filename, poke)),
        (watcher) => Effect.sync(() => watcher?.close())
      )
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
