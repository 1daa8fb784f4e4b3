/**
 * The workflows a runner knows, each with the services its task bodies need (captured when it
 * was registered, so that the types checked them), and the DAG of any stored execution.
 */
import type { Context } from "effect"
import { Effect, Option } from "effect"
import { StorageError, WorkflowDefinitionError, WorkflowNotFoundError } from "../../Errors.js"
import type { Workflow } from "../../Workflow.js"
import { toDefinition } from "../../Workflow.js"
import type { WorkflowResult } from "../../WorkflowResult.js"
import { compile } from "../dag/graph.js"
import type { AttemptOutcome, Dag } from "../execution/model.js"
import type { TaskRow } from "../storage/journal.js"
import type { ExecutionRow, StorageService } from "../storage/service.js"
import type { AttemptInput } from "./attempt.js"
import { runAttempt } from "./attempt.js"
import type { Active, RuntimeEnv, SuperviseOptions } from "./supervisor.js"
import { supervise } from "./supervisor.js"

/** A workflow with what it takes to run it: its supervisor, given the services it needs. */
export interface Runnable {
  readonly workflow: Workflow<unknown>
  /** Runs its supervisor: the result, or undefined when it parked the execution. */
  readonly run: (active: Active, options: SuperviseOptions) => Effect.Effect<WorkflowResult | undefined, StorageError>
  /** One attempt of one of its tasks, for another runner (an offered attempt). */
  readonly runTask: (attempt: Omit<AttemptInput<unknown>, "task">, task: number) => Effect.Effect<AttemptOutcome>
}

export const runnable = <R>(env: RuntimeEnv, workflow: Workflow<R>, services: Context.Context<R>): Runnable => ({
  workflow,
  run: (active, options) => Effect.provide(supervise(env, workflow, active, options), services),
  runTask: (attempt, task) =>
    Effect.flatMap(Effect.clock, (clock) => {
      const begun = runAttempt({ ...attempt, task: workflow.tasks[task] }, clock)
      return Effect.isEffect(begun) ? Effect.provide(begun, services) : Effect.succeed(begun)
    })
})

/** The one answer to a value that is not a workflow. */
export const notAWorkflow = () =>
  new WorkflowDefinitionError({ reason: "InvalidOption", detail: "not a workflow: make it with Workflow.make" })

export class Registry {
  private readonly byName = new Map<string, Runnable>()
  private readonly byVersion = new Map<string, Runnable>()
  /** Versions whose definition this runner stored. */
  private readonly stored = new Set<string>()

  constructor(private readonly storage: StorageService) {}

  /** Registers a workflow (the last one registered under a name runs by that name). */
  add(entry: Runnable): Effect.Effect<void, StorageError> {
    const { workflow } = entry
    this.byName.set(workflow.name, entry)
    this.byVersion.set(`${workflow.name}\u0000${workflow.version}`, entry)
    return this.store(workflow)
  }

  /** Stores the definition of a version run here, once (reads of its executions need it). */
  store(workflow: Workflow<unknown>): Effect.Effect<void, StorageError> {
    const key = `${workflow.name}\u0000${workflow.version}`
    if (this.storage.readOnly || this.stored.has(key)) return Effect.void
    return Effect.tap(this.storage.saveWorkflow(toDefinition(workflow)), () => void this.stored.add(key))
  }

  has(name: string): boolean {
    return this.byName.has(name)
  }

  names(): Array<string> {
    return [...this.byName.keys()]
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
   * What would run a stored execution: its own version if registered, else the workflow of its
   * name, provided it still has every task the execution recorded.
   */
  forExecution(
    row: ExecutionRow,
    tasks: ReadonlyMap<string, TaskRow>
  ): { readonly _tag: "Runnable"; readonly runnable: Runnable } | { readonly _tag: "Unknown" } | {
    readonly _tag: "Changed"
    readonly missing: ReadonlyArray<string>
  } {
    const exact = this.byVersion.get(`${row.workflowName}\u0000${row.workflowVersion}`)
    if (exact !== undefined) return { _tag: "Runnable", runnable: exact }
    const named = this.byName.get(row.workflowName)
    if (named === undefined) return { _tag: "Unknown" }
    const missing = [...tasks.keys()].filter((id) => !named.workflow.graph.index.has(id))
    return missing.length === 0 ? { _tag: "Runnable", runnable: named } : { _tag: "Changed", missing }
  }

  /** The runnable of a workflow version: that version's, or the one registered under its name. */
  runnableOf(name: string, version: string): Runnable | undefined {
    return this.byVersion.get(`${name}\u0000${version}`) ?? this.byName.get(name)
  }

  /** The DAG of a stored execution: its registered version's, else its stored definition's. */
  dagOf(row: ExecutionRow): Effect.Effect<Dag | undefined, StorageError> {
    const exact = this.byVersion.get(`${row.workflowName}\u0000${row.workflowVersion}`)
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
