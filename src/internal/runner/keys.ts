/**
 * Concurrency keys (`concurrency: { key, limit }` on a task): at most `limit` attempts with one
 * key run at once. A task whose key is full is held back by its supervisor without a permit and
 * queued here; a slot given back goes straight to the first task queued for that key (first
 * come, first served within a key), whose supervisor is told. Limits can be changed while it runs
 * (`runner.setConcurrencyLimit`) and are seen (`runner.concurrency()`). `LocalKeys` counts on
 * this runner; runners sharing PostgreSQL count in the database (`sharedKeys.ts`).
 */
import { Effect } from "effect"
import type { StorageError } from "../../Errors.js"
import { InvalidOptionError } from "../../Errors.js"
import type { TaskContext } from "../../TaskContext.js"
import type { TaskConcurrency, TaskRateLimit } from "../dag/task.js"
import { keyId, resolveKey } from "./keyOf.js"
import type { Rates, RateWaiter } from "./rates.js"

/** Who waits for a slot: told when one is handed over (it holds it from then on). */
export interface KeyWaiter {
  readonly granted: () => void
}

interface Group {
  readonly name: string
  readonly key: string
  /** The limit the task declares (a limit set at run time wins). */
  declared: number
  running: number
  readonly queue: Set<KeyWaiter>
}

/**
 * @since 0.6.0
 * @category models
 */
export interface ConcurrencyInfo {
  /** The limit's name: the task's id unless the task names it (`concurrency.name`). */
  readonly name: string
  readonly key: string
  readonly limit: number
  readonly running: number
  /** Tasks ready to run but held back by the limit. */
  readonly waiting: number
}

/** Concurrency keys' slots, runner-wide: counted here, or shared through the database. */
export interface Keys {
  /** A slot now (true), or `waiter` queued for one (false; `granted` is called when it has it). */
  take(name: string, key: string, declared: number, waiter: KeyWaiter): boolean
  /** A slot back (of the key's that this runner holds). */
  give(name: string, key: string): void
  /** The waiter no longer waits (its execution ended, was cancelled or paused). */
  leave(name: string, key: string, waiter: KeyWaiter): void
  /** Changes a limit at run time: for one key, or (no key) for every key of the name. */
  setLimit(name: string, key: string | undefined, limit: number): Effect.Effect<void, StorageError>
  /** Every key in use here (running or waiting), with its limit. */
  readonly info: Effect.Effect<Array<ConcurrencyInfo>, StorageError>
  /** Another runner gave a slot back or changed a limit: look again. */
  poke(): void
}

export class LocalKeys implements Keys {
  private readonly groups = new Map<string, Group>()
  /** Limits set at run time: by name and key, or by name for every key (`name\u0000`). */
  private readonly set = new Map<string, number>()

  private limitOf(group: Group): number {
    return this.set.get(keyId(group.name, group.key)) ?? this.set.get(`${group.name}\u0000*`) ?? group.declared
  }

  private group(name: string, key: string, declared: number): Group {
    const k = keyId(name, key)
    let group = this.groups.get(k)
    if (group === undefined) {
      group = { name, key, declared, running: 0, queue: new Set() }
      this.groups.set(k, group)
    } else group.declared = declared
    return group
  }

  take(name: string, key: string, declared: number, waiter: KeyWaiter): boolean {
    const group = this.group(name, key, declared)
    if (group.queue.size === 0 && group.running < this.limitOf(group)) {
      group.running++
      return true
    }
    group.queue.add(waiter)
    return false
  }

  give(name: string, key: string): void {
    const group = this.groups.get(keyId(name, key))
    if (group === undefined) return
    group.running--
    this.serve(group)
  }

  leave(name: string, key: string, waiter: KeyWaiter): void {
    const group = this.groups.get(keyId(name, key))
    if (group === undefined) return
    group.queue.delete(waiter)
    this.forget(group)
  }

  setLimit(name: string, key: string | undefined, limit: number): Effect.Effect<void> {
    return Effect.sync(() => {
      this.set.set(key === undefined ? `${name}\u0000*` : keyId(name, key), limit)
      for (const group of this.groups.values()) {
        if (group.name === name && (key === undefined || group.key === key)) this.serve(group)
      }
    })
  }

  readonly info: Effect.Effect<Array<ConcurrencyInfo>> = Effect.sync(() =>
    [...this.groups.values()].map((g) => ({
      name: g.name,
      key: g.key,
      limit: this.limitOf(g),
      running: g.running,
      waiting: g.queue.size
    }))
  )

  poke(): void {}

  private serve(group: Group): void {
    while (group.queue.size > 0 && group.running < this.limitOf(group)) {
      const first = group.queue.values().next().value!
      group.queue.delete(first)
      group.running++
      first.granted()
    }
    this.forget(group)
  }

  /** A key nobody runs or waits for is dropped (keys may be per customer: unbounded). */
  private forget(group: Group): void {
    if (group.running === 0 && group.queue.size === 0) this.groups.delete(keyId(group.name, group.key))
  }
}

/**
 * The admission of one execution's tasks (its supervisor's): `admit` is the state machine's —
 * the task's concurrency key's slot, then its rate limit's token (a task that has its slot keeps
 * it while it waits for a token); `release` follows each attempt's end, `releaseAll` a cancel or
 * the supervisor's end.
 */
