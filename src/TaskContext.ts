/**
 * What a task body receives: the context it reads and writes, and who it is (task, execution,
 * attempt). Values are JSON; writes are checked at `set`, so a bad value fails where it is made.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import * as ContextKey from "./ContextKey.js"
import { ContextDecodeError, ContextValueError, TaskOutputError } from "./Errors.js"
import type { Graph } from "./internal/dag/graph.js"
import { isUpstream } from "./internal/dag/graph.js"
import type { Json, JsonObject, SizeLimits } from "./internal/dag/json.js"
import { defaultLimits, setOwn, toFrozenJsonSized } from "./internal/dag/json.js"

/**
 * @since 0.1.0
 * @category models
 */
export type Key<A = unknown> = string | ContextKey.ContextKey<A>

/**
 * A task's typed output (`Task.make({ output: schema })`): the context key it is stored under —
 * the task's id, with the schema — and, as a phantom, the type it decodes to.
 *
 * @since 0.5.0
 * @category models
 */
export interface TaskOutput<out A> {
  readonly key: ContextKey.ContextKey<any>
  readonly _A: (_: never) => A
}

/**
 * What `ctx.output` reads: a task (its id, its typed output).
 *
 * @since 0.5.0
 * @category models
 */
export interface OutputSource<out A = unknown> {
  readonly id: string
  readonly output: TaskOutput<A> | undefined
}

/**
 * The type of a task's output.
 *
 * @since 0.5.0
 * @category models
 */
export type OutputOf<T> = T extends OutputSource<infer A> ? A : never

/**
 * The context of one task attempt.
 *
 * - `get` of a missing key is `undefined`; a typed get decodes with the key's schema and throws
 *   `ContextDecodeError` when the stored value does not decode (failing the attempt).
 * - `set` checks the value is JSON (after encoding, for a typed key) and throws
 *   `ContextValueError` otherwise, storing nothing.
 * - Values read back are frozen: they are shared with the tasks running beside this one. Copy
 *   one before changing it in place.
 *
 * @since 0.1.0
 * @category models
 */
export interface TaskContext<Upstream extends string = string> {
  readonly taskId: string
  readonly executionId: string
  readonly workflowName: string
  /** 1 for the first attempt, 2 for the first retry, … */
  readonly attempt: number
  /** Stable across attempts and restarts: `executionId/taskId`. */
  readonly idempotencyKey: string
  /** Aborted when the attempt is interrupted (timeout, cancel, shutdown): pass it to fetch & co. */
  readonly signal: AbortSignal
  get<A>(key: ContextKey.ContextKey<A>): A | undefined
  get(key: string): unknown
  set<A>(key: ContextKey.ContextKey<A>, value: A): void
  set(key: string, value: unknown): void
  has(key: Key<any>): boolean
  delete(key: Key<any>): boolean
  keys(): ReadonlyArray<string>
  /** The whole context as it stands, as a plain (frozen) object. */
  toJSON(): JsonObject
  /**
   * The output of an upstream task made with `output`, decoded with its schema. Only tasks
   * upstream of this one type-check (where the dependencies are task values); otherwise it throws
   * `TaskOutputError` (also when the task did not complete), or `ContextDecodeError`.
   */
  output<T extends OutputSource<any> & { readonly id: Upstream }>(task: T): OutputOf<T>
}

const keyName = (key: Key<any>): string => {
  if (typeof key === "string") {
    if (key.length === 0) throw new ContextValueError({ key, path: "", detail: "keys must be non-empty strings" })
    return key
  }
  return key.name
}

/** The changes an attempt made: the keys set (to frozen JSON) and the keys deleted. */
export interface ContextDelta {
  readonly set: JsonObject
  readonly deleted: ReadonlyArray<string>
}

/** @internal */
export const emptyDelta: ContextDelta = Object.freeze({ set: Object.freeze({}), deleted: Object.freeze([]) })

/** @internal */
export const applyDelta = (input: JsonObject, delta: ContextDelta): JsonObject => {
  const setKeys = Object.keys(delta.set)
  if (setKeys.length === 0 && delta.deleted.length === 0) return input
  const out: Record<string, Json> = { ...input }
  for (const k of delta.deleted) delete out[k]
  for (const k of setKeys) setOwn(out, k, delta.set[k])
  return Object.freeze(out)
}

/** @internal */
export interface AttemptMeta {
  readonly taskId: string
  readonly executionId: string
  readonly workflowName: string
  readonly attempt: number
  readonly limits?: SizeLimits | undefined
  /** The workflow's graph and this task's place in it: `ctx.output` reads only upstream tasks. */
  readonly graph?: Graph | undefined
  readonly index?: number | undefined
}

