/**
 * The workflows a runner knows, each with the services its task bodies need (captured when it
 * was registered, so that the types checked them), and the DAG of any stored execution.
 */
import type { Context } from "effect"
import { Effect, Option } from "effect"
import { StorageError, WorkflowDefinitionError, WorkflowNotFoundError } from "../../Errors.js"
import { TaskContextImpl } from "../../TaskContext.js"
import type { Workflow } from "../../Workflow.js"
import { toDefinition } from "../../Workflow.js"
import type { WorkflowResult } from "../../WorkflowResult.js"
import { compile } from "../dag/graph.js"
import { deepFreeze, toFrozenJson } from "../dag/json.js"
import type { AttemptOutcome, Dag } from "../execution/model.js"
import type { TaskRow } from "../storage/journal.js"
import type { ExecutionRow, StorageService } from "../storage/service.js"
import type { QueuedTask } from "../storage/service.js"
import type { AttemptInput } from "./attempt.js"
import { errorMessage, runAttempt } from "./attempt.js"
import type { ItemOutcome, OfferedItem } from "./map.js"
import { itemAttempt, itemId } from "./map.js"
import type { Active, RuntimeEnv, SuperviseOptions } from "./supervisor.js"
import { supervise } from "./supervisor.js"

/** A workflow with what it takes to run it: its supervisor, given the services it needs. */
export interface Runnable {
  readonly workflow: Workflow<unknown>
  /** Runs its supervisor: the result, or undefined when it parked the execution. */
  readonly run: (active: Active, options: SuperviseOptions) => Effect.Effect<WorkflowResult | undefined, StorageError>
  /** One attempt of one of its tasks, for another runner (an offered attempt). */
  readonly runTask: (attempt: Omit<AttemptInput<unknown>, "task">, task: number) => Effect.Effect<AttemptOutcome>
  /** One attempt of one item of a map task, for another runner (an offered item attempt). */
  readonly runItem: (offered: QueuedTask, task: number, index: number) => Effect.Effect<ItemOutcome>
}

export const runnable = <R>(env: RuntimeEnv, workflow: Workflow<R>, services: Context.Context<R>): Runnable => ({
  workflow,
  run: (active, options) => Effect.provide(supervise(env, workflow, active, options), services),
  runTask: (attempt, task) =>
    Effect.flatMap(Effect.clock, (clock) => {
      const begun = runAttempt({ ...attempt, task: workflow.tasks[task], graph: workflow.graph, index: task }, clock)
      return Effect.isEffect(begun) ? Effect.provide(begun, services) : Effect.succeed(begun)
    }),
  runItem: (offered, task, index) => {
    const wait = workflow.tasks[task].wait
    const taskId = workflow.graph.ids[task]
    return Effect.suspend(() => {
      if (wait?._tag !== "Map") return Effect.fail(new Error(`task "${taskId}" is not a map`))
      const { context, item } = offered.input as OfferedItem
      const ctx = new TaskContextImpl(deepFreeze(context), {
        taskId,
        executionId: offered.executionId,
        workflowName: offered.workflowName,
        attempt: 1
      })
      return Effect.flatMap(
        itemAttempt<R>(wait, taskId, index, item, ctx),
        (value) => Effect.try(() => toFrozenJson(itemId(taskId, index), value === undefined ? null : value))
      )
    }).pipe(
      Effect.match({ onFailure: (error) => ({ error: errorMessage(error) }), onSuccess: (value) => ({ value }) }),
      Effect.catchAllDefect((defect) => Effect.succeed({ error: errorMessage(defect) })),
      Effect.provide(services)
    )
  }
})

/** The one answer to a value that is not a workflow. */
export const notAWorkflow = () =>
  new WorkflowDefinitionError({ reason: "InvalidOption", detail: "not a workflow: make it with Workflow.make" })

/** What runs executions of one version, in fleet rows and queries: name and version. */
export const versionKey = (name: string, version: string): string => `${name} ${version}`

/** Whether this runner can run a stored execution, and if not, why. */
export type Found =
  | { readonly _tag: "Runnable"; readonly runnable: Runnable }
  | { readonly _tag: "Unknown" }
  /** The workflow is registered, but not the version the execution is pinned to. */
  | { readonly _tag: "VersionMissing"; readonly registered: ReadonlyArray<string> }
  /** Its version is registered but no longer has every task recorded (a reused version name). */
  | { readonly _tag: "Changed"; readonly missing: ReadonlyArray<string> }