export class ExecutionKeys {
  /** Slots held and waited for, by task (-1: the execution's own slot). */
  private readonly held = new Map<number, readonly [string, string]>()
  private readonly waiting = new Map<number, readonly [string, string, KeyWaiter]>()
  /** Tasks handed a token, not yet started; tasks waiting for one. */
  private readonly tokened = new Set<number>()
  private readonly rateWaiting = new Map<number, readonly [string, string, RateWaiter]>()

  constructor(
    private readonly limits: Keys,
    private readonly rates: Rates,
    private readonly tasks: ReadonlyArray<{
      readonly concurrency?: TaskConcurrency | undefined
      readonly rateLimit?: TaskRateLimit | undefined
    }>,
    private readonly contextOf: (task: number) => TaskContext,
    /** A slot or a token was handed to a held-back task (-1: the execution's own slot): readmitted. */
    private readonly granted: (task: number) => void,
    /** The workflow's concurrency key, computed from the input: the execution's own slot. */
    private readonly execution?: { readonly name: string; readonly key: string; readonly limit: number }
  ) {}

  readonly admit = (task: number): boolean => this.admitExecution() && this.admitKey(task) && this.admitRate(task)

  /**
   * The execution's own slot (workflow `concurrency`): held while it has tasks to run. Asked
   * before any permit is (an execution waiting for its key does not queue for permits).
   */
  admitExecution(): boolean {
    const spec = this.execution
    return spec === undefined || this.slot(-1, spec.name, spec.key, spec.limit)
  }

  /** The execution's own slot back (it is paused, cancelled or done, or its supervisor ends). */
  releaseExecution(): void {
    const waiting = this.waiting.get(-1)
    if (waiting !== undefined) this.limits.leave(waiting[0], waiting[1], waiting[2])
    this.waiting.delete(-1)
    this.release(-1)
  }

  private admitRate(task: number): boolean {
    const spec = this.tasks[task].rateLimit
    if (spec === undefined || this.tokened.delete(task)) return true
    if (this.rateWaiting.has(task)) return false
    const key = this.keyOf(spec, task)
    const waiter: RateWaiter = {
      granted: () => {
        this.rateWaiting.delete(task)
        this.tokened.add(task)
        this.granted(task)
      }
    }
    if (this.rates.take(spec.name, key, spec.limit, spec.perMs, waiter)) return true
    this.rateWaiting.set(task, [spec.name, key, waiter])
    return false
  }

  private admitKey(task: number): boolean {
    const spec = this.tasks[task].concurrency
    if (spec === undefined || this.held.has(task)) return true
    return !this.waiting.has(task) && this.slot(task, spec.name, this.keyOf(spec, task), spec.limit)
  }

  /** A slot held for `task` (-1: the execution), taken now, or waited for (false). */
  private slot(task: number, name: string, key: string, limit: number): boolean {
    if (this.held.has(task)) return true
    if (this.waiting.has(task)) return false
    const waiter: KeyWaiter = {
      granted: () => {
        this.waiting.delete(task)
        this.held.set(task, [name, key])
        this.granted(task)
      }
    }
    if (this.limits.take(name, key, limit, waiter)) {
      this.held.set(task, [name, key])
      return true
    }
    this.waiting.set(task, [name, key, waiter])
    return false
  }

  /** The task's attempt ended (or it is no longer held back): its slot goes back. */
  release(task: number): void {
    const slot = this.held.get(task)
    if (slot === undefined) return
    this.held.delete(task)
    this.limits.give(slot[0], slot[1])
  }

  releaseAll(): void {
    for (const [name, key, waiter] of this.waiting.values()) this.limits.leave(name, key, waiter)
    this.waiting.clear()
    for (const task of [...this.held.keys()]) this.release(task)
    for (const [name, key, waiter] of this.rateWaiting.values()) this.rates.leave(name, key, waiter)
    this.rateWaiting.clear()
    this.tokened.clear()
  }

  private keyOf(spec: TaskConcurrency | TaskRateLimit, task: number): string {
    return resolveKey(spec.key, () => this.contextOf(task))
  }
}

/** `runner.setConcurrencyLimit(name, limit)` or `(name, key, limit)`, checked. */
export const setConcurrencyLimit = (
  limits: Keys,
  name: unknown,
  keyOrLimit: unknown,
  limit?: unknown
): Effect.Effect<void, InvalidOptionError | StorageError> =>
  Effect.suspend((): Effect.Effect<void, InvalidOptionError | StorageError> => {
    const key = limit === undefined ? undefined : keyOrLimit
    const value = limit === undefined ? keyOrLimit : limit
    const bad = (detail: string) => Effect.fail(new InvalidOptionError({ option: "setConcurrencyLimit", detail }))
    if (typeof name !== "string" || name.length === 0) return bad("the name must be a non-empty string")
    if (key !== undefined && typeof key !== "string") return bad("the key must be a string")
    if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
      return bad(`the limit must be an integer ≥ 1, got ${String(value)}`)
    }
    return limits.setLimit(name, key, value)
  })