/** @internal The one implementation of `TaskContext`: the input plus a log of writes. */
export class TaskContextImpl implements TaskContext {
  readonly taskId: string
  readonly executionId: string
  readonly workflowName: string
  readonly attempt: number
  /** Made on first use: most bodies never ask for it, and an AbortController is not free. */
  private controller: AbortController | undefined
  private aborted = false
  /** undefined marks a deleted key. */
  private readonly writes = new Map<string, Json | undefined>()
  /** The estimated JSON size of each value set, and their total. */
  private readonly sizes = new Map<string, number>()
  private written = 0
  private readonly limits: SizeLimits
  private readonly graph: Graph | undefined
  private readonly index: number

  constructor(private readonly input: JsonObject, meta: AttemptMeta) {
    this.graph = meta.graph
    this.index = meta.index ?? -1
    this.taskId = meta.taskId
    this.executionId = meta.executionId
    this.workflowName = meta.workflowName
    this.attempt = meta.attempt
    this.limits = meta.limits ?? defaultLimits
  }

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController()
      if (this.aborted) this.controller.abort()
    }
    return this.controller.signal
  }

  /** Called when the attempt ends or is interrupted. */
  abort(): void {
    this.aborted = true
    this.controller?.abort()
  }

  get idempotencyKey(): string {
    return `${this.executionId}/${this.taskId}`
  }

  private raw(name: string): Json | undefined {
    if (this.writes.has(name)) return this.writes.get(name)
    return Object.prototype.hasOwnProperty.call(this.input, name) ? this.input[name] : undefined
  }

  get(key: Key<any>): any {
    const name = keyName(key)
    const value = this.raw(name)
    if (value === undefined || typeof key === "string") return value
    const decoded = key.decode(value)
    if (Either.isLeft(decoded)) {
      throw new ContextDecodeError({ key: name, detail: ContextKey.formatError(decoded.left) })
    }
    return decoded.right
  }

  set(key: Key<any>, value: unknown): void {
    const name = keyName(key)
    let encoded = value
    if (typeof key !== "string") {
      const result = key.encode(value)
      if (Either.isLeft(result)) {
        throw new ContextValueError({ key: name, path: "", detail: ContextKey.formatError(result.left) })
      }
      encoded = result.right
    }
    const checked = toFrozenJsonSized(name, encoded, this.limits.maxValueBytes)
    const written = this.written - (this.sizes.get(name) ?? 0) + checked.bytes
    if (written > this.limits.maxOutputBytes) {
      throw new ContextValueError({
        key: name,
        path: "",
        detail:
          `the attempt's changes would pass ${this.limits.maxOutputBytes} bytes of JSON (the limit for one attempt)`
      })
    }
    this.written = written
    this.sizes.set(name, checked.bytes)
    this.writes.set(name, checked.value)
  }

  output(task: OutputSource<unknown>): any {
    const fail = (reason: TaskOutputError["reason"], detail: string): never => {
      throw new TaskOutputError({ taskId: this.taskId, output: String(task?.id), reason, detail })
    }
    if (task?.output === undefined) return fail("NoSchema", "it was made without an output schema")
    if (this.graph !== undefined && !isUpstream(this.graph, this.index, task.id)) {
      return fail("NotUpstream", `"${task.id}" is not upstream of "${this.taskId}"`)
    }
    if (!this.has(task.id)) return fail("Missing", "it has no output (it did not complete, or it was deleted)")
    return this.get(task.output.key)
  }

  has(key: Key<any>): boolean {
    return this.raw(keyName(key)) !== undefined
  }

  delete(key: Key<any>): boolean {
    const name = keyName(key)
    const existed = this.has(name)
    this.writes.set(name, undefined)
    this.written -= this.sizes.get(name) ?? 0
    this.sizes.delete(name)
    return existed
  }

  keys(): ReadonlyArray<string> {
    return Object.keys(this.toJSON())
  }

  toJSON(): JsonObject {
    return applyDelta(this.input, this.delta())
  }

  /** What this attempt changed. */
  delta(): ContextDelta {
    if (this.writes.size === 0) return emptyDelta
    const set: Record<string, Json> = {}
    const deleted: Array<string> = []
    for (const [k, v] of this.writes) {
      if (v === undefined) {
        if (Object.prototype.hasOwnProperty.call(this.input, k)) deleted.push(k)
      } else setOwn(set, k, v)
    }
    return { set: Object.freeze(set), deleted: Object.freeze(deleted) }
  }
}