/** Why a stored execution cannot run here, in words (for errors, warnings and `list`). */
export const whyNot = (row: ExecutionRow, found: Exclude<Found, { _tag: "Runnable" }>): string =>
  found._tag === "Unknown"
    ? `workflow "${row.workflowName}" is not registered`
    : found._tag === "VersionMissing"
    ? `it is pinned to version ${row.workflowVersion} of workflow "${row.workflowName}", which is not registered (registered: ${
      found.registered.join(", ")
    })`
    : `version ${row.workflowVersion} of workflow "${row.workflowName}" no longer has its tasks ${
      found.missing.join(", ")
    }`

export class Registry {
  /** The last registered version of each name: what new executions of that name run. */
  private readonly byName = new Map<string, Runnable>()
  private readonly byVersion = new Map<string, Runnable>()
  /** Versions whose definition this runner stored. */
  private readonly stored = new Set<string>()

  constructor(private readonly storage: StorageService) {}

  /** Registers a workflow version (the last one registered under a name runs by that name). */
  add(entry: Runnable): Effect.Effect<void, StorageError> {
    const { workflow } = entry
    this.byName.set(workflow.name, entry)
    this.byVersion.set(versionKey(workflow.name, workflow.version), entry)
    return this.store(workflow)
  }

  /**
   * A version run here without becoming the one its name runs (a workflow value submitted beside a
   * registered version of its name): its attempts and take-ups find it by version.
   */
  addVersion(entry: Runnable): Effect.Effect<void, StorageError> {
    this.byVersion.set(versionKey(entry.workflow.name, entry.workflow.version), entry)
    return this.store(entry.workflow)
  }

  /** Stores the definition of a version run here, once (reads of its executions need it). */
  store(workflow: Workflow<unknown>): Effect.Effect<void, StorageError> {
    const key = versionKey(workflow.name, workflow.version)
    if (this.storage.readOnly || this.stored.has(key)) return Effect.void
    return Effect.tap(this.storage.saveWorkflow(toDefinition(workflow)), () => void this.stored.add(key))
  }

  has(name: string): boolean {
    return this.byName.has(name)
  }

  names(): Array<string> {
    return [...this.byName.keys()]
  }

  /** Every registered version, as `versionKey`s: what this runner can take over and run. */
  keys(): Array<string> {
    return [...this.byVersion.keys()]
  }

  named(name: string): Runnable | undefined {
    return this.byName.get(name)
  }

  byNameOrFail(name: string): Effect.Effect<Runnable, WorkflowNotFoundError> {
    const entry = this.byName.get(name)
    return entry === undefined ? Effect.fail(this.notFound(name)) : Effect.succeed(entry)
  }

  notFound(name: string, executionId?: string): WorkflowNotFoundError {
    return new WorkflowNotFoundError({ workflowName: name, known: this.names(), executionId })
  }

  /**
   * What runs a stored execution: the version it is pinned to, only that (another version is
   * another DAG), provided it still has every task the execution recorded.
   */
  forExecution(row: ExecutionRow, tasks: ReadonlyMap<string, TaskRow>): Found {
    const exact = this.runnableOf(row.workflowName, row.workflowVersion)
    if (exact === undefined) {
      if (!this.byName.has(row.workflowName)) return { _tag: "Unknown" }
      const prefix = versionKey(row.workflowName, "")
      const registered = this.keys().filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length))
      return { _tag: "VersionMissing", registered }
    }
    const missing = [...tasks.keys()].filter((id) => !exact.workflow.graph.index.has(id))
    return missing.length === 0 ? { _tag: "Runnable", runnable: exact } : { _tag: "Changed", missing }
  }

  /** The runnable of a workflow version, if registered here. */
  runnableOf(name: string, version: string): Runnable | undefined {
    return this.byVersion.get(versionKey(name, version))
  }

  /** The DAG of a stored execution: its registered version's, else its stored definition's. */
  dagOf(row: ExecutionRow): Effect.Effect<Dag | undefined, StorageError> {
    const exact = this.runnableOf(row.workflowName, row.workflowVersion)
    if (exact !== undefined) return Effect.succeed(exact.workflow)
    return Effect.flatMap(
      this.storage.workflow(row.workflowName, row.workflowVersion),
      (stored) =>
        Option.match(stored, {
          onNone: () => Effect.succeed(undefined),
          onSome: (definition) =>
            Effect.try({
              try: (): Dag => ({
                name: definition.name,
                version: definition.version,
                graph: compile(definition.name, definition.tasks)
              }),
              catch: (cause) => new StorageError({ operation: "read workflow definition", cause })
            })
        })
    )
  }
}
