var __defProp = Object.defineProperty;
var __export = (target, all) => {
  for (var name in all)
    __defProp(target, name, { get: all[name], enumerable: true });
};

// bench/prof.tmp.ts
import { Effect as Effect12, Layer as Layer5, ManagedRuntime as ManagedRuntime2 } from "effect";

// src/ContextKey.ts
import { ParseResult, Schema } from "effect";
var formatError = (error) => ParseResult.TreeFormatter.formatErrorSync(error);

// src/DefaultRunner.ts
import { Cause as Cause2, Effect as Effect10, Exit as Exit2, Layer as Layer4, ManagedRuntime, Stream as Stream2 } from "effect";

// src/Runner.ts
import { Clock as Clock2, Context as Context2, Deferred as Deferred3, Duration, Effect as Effect9, FiberMap as FiberMap2, Layer as Layer3, Option as Option3, PubSub as PubSub2, Queue as Queue2, Stream } from "effect";
import { randomUUID } from "node:crypto";

// src/Errors.ts
import { Data } from "effect";
var WorkflowDefinitionError = class extends Data.TaggedError("WorkflowDefinitionError") {
  get message() {
    const where = this.workflowName === void 0 ? "" : `workflow "${this.workflowName}": `;
    return `${where}${this.detail}`;
  }
};
var ContextValueError = class extends Data.TaggedError("ContextValueError") {
  get message() {
    const at = this.path === "" ? `"${this.key}"` : `"${this.key}" at ${this.path}`;
    return `context value ${at} is not JSON: ${this.detail}`;
  }
};
var ContextDecodeError = class extends Data.TaggedError("ContextDecodeError") {
  get message() {
    return `context value "${this.key}" does not decode: ${this.detail}`;
  }
};
var WorkflowNotFoundError = class extends Data.TaggedError("WorkflowNotFoundError") {
  get message() {
    const known = this.known.length === 0 ? "none registered" : `registered: ${this.known.join(", ")}`;
    return `unknown workflow "${this.workflowName}" (${known})`;
  }
};
var ExecutionNotFoundError = class extends Data.TaggedError("ExecutionNotFoundError") {
  get message() {
    return `unknown execution "${this.executionId}"`;
  }
};
var InvalidStorageUrlError = class extends Data.TaggedError("InvalidStorageUrlError") {
  get message() {
    return `invalid storage URL "${this.url}": ${this.detail}`;
  }
};
var InvalidOptionError = class extends Data.TaggedError("InvalidOptionError") {
  get message() {
    return `invalid option ${this.option}: ${this.detail}`;
  }
};
var StorageError = class extends Data.TaggedError("StorageError") {
  get message() {
    const cause = this.cause instanceof Error ? this.cause.message : String(this.cause);
    return `storage ${this.operation} failed: ${cause}`;
  }
};
var TaskTimeoutError = class extends Data.TaggedError("TaskTimeoutError") {
  get message() {
    return `task "${this.taskId}" timed out after ${this.timeoutMs} ms`;
  }
};

// src/ExecutionEvent.ts
var isFinished = (event) => event._tag === "ExecutionFinished";

// src/TaskContext.ts
import * as Either from "effect/Either";

// src/internal/json.ts
var emptyObject = Object.freeze({});
var describe = (value) => {
  if (value === void 0) return "undefined (use delete to remove a key)";
  if (typeof value === "number") return `${value} (only finite numbers are JSON)`;
  if (typeof value === "function") return "a function";
  if (typeof value === "symbol") return "a symbol";
  if (typeof value === "bigint") return "a bigint (store it as a string, or use a ContextKey with a Schema)";
  if (value instanceof Date) return "a Date (store an ISO string, or use a ContextKey with Schema.Date)";
  const name = value.constructor?.name ?? "an object without prototype";
  return `an instance of ${name} (only plain objects and arrays are JSON)`;
};
var isPlainObject = (value) => {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
};
var toFrozenJson = (key, value) => {
  const seen = /* @__PURE__ */ new Set();
  const visit = (v, path) => {
    switch (typeof v) {
      case "string":
      case "boolean":
        return v;
      case "number":
        if (Number.isFinite(v)) return v;
        break;
      case "object": {
        if (v === null) return null;
        if (seen.has(v)) throw new ContextValueError({ key, path, detail: "a cycle (the value refers to itself)" });
        if (Array.isArray(v)) {
          seen.add(v);
          const out2 = new Array(v.length);
          for (let i = 0; i < v.length; i++) out2[i] = visit(v[i], `${path}[${i}]`);
          seen.delete(v);
          return Object.freeze(out2);
        }
        if (!isPlainObject(v)) break;
        seen.add(v);
        const out = {};
        for (const k of Object.keys(v)) {
          out[k] = visit(v[k], path === "" ? k : `${path}.${k}`);
        }
        seen.delete(v);
        return Object.freeze(out);
      }
    }
    throw new ContextValueError({ key, path, detail: describe(v) });
  };
  return visit(value, "");
};
var toFrozenJsonObject = (value) => {
  if (value === void 0) return emptyObject;
  if (typeof value !== "object" || value === null || Array.isArray(value) || !isPlainObject(value)) {
    throw new ContextValueError({ key: "(input)", path: "", detail: "the input context must be a plain object" });
  }
  const out = {};
  for (const k of Object.keys(value)) out[k] = toFrozenJson(k, value[k]);
  return Object.freeze(out);
};
var deepFreeze = (value) => {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
};
var isObject = (v) => typeof v === "object" && v !== null && !Array.isArray(v);
var jsonEquals = (a, b) => {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEquals(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (!(k in b) || !jsonEquals(a[k], b[k])) return false;
  }
  return true;
};
var mergeJson = (earlier, later) => {
  if (earlier === later) return earlier;
  if (Array.isArray(earlier) && Array.isArray(later)) {
    const out = [...earlier];
    for (const item of later) if (!out.some((existing) => jsonEquals(existing, item))) out.push(item);
    return Object.freeze(out);
  }
  if (isObject(earlier) && isObject(later)) return mergeObjects(earlier, later);
  return later;
};
var mergeObjects = (earlier, later) => {
  if (earlier === later) return earlier;
  const laterKeys = Object.keys(later);
  if (laterKeys.length === 0) return earlier;
  if (Object.keys(earlier).length === 0) return later;
  const out = { ...earlier };
  for (const k of laterKeys) out[k] = k in earlier ? mergeJson(earlier[k], later[k]) : later[k];
  return Object.freeze(out);
};

// src/TaskContext.ts
var keyName = (key) => {
  if (typeof key === "string") {
    if (key.length === 0) throw new ContextValueError({ key, path: "", detail: "keys must be non-empty strings" });
    return key;
  }
  return key.name;
};
var emptyDelta = Object.freeze({ set: Object.freeze({}), deleted: Object.freeze([]) });
var applyDelta = (input, delta) => {
  const setKeys = Object.keys(delta.set);
  if (setKeys.length === 0 && delta.deleted.length === 0) return input;
  const out = { ...input };
  for (const k of delta.deleted) delete out[k];
  for (const k of setKeys) out[k] = delta.set[k];
  return Object.freeze(out);
};
var TaskContextImpl = class {
  constructor(input, meta) {
    this.input = input;
    this.taskId = meta.taskId;
    this.executionId = meta.executionId;
    this.workflowName = meta.workflowName;
    this.attempt = meta.attempt;
  }
  input;
  taskId;
  executionId;
  workflowName;
  attempt;
  /** Made on first use: most bodies never ask for it, and an AbortController is not free. */
  controller;
  aborted = false;
  /** undefined marks a deleted key. */
  writes = /* @__PURE__ */ new Map();
  get signal() {
    if (this.controller === void 0) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort();
    }
    return this.controller.signal;
  }
  /** Called when the attempt ends or is interrupted. */
  abort() {
    this.aborted = true;
    this.controller?.abort();
  }
  get idempotencyKey() {
    return `${this.executionId}/${this.taskId}`;
  }
  raw(name) {
    if (this.writes.has(name)) return this.writes.get(name);
    return Object.prototype.hasOwnProperty.call(this.input, name) ? this.input[name] : void 0;
  }
  get(key) {
    const name = keyName(key);
    const value = this.raw(name);
    if (value === void 0 || typeof key === "string") return value;
    const decoded = key.decode(value);
    if (Either.isLeft(decoded)) {
      throw new ContextDecodeError({ key: name, detail: formatError(decoded.left) });
    }
    return decoded.right;
  }
  set(key, value) {
    const name = keyName(key);
    let encoded = value;
    if (typeof key !== "string") {
      const result = key.encode(value);
      if (Either.isLeft(result)) {
        throw new ContextValueError({ key: name, path: "", detail: formatError(result.left) });
      }
      encoded = result.right;
    }
    this.writes.set(name, toFrozenJson(name, encoded));
  }
  has(key) {
    return this.raw(keyName(key)) !== void 0;
  }
  delete(key) {
    const name = keyName(key);
    const existed = this.has(name);
    this.writes.set(name, void 0);
    return existed;
  }
  keys() {
    return Object.keys(this.toJSON());
  }
  toJSON() {
    return applyDelta(this.input, this.delta());
  }
  /** What this attempt changed. */
  delta() {
    if (this.writes.size === 0) return emptyDelta;
    const set = {};
    const deleted = [];
    for (const [k, v] of this.writes) {
      if (v === void 0) {
        if (Object.prototype.hasOwnProperty.call(this.input, k)) deleted.push(k);
      } else set[k] = v;
    }
    return { set: Object.freeze(set), deleted: Object.freeze(deleted) };
  }
};

// src/TriggerRule.ts
var noneFailed = { _tag: "NoneFailed" };
var referencedTasks = (rule) => {
  switch (rule._tag) {
    case "All":
    case "Any":
    case "None":
      return rule.rules.flatMap(referencedTasks);
    case "TaskSucceeded":
    case "TaskFailed":
    case "TaskSkipped":
      return [rule.taskId];
    default:
      return [];
  }
};
var describe2 = (rule) => {
  switch (rule._tag) {
    case "All":
    case "Any":
    case "None":
      return `${rule._tag.toLowerCase()}(${rule.rules.map(describe2).join(", ")})`;
    case "TaskSucceeded":
      return `taskSucceeded(${rule.taskId})`;
    case "TaskFailed":
      return `taskFailed(${rule.taskId})`;
    case "TaskSkipped":
      return `taskSkipped(${rule.taskId})`;
    case "ContextValue":
      return rule.op === "exists" || rule.op === "notExists" ? `contextValue(${rule.key} ${rule.op})` : `contextValue(${rule.key} ${rule.op} ${JSON.stringify(rule.value)})`;
    default:
      return rule._tag.charAt(0).toLowerCase() + rule._tag.slice(1);
  }
};

// src/internal/rules.ts
var isTerminal = (status) => status === "Completed" || status === "Failed" || status === "Skipped" || status === "Cancelled";
var UPSTREAM_FAILED = "upstream failed";
var outcomeOf = (status, reason) => status === "Completed" ? "completed" : status === "Failed" ? "failed" : reason === UPSTREAM_FAILED ? "upstreamFailed" : "skipped";
var failedLike = (o) => o === "failed" || o === "upstreamFailed";
var RUN = { run: true };
var decide = (rule, deps, outcome, input) => {
  if (holds(rule, deps, outcome, input)) return RUN;
  const wantsSuccess = rule._tag === "NoneFailed" || rule._tag === "AllSuccess" || rule._tag === "OneSuccess";
  if (wantsSuccess && deps.some(failedLike)) return { run: false, reason: UPSTREAM_FAILED };
  return { run: false, reason: `trigger rule not satisfied: ${describe2(rule)}` };
};
var holds = (rule, deps, outcome, input) => {
  switch (rule._tag) {
    case "NoneFailed":
      return !deps.some(failedLike);
    case "AllSuccess":
      return deps.every((o) => o === "completed");
    case "AllDone":
      return true;
    case "OneSuccess":
      return deps.some((o) => o === "completed");
    case "OneFailed":
      return deps.some(failedLike);
    case "AllFailed":
      return deps.every(failedLike);
    case "All":
      return rule.rules.every((r) => holds(r, deps, outcome, input));
    case "Any":
      return rule.rules.some((r) => holds(r, deps, outcome, input));
    case "None":
      return !rule.rules.some((r) => holds(r, deps, outcome, input));
    case "TaskSucceeded":
      return outcome(rule.taskId) === "completed";
    case "TaskFailed":
      return outcome(rule.taskId) === "failed";
    case "TaskSkipped": {
      const o = outcome(rule.taskId);
      return o === "skipped" || o === "upstreamFailed";
    }
    case "ContextValue":
      return compare(
        Object.prototype.hasOwnProperty.call(input, rule.key) ? input[rule.key] : void 0,
        rule.op,
        rule.value
      );
  }
};
var compare = (actual, op, expected) => {
  switch (op) {
    case "exists":
      return actual !== void 0;
    case "notExists":
      return actual === void 0;
    case "equals":
      return actual !== void 0 && jsonEquals(actual, expected);
    case "notEquals":
      return actual === void 0 || !jsonEquals(actual, expected);
    case "greaterThan":
    case "lessThan": {
      const comparable = typeof actual === "number" && typeof expected === "number" || typeof actual === "string" && typeof expected === "string";
      if (!comparable) return false;
      return op === "greaterThan" ? actual > expected : actual < expected;
    }
    case "contains":
      return contains(actual, expected);
    case "notContains":
      return !contains(actual, expected);
  }
};
var contains = (actual, expected) => {
  if (typeof actual === "string") return typeof expected === "string" && actual.includes(expected);
  if (Array.isArray(actual)) return actual.some((item) => jsonEquals(item, expected));
  if (typeof actual === "object" && actual !== null && typeof expected === "string") {
    return Object.prototype.hasOwnProperty.call(actual, expected);
  }
  return false;
};
var inputOf = (deps, executionInput, contextOf) => {
  if (deps.length === 0) return executionInput;
  if (deps.length === 1) return contextOf(deps[0]);
  let out = emptyObject;
  for (const d of deps) out = mergeObjects(out, contextOf(d));
  return out;
};
var finalContext = (leavesInTopoOrder, completed, outputOf) => {
  let out = emptyObject;
  for (const leaf of leavesInTopoOrder) if (completed(leaf)) out = mergeObjects(out, outputOf(leaf));
  return out;
};
var countStatuses = (statuses) => {
  let completed = 0, failed = 0, skipped = 0, cancelled = 0;
  for (const s of statuses) {
    if (s === "Completed") completed++;
    else if (s === "Failed") failed++;
    else if (s === "Skipped") skipped++;
    else if (s === "Cancelled") cancelled++;
  }
  return { completed, failed, skipped, cancelled };
};
var finalStatus = (counts, cancelled) => counts.failed > 0 ? "Failed" : cancelled ? "Cancelled" : "Completed";
var summarize = (status, counts, cancelReason) => {
  if (status === "Completed") return void 0;
  const parts = [`${counts.completed} completed`, `${counts.skipped} skipped`];
  if (counts.cancelled > 0) parts.push(`${counts.cancelled} cancelled`);
  if (status === "Failed") return `${counts.failed} task(s) failed, ${parts.join(", ")}`;
  return `${cancelReason ?? "cancelled"}: ${parts.join(", ")}`;
};

// src/internal/execution.ts
var ExecutionState = class {
  constructor(workflow, meta, window) {
    this.workflow = workflow;
    this.meta = meta;
    this.window = window;
    const n = workflow.graph.ids.length;
    this.n = n;
    this.status = new Array(n).fill("Pending");
    this.rows = new Array(n);
    this.remaining = Int32Array.from(workflow.graph.deps, (d) => d.length);
    this.undecidedSuccs = Int32Array.from(workflow.graph.succs, (s) => s.length);
    this.inputs = new Array(n);
    this.outputs = new Array(n);
    this.scheduleState = new Array(n);
  }
  workflow;
  meta;
  window;
  n;
  status;
  rows;
  remaining;
  undecidedSuccs;
  inputs;
  outputs;
  /** Retry schedule state per task (opaque to this module). */
  scheduleState;
  ready = [];
  readyHead = 0;
  terminalCount = 0;
  inFlight = 0;
  paused = false;
  cancelled = false;
  cancelReason;
  executionStatus = "Running";
  // The current round: what to commit and publish next.
  newExecution;
  executionUpdate;
  taskRows = [];
  attemptRows = [];
  attemptDeletes = [];
  events = [];
  get executionId() {
    return this.meta.executionId;
  }
  get isDone() {
    return this.terminalCount === this.n;
  }
  // -------------------------------------------------------------------------------------------
  // Starting
  /** A new execution: its row, then every root decided. */
  begin(now) {
    this.newExecution = {
      id: this.meta.executionId,
      workflowName: this.workflow.name,
      workflowVersion: this.workflow.version,
      status: "Running",
      input: this.meta.input,
      finalContext: null,
      errorMessage: null,
      idempotencyKey: this.meta.idempotencyKey,
      taskCount: this.n,
      createdAt: now,
      completedAt: null
    };
    this.event({
      _tag: "ExecutionStarted",
      executionId: this.executionId,
      workflowName: this.workflow.name,
      resumed: false,
      at: new Date(now)
    });
    for (const root of this.workflow.graph.roots) this.decideFrom(root, now);
  }
  /**
   * An execution read back from storage after a restart. Completed tasks keep their outputs
   * (rebuilt from their recorded changes); tasks that were running run again with the next
   * attempt number; pending tasks whose dependencies are done are decided now. Returns the
   * retries still waiting, with their due times.
   */
  restore(rows, paused, now) {
    const { graph } = this.workflow;
    const byId = new Map(rows.map((r) => [r.taskId, r]));
    this.paused = paused;
    this.executionStatus = paused ? "Paused" : "Running";
    this.event({
      _tag: "ExecutionStarted",
      executionId: this.executionId,
      workflowName: this.workflow.name,
      resumed: true,
      at: new Date(now)
    });
    const waiting = [];
    const redispatch = [];
    const undecided = [];
    for (const i of graph.topo) {
      const row = byId.get(graph.ids[i]);
      if (row === void 0 || row.status === "Pending") {
        if (graph.deps[i].every((d) => isTerminal(this.status[d]))) undecided.push(i);
        continue;
      }
      this.rows[i] = row;
      this.status[i] = row.status;
      this.inputs[i] = inputOf(graph.deps[i], this.meta.input, (d) => this.contextOf(d));
      if (row.status === "Completed") {
        this.outputs[i] = applyDelta(this.inputs[i], row.output ?? { set: {}, deleted: [] });
      }
      if (isTerminal(row.status)) {
        this.terminalCount++;
        for (const s of graph.succs[i]) this.remaining[s]--;
      } else if (row.status === "Retrying") {
        waiting.push({ task: i, dueAt: row.retryAt ?? now });
      } else {
        this.status[i] = "Retrying";
        redispatch.push(i);
      }
    }
    for (const i of redispatch) this.dispatch(i);
    for (const i of undecided) if (this.remaining[i] === 0 && this.status[i] === "Pending") this.decideFrom(i, now);
    return waiting;
  }
  // -------------------------------------------------------------------------------------------
  // Transitions
  contextOf(task) {
    return (this.status[task] === "Completed" ? this.outputs[task] : this.inputs[task]) ?? emptyObject;
  }
  outcome(task) {
    return outcomeOf(this.status[task], this.rows[task]?.reason ?? void 0);
  }
  /** Decides `first` and everything a skip makes decidable after it, without recursion. */
  decideFrom(first, now) {
    const { graph } = this.workflow;
    const work = [first];
    while (work.length > 0) {
      const i = work.pop();
      const deps = graph.deps[i];
      const input = inputOf(deps, this.meta.input, (d) => this.contextOf(d));
      this.inputs[i] = input;
      for (const d of deps) {
        if (--this.undecidedSuccs[d] === 0 && graph.succs[d].length > 0) this.release(d);
      }
      const task = this.workflow.tasks[i];
      const decision = decide(
        task.triggerRule,
        deps.map((d) => this.outcome(d)),
        (id) => this.outcome(graph.index.get(id)),
        input
      );
      if (decision.run) {
        this.dispatch(i);
      } else {
        this.status[i] = "Skipped";
        this.setRow(i, { status: "Skipped", reason: decision.reason, completedAt: now });
        this.event({
          _tag: "TaskSkipped",
          executionId: this.executionId,
          taskId: graph.ids[i],
          reason: decision.reason,
          at: new Date(now)
        });
        this.terminal(i, work);
      }
    }
  }
  /** Keeps a finished task's context only while a successor may still need it. */
  release(task) {
    if (this.status[task] !== "Retrying" && this.status[task] !== "Running") {
      this.inputs[task] = void 0;
      this.outputs[task] = void 0;
    }
  }
  terminal(i, work) {
    this.terminalCount++;
    for (const s of this.workflow.graph.succs[i]) {
      if (--this.remaining[s] === 0 && this.status[s] === "Pending") work.push(s);
    }
  }
  /** The task will run: it waits in the ready queue for the window (and for a resume). */
  dispatch(i) {
    this.ready.push(i);
  }
  /**
   * Ready tasks to fork now: none while paused, and no more than the window allows. Each one's
   * attempt is counted and recorded here, so that it is committed before its body starts.
   */
  takeReady(now) {
    const out = [];
    while (!this.paused && !this.cancelled && this.inFlight < this.window && this.readyHead < this.ready.length) {
      const i = this.ready[this.readyHead++];
      this.start(i, now);
      out.push(i);
      this.inFlight++;
    }
    if (this.readyHead === this.ready.length && this.readyHead > 0) {
      this.ready.length = 0;
      this.readyHead = 0;
    }
    return out;
  }
  start(i, now) {
    const attempt = (this.rows[i]?.attempts ?? 0) + 1;
    const taskId = this.workflow.graph.ids[i];
    this.status[i] = "Running";
    this.setRow(i, { status: "Running", attempts: attempt, startedAt: this.rows[i]?.startedAt ?? now, retryAt: null });
    this.attemptRows.push({
      executionId: this.executionId,
      taskId,
      attempt,
      status: "Running",
      error: null,
      startedAt: now,
      completedAt: null
    });
    this.event({ _tag: "TaskStarted", executionId: this.executionId, taskId, attempt, at: new Date(now) });
  }
  inputOf(task) {
    return this.inputs[task] ?? emptyObject;
  }
  attemptOf(task) {
    return this.rows[task]?.attempts ?? 0;
  }
  /** Whether a failed attempt may be followed by another (before asking the schedule). */
  mayRetry(task, error) {
    const policy = this.workflow.tasks[task].retry;
    if (this.attemptOf(task) >= policy.maxAttempts) return false;
    if (policy.retryIf === void 0) return true;
    try {
      return policy.retryIf(error) === true;
    } catch {
      return false;
    }
  }
  /**
   * An attempt ended. `retryDelay` is set when the supervisor decided that a failure is retried.
   * Reports from attempts that no longer count (cancelled) are ignored.
   */
  attemptEnded(task, attempt, outcome, retryDelay, now) {
    if (this.status[task] !== "Running" || this.attemptOf(task) !== attempt) return;
    this.inFlight--;
    const taskId = this.workflow.graph.ids[task];
    const firstStart = attempt === 1 ? outcome.startedAt : this.rows[task]?.startedAt ?? outcome.startedAt;
    if (outcome._tag === "Succeeded") {
      this.status[task] = "Completed";
      this.outputs[task] = applyDelta(this.inputOf(task), outcome.delta);
      this.setRow(task, {
        status: "Completed",
        output: outcome.delta,
        error: null,
        startedAt: firstStart,
        completedAt: outcome.completedAt
      });
      this.attemptRows.push({
        executionId: this.executionId,
        taskId,
        attempt,
        status: "Completed",
        error: null,
        startedAt: outcome.startedAt,
        completedAt: outcome.completedAt
      });
      this.event({
        _tag: "TaskCompleted",
        executionId: this.executionId,
        taskId,
        attempt,
        at: new Date(outcome.completedAt)
      });
      const work2 = [];
      this.terminal(task, work2);
      for (const s of work2) this.decideFrom(s, now);
      return;
    }
    this.attemptRows.push({
      executionId: this.executionId,
      taskId,
      attempt,
      status: "Failed",
      error: outcome.message,
      startedAt: outcome.startedAt,
      completedAt: outcome.completedAt
    });
    if (retryDelay !== void 0) {
      const retryAt = now + retryDelay;
      this.status[task] = "Retrying";
      this.setRow(task, { status: "Retrying", error: outcome.message, startedAt: firstStart, retryAt });
      this.event({
        _tag: "TaskFailed",
        executionId: this.executionId,
        taskId,
        attempt,
        error: outcome.message,
        retryAt: new Date(retryAt),
        at: new Date(outcome.completedAt)
      });
      return;
    }
    this.status[task] = "Failed";
    this.setRow(task, {
      status: "Failed",
      error: outcome.message,
      startedAt: firstStart,
      completedAt: outcome.completedAt
    });
    this.event({
      _tag: "TaskFailed",
      executionId: this.executionId,
      taskId,
      attempt,
      error: outcome.message,
      retryAt: void 0,
      at: new Date(outcome.completedAt)
    });
    const work = [];
    this.terminal(task, work);
    for (const s of work) this.decideFrom(s, now);
  }
  /** A retry's wait is over: the task runs again. */
  retryDue(task) {
    if (this.status[task] === "Retrying" && !this.cancelled) this.dispatch(task);
  }
  /** Every unfinished task is cancelled (running attempts were interrupted before this). */
  cancel(reason, now) {
    if (this.cancelled || this.isDone) return;
    this.cancelled = true;
    this.cancelReason = reason;
    const { ids } = this.workflow.graph;
    for (let i = 0; i < this.n; i++) {
      const status = this.status[i];
      if (isTerminal(status)) continue;
      if (status === "Running") {
        const attempt = this.attemptOf(i);
        const startedAt = this.rows[i]?.startedAt ?? now;
        this.attemptRows.push({
          executionId: this.executionId,
          taskId: ids[i],
          attempt,
          status: "Interrupted",
          error: reason,
          startedAt,
          completedAt: now
        });
      }
      this.status[i] = "Cancelled";
      this.setRow(i, { status: "Cancelled", reason, completedAt: now, retryAt: null });
      this.event({ _tag: "TaskCancelled", executionId: this.executionId, taskId: ids[i], at: new Date(now) });
      this.terminalCount++;
    }
    this.ready.length = 0;
    this.readyHead = 0;
  }
  setPaused(paused, now) {
    if (this.paused === paused || this.cancelled || this.isDone) return;
    this.paused = paused;
    this.executionStatus = paused ? "Paused" : "Running";
    this.executionUpdate = {
      id: this.executionId,
      status: this.executionStatus,
      finalContext: null,
      errorMessage: null,
      completedAt: null
    };
    this.event(
      paused ? { _tag: "ExecutionPaused", executionId: this.executionId, at: new Date(now) } : { _tag: "ExecutionResumed", executionId: this.executionId, at: new Date(now) }
    );
  }
  /**
   * The process is shutting down: attempts in flight were interrupted and do not count. Their
   * tasks go back to the state they had before being dispatched, to run again after a restart.
   */
  suspend() {
    const { ids } = this.workflow.graph;
    for (let i = 0; i < this.n; i++) {
      if (this.status[i] !== "Running") continue;
      const attempt = this.attemptOf(i);
      this.attemptDeletes.push({ executionId: this.executionId, taskId: ids[i], attempt });
      const retrying = attempt > 1;
      this.setRow(i, {
        status: retrying ? "Retrying" : "Pending",
        attempts: attempt - 1,
        retryAt: retrying ? 0 : null,
        startedAt: retrying ? this.rows[i].startedAt : null
      });
    }
  }
  /** The execution's end: status, final context, summary. */
  finish(now) {
    const counts = countStatuses(this.status);
    const status = finalStatus(counts, this.cancelled);
    const { graph } = this.workflow;
    const context = finalContext(
      graph.leaves,
      (i) => this.status[i] === "Completed",
      (i) => this.outputs[i] ?? emptyObject
    );
    const errorMessage2 = summarize(status, counts, this.cancelReason);
    this.executionStatus = status;
    this.executionUpdate = {
      id: this.executionId,
      status,
      finalContext: context,
      errorMessage: errorMessage2 ?? null,
      completedAt: now
    };
    this.event({ _tag: "ExecutionFinished", executionId: this.executionId, status, errorMessage: errorMessage2, at: new Date(now) });
    return {
      executionId: this.executionId,
      workflowName: this.workflow.name,
      workflowVersion: this.workflow.version,
      status,
      finalContext: context,
      tasks: graph.topo.map((i) => toTaskResult(this.rows[i], graph.ids[i])),
      startedAt: new Date(this.meta.createdAt),
      completedAt: new Date(now),
      durationMs: now - this.meta.createdAt,
      errorMessage: errorMessage2
    };
  }
  // -------------------------------------------------------------------------------------------
  // The round
  setRow(i, change) {
    const previous = this.rows[i];
    const row = {
      executionId: this.executionId,
      taskId: this.workflow.graph.ids[i],
      position: this.workflow.graph.position[i],
      status: "Pending",
      attempts: 0,
      output: null,
      error: null,
      reason: null,
      startedAt: null,
      completedAt: null,
      retryAt: null,
      ...previous,
      ...change
    };
    this.rows[i] = row;
    this.taskRows.push(row);
  }
  event(event) {
    this.events.push(event);
  }
  /** Takes what this round changed: the batch to commit and the events to publish after it. */
  drain() {
    if (this.events.length === 0 && this.taskRows.length === 0 && this.executionUpdate === void 0 && this.attemptDeletes.length === 0) {
      return void 0;
    }
    const events = this.events;
    const batch = {
      executions: this.newExecution === void 0 ? [] : [this.newExecution],
      executionUpdates: this.executionUpdate === void 0 ? [] : [this.executionUpdate],
      tasks: this.taskRows,
      attempts: this.attemptRows,
      attemptDeletes: this.attemptDeletes,
      events: events.map(toEventRow)
    };
    this.newExecution = void 0;
    this.executionUpdate = void 0;
    this.taskRows = [];
    this.attemptRows = [];
    this.attemptDeletes = [];
    this.events = [];
    return { batch, events };
  }
};
var toTaskResult = (row, taskId) => {
  if (row === void 0) {
    return {
      id: taskId,
      taskId,
      status: "Pending",
      attempts: 0,
      startedAt: void 0,
      completedAt: void 0,
      durationMs: void 0,
      error: void 0,
      reason: void 0
    };
  }
  return {
    id: taskId,
    taskId,
    status: row.status,
    attempts: row.attempts,
    startedAt: row.startedAt === null ? void 0 : new Date(row.startedAt),
    completedAt: row.completedAt === null ? void 0 : new Date(row.completedAt),
    durationMs: row.startedAt !== null && row.completedAt !== null ? row.completedAt - row.startedAt : void 0,
    error: row.error ?? void 0,
    reason: row.reason ?? void 0
  };
};
var toEventRow = (event) => {
  const row = (taskId, data) => ({
    executionId: event.executionId,
    taskId,
    type: event._tag,
    at: event.at.getTime(),
    data
  });
  switch (event._tag) {
    case "ExecutionStarted":
      return row(null, { workflowName: event.workflowName, resumed: event.resumed });
    case "TaskStarted":
    case "TaskCompleted":
      return row(event.taskId, { attempt: event.attempt });
    case "TaskFailed":
      return row(
        event.taskId,
        event.retryAt === void 0 ? { attempt: event.attempt, error: event.error } : { attempt: event.attempt, error: event.error, retryAt: event.retryAt.getTime() }
      );
    case "TaskSkipped":
      return row(event.taskId, { reason: event.reason });
    case "TaskCancelled":
      return row(event.taskId, {});
    case "ExecutionPaused":
    case "ExecutionResumed":
      return row(null, {});
    case "ExecutionFinished":
      return row(
        null,
        event.errorMessage === void 0 ? { status: event.status } : { status: event.status, errorMessage: event.errorMessage }
      );
  }
};
var fromEventRow = (row) => {
  const data = { ...row.data };
  if (typeof data.retryAt === "number") data.retryAt = new Date(data.retryAt);
  if (data.retryAt === void 0 && row.type === "TaskFailed") data.retryAt = void 0;
  return {
    _tag: row.type,
    executionId: row.executionId,
    ...row.taskId === null ? {} : { taskId: row.taskId },
    ...data,
    at: new Date(row.at)
  };
};

// src/internal/supervisor.ts
import { Deferred, Effect as Effect2, FiberMap, PubSub, Queue } from "effect";
import * as ScheduleDecision from "effect/ScheduleDecision";
import * as ScheduleIntervals from "effect/ScheduleIntervals";

// src/internal/attempt.ts
import { Cause, Effect, Exit } from "effect";
var isPromiseLike = (u) => typeof u === "object" && u !== null && typeof u.then === "function";
var errorMessage = (error) => {
  if (error instanceof Error) {
    const tag = error._tag;
    return error.message === "" && typeof tag === "string" ? tag : error.message;
  }
  if (typeof error === "string") return error;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
};
var callback = (name, taskId, run) => Effect.suspend(() => {
  const returned = run();
  if (Effect.isEffect(returned)) return returned;
  if (isPromiseLike(returned)) return Effect.tryPromise({ try: () => returned, catch: (e) => e });
  return Effect.void;
}).pipe(
  Effect.catchAllCause(
    (cause) => Effect.logWarning(
      `${name} callback of task "${taskId}" failed (the task's outcome stands): ${errorMessage(Cause.squash(cause))}`
    )
  ),
  Effect.asVoid
);
var runAttempt = (a, clock) => Effect.suspend(() => {
  const { task } = a;
  const ctx = new TaskContextImpl(a.input, {
    taskId: task.id,
    executionId: a.executionId,
    workflowName: a.workflowName,
    attempt: a.attempt
  });
  const startedAt = clock.unsafeCurrentTimeMillis();
  const finish = (exit) => {
    const completedAt = clock.unsafeCurrentTimeMillis();
    if (Exit.isSuccess(exit)) {
      const outcome2 = { _tag: "Succeeded", delta: ctx.delta(), startedAt, completedAt };
      return task.onSuccess === void 0 ? Effect.succeed(outcome2) : Effect.as(callback("onSuccess", task.id, () => task.onSuccess(task.id, ctx)), outcome2);
    }
    ctx.abort();
    const error = Cause.isInterruptedOnly(exit.cause) ? new Error("the task body was interrupted") : Cause.squash(exit.cause);
    const outcome = { _tag: "Failed", error, message: errorMessage(error), startedAt, completedAt };
    return task.onFailure === void 0 ? Effect.succeed(outcome) : Effect.as(callback("onFailure", task.id, () => task.onFailure(task.id, error, ctx)), outcome);
  };
  let returned;
  try {
    returned = task.run(ctx);
  } catch (error) {
    return finish(Exit.die(error));
  }
  if (!Effect.isEffect(returned) && !isPromiseLike(returned)) return finish(Exit.void);
  let run = Effect.isEffect(returned) ? returned : Effect.tryPromise({ try: () => returned, catch: (e) => e });
  if (task.timeoutMs !== void 0) {
    run = Effect.timeoutFail(run, {
      duration: task.timeoutMs,
      onTimeout: () => new TaskTimeoutError({ taskId: task.id, timeoutMs: task.timeoutMs })
    });
  }
  return Effect.flatMap(Effect.exit(Effect.onInterrupt(run, () => Effect.sync(() => ctx.abort()))), finish);
});

// src/internal/supervisor.ts
var flush = (env, active) => {
  const round = active.state.drain();
  if (round === void 0) return Effect2.void;
  return Effect2.zipRight(
    env.storage.commit(round.batch),
    Effect2.suspend(() => {
      const publish = PubSub.publishAll(env.events, round.events);
      return active.log === void 0 ? publish : Effect2.zipRight(publish, PubSub.publishAll(active.log, round.events));
    })
  );
};
var nextDelay = (active, task, error, now) => {
  const { schedule } = active.state.workflow.tasks[task].retry;
  const state = active.state.scheduleState[task] ?? schedule.initial;
  return Effect2.map(schedule.step(now, error, state), ([next, , decision]) => {
    active.state.scheduleState[task] = next;
    if (ScheduleDecision.isDone(decision)) return void 0;
    return Math.max(0, ScheduleIntervals.start(decision.intervals) - now);
  });
};
var supervise = (env, active, options) => Effect2.gen(function* () {
  const { mailbox, state } = active;
  const tasks = yield* FiberMap.make();
  const fork = yield* FiberMap.runtime(tasks)();
  const { workflow } = state;
  const clock = yield* Effect2.clock;
  const acks = [];
  const sleepThenRetry = (task, delayMs) => fork(-1 - task, Effect2.zipRight(Effect2.sleep(delayMs), Queue.offer(mailbox, { _tag: "RetryDue", task })));
  const launch = (ready) => {
    for (const task of ready) {
      const attempt = state.attemptOf(task);
      const run = runAttempt({
        task: workflow.tasks[task],
        input: state.inputOf(task),
        executionId: state.executionId,
        workflowName: workflow.name,
        attempt
      }, clock).pipe(
        env.semaphore.withPermits(1),
        Effect2.map((outcome) => Queue.unsafeOffer(mailbox, { _tag: "AttemptEnded", task, attempt, outcome }))
      );
      fork(task, run);
    }
  };
  const handle = (message, now2) => {
    switch (message._tag) {
      case "AttemptEnded": {
        const { attempt, outcome, task } = message;
        if (outcome._tag === "Succeeded" || !state.mayRetry(task, outcome.error)) {
          state.attemptEnded(task, attempt, outcome, void 0, now2);
          return void 0;
        }
        return Effect2.map(nextDelay(active, task, outcome.error, now2), (delay) => {
          state.attemptEnded(task, attempt, outcome, delay, now2);
          if (delay !== void 0) sleepThenRetry(task, delay);
        });
      }
      case "RetryDue":
        state.retryDue(message.task);
        return void 0;
      case "Cancel":
        if (message.ack) acks.push(message.ack);
        if (state.cancelled || state.isDone) return void 0;
        return Effect2.zipRight(FiberMap.clear(tasks), Effect2.sync(() => state.cancel(message.reason, now2)));
      case "Pause":
      case "Resume":
        if (message.ack) acks.push(message.ack);
        state.setPaused(message._tag === "Pause", now2);
        return void 0;
    }
  };
  for (const { dueAt, task } of options.waiting ?? []) {
    sleepThenRetry(task, Math.max(0, dueAt - clock.unsafeCurrentTimeMillis()));
  }
  if (options.executionTimeout !== void 0) {
    yield* Effect2.forkScoped(
      Effect2.zipRight(
        Effect2.sleep(options.executionTimeout),
        Queue.offer(mailbox, { _tag: "Cancel", reason: "timed out" })
      )
    );
  }
  let now = clock.unsafeCurrentTimeMillis();
  for (; ; ) {
    const ready = state.takeReady(now);
    yield* flush(env, active);
    if (acks.length > 0) {
      for (const ack of acks.splice(0)) yield* Deferred.succeed(ack, void 0);
    }
    if (state.isDone) break;
    launch(ready);
    const messages = yield* Queue.takeBetween(mailbox, 1, Number.MAX_SAFE_INTEGER);
    now = clock.unsafeCurrentTimeMillis();
    for (const message of messages) {
      const effect = handle(message, now);
      if (effect !== void 0) yield* effect;
    }
  }
  yield* FiberMap.clear(tasks);
  const result = state.finish(clock.unsafeCurrentTimeMillis());
  yield* flush(env, active);
  yield* Deferred.succeed(active.done, result);
  return result;
}).pipe(
  Effect2.scoped,
  Effect2.tapError((error) => Deferred.fail(active.done, error)),
  // Shutdown: the task fibers were interrupted with the scope; their attempts do not count.
  Effect2.onInterrupt(
    () => Effect2.suspend(() => {
      active.state.suspend();
      return flush(env, active);
    }).pipe(Effect2.ignoreLogged, Effect2.zipRight(Deferred.interrupt(active.done)))
  )
);

// src/Storage.ts
import { Context, Effect as Effect7, Layer as Layer2 } from "effect";

// src/internal/storage/memory.ts
import { Effect as Effect3, Option } from "effect";
var make = () => {
  const executions = /* @__PURE__ */ new Map();
  const byKey = /* @__PURE__ */ new Map();
  const entry = (id) => executions.get(id);
  const commit = (batch) => Effect3.sync(() => {
    for (const row of batch.executions) {
      executions.set(row.id, { row, tasks: /* @__PURE__ */ new Map(), attempts: /* @__PURE__ */ new Map(), events: [] });
      if (row.idempotencyKey !== null) byKey.set(row.idempotencyKey, row.id);
    }
    for (const update of batch.executionUpdates) {
      const e = entry(update.id);
      if (e !== void 0) e.row = { ...e.row, ...update };
    }
    for (const row of batch.tasks) entry(row.executionId)?.tasks.set(row.taskId, row);
    for (const row of batch.attempts) entry(row.executionId)?.attempts.set(`${row.taskId}\0${row.attempt}`, row);
    for (const row of batch.attemptDeletes) {
      entry(row.executionId)?.attempts.delete(`${row.taskId}\0${row.attempt}`);
    }
    for (const row of batch.events) entry(row.executionId)?.events.push(row);
  });
  const matches = (row, filter) => {
    if (filter.workflowName !== void 0 && row.workflowName !== filter.workflowName) return false;
    if (filter.status === void 0) return true;
    return typeof filter.status === "string" ? row.status === filter.status : filter.status.includes(row.status);
  };
  return {
    commit,
    execution: (id) => Effect3.sync(() => Option.fromNullable(entry(id)?.row)),
    executionByIdempotencyKey: (key) => Effect3.sync(() => {
      const id = byKey.get(key);
      return Option.fromNullable(id === void 0 ? void 0 : entry(id)?.row);
    }),
    executions: (filter) => Effect3.sync(() => {
      const rows = [...executions.values()].map((e) => e.row).filter((row) => matches(row, filter)).reverse();
      return filter.limit === void 0 ? rows : rows.slice(0, filter.limit);
    }),
    tasks: (id) => Effect3.sync(() => [...entry(id)?.tasks.values() ?? []].sort((a, b) => a.position - b.position)),
    attempts: (id) => Effect3.sync(
      () => [...entry(id)?.attempts.values() ?? []].sort(
        (a, b) => a.taskId === b.taskId ? a.attempt - b.attempt : a.taskId < b.taskId ? -1 : 1
      )
    ),
    events: (id) => Effect3.sync(() => [...entry(id)?.events ?? []])
  };
};

// src/internal/storage/sql.ts
import { Reactivity } from "@effect/experimental";
import { Migrator, SqlClient as SqlClient2 } from "@effect/sql";
import { PgClient } from "@effect/sql-pg";
import { SqliteClient } from "@effect/sql-sqlite-node";
import { Deferred as Deferred2, Effect as Effect5, FiberId, Layer, Option as Option2, Redacted, Schema as Schema2 } from "effect";

// src/internal/storage/migrations.ts
import { SqlClient } from "@effect/sql";
import { Effect as Effect4 } from "effect";
var init = Effect4.gen(function* () {
  const sql = yield* SqlClient.SqlClient;
  const bigint = sql.onDialectOrElse({ pg: () => "BIGINT", orElse: () => "INTEGER" });
  const serial = sql.onDialectOrElse({ pg: () => "BIGSERIAL PRIMARY KEY", orElse: () => "INTEGER PRIMARY KEY" });
  yield* sql.unsafe(`CREATE TABLE sluice_executions (
    id TEXT PRIMARY KEY,
    workflow_name TEXT NOT NULL,
    workflow_version TEXT NOT NULL,
    status TEXT NOT NULL,
    input TEXT NOT NULL,
    final_context TEXT,
    error_message TEXT,
    idempotency_key TEXT UNIQUE,
    task_count INTEGER NOT NULL,
    created_at ${bigint} NOT NULL,
    completed_at ${bigint}
  )`);
  yield* sql.unsafe(`CREATE INDEX sluice_executions_status ON sluice_executions (status)`);
  yield* sql.unsafe(`CREATE INDEX sluice_executions_created ON sluice_executions (created_at)`);
  yield* sql.unsafe(`CREATE TABLE sluice_journal (
    seq ${serial},
    execution_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    body TEXT NOT NULL
  )`);
  yield* sql.unsafe(`CREATE INDEX sluice_journal_execution ON sluice_journal (execution_id, seq)`);
});
var migrations = {
  "0001_init": init
};

// src/internal/storage/sql.ts
var Int = Schema2.Union(Schema2.Number, Schema2.NumberFromString);
var NullableInt = Schema2.NullOr(Int);
var JsonText = Schema2.parseJson();
var NullableJsonText = Schema2.NullOr(JsonText);
var ExecutionStatus = Schema2.Literal("Pending", "Running", "Paused", "Completed", "Failed", "Cancelled");
var TaskStatus = Schema2.Literal("Pending", "Running", "Retrying", "Completed", "Failed", "Skipped", "Cancelled");
var ExecutionSql = Schema2.Struct({
  id: Schema2.String,
  workflow_name: Schema2.String,
  workflow_version: Schema2.String,
  status: ExecutionStatus,
  input: JsonText,
  final_context: NullableJsonText,
  error_message: Schema2.NullOr(Schema2.String),
  idempotency_key: Schema2.NullOr(Schema2.String),
  task_count: Int,
  created_at: Int,
  completed_at: NullableInt
});
var TaskBody = Schema2.Struct({
  taskId: Schema2.String,
  position: Schema2.Number,
  status: TaskStatus,
  attempts: Schema2.Number,
  output: Schema2.NullOr(Schema2.Struct({
    set: Schema2.Record({ key: Schema2.String, value: Schema2.Unknown }),
    deleted: Schema2.Array(Schema2.String)
  })),
  error: Schema2.NullOr(Schema2.String),
  reason: Schema2.NullOr(Schema2.String),
  startedAt: Schema2.NullOr(Schema2.Number),
  completedAt: Schema2.NullOr(Schema2.Number),
  retryAt: Schema2.NullOr(Schema2.Number)
});
var AttemptBody = Schema2.Struct({
  taskId: Schema2.String,
  attempt: Schema2.Number,
  status: Schema2.Literal("Running", "Completed", "Failed", "Interrupted"),
  error: Schema2.NullOr(Schema2.String),
  startedAt: Schema2.Number,
  completedAt: Schema2.NullOr(Schema2.Number)
});
var ForgetBody = Schema2.Struct({ taskId: Schema2.String, attempt: Schema2.Number });
var EventBody = Schema2.Struct({
  taskId: Schema2.NullOr(Schema2.String),
  type: Schema2.String,
  at: Schema2.Number,
  data: Schema2.Record({ key: Schema2.String, value: Schema2.Unknown })
});
var RoundBody = Schema2.parseJson(Schema2.Struct({
  t: Schema2.optional(Schema2.Array(TaskBody)),
  a: Schema2.optional(Schema2.Array(AttemptBody)),
  f: Schema2.optional(Schema2.Array(ForgetBody)),
  e: Schema2.optional(Schema2.Array(EventBody))
}));
var JournalSql = Schema2.Struct({ body: Schema2.String });
var toExecution = (r) => ({
  id: r.id,
  workflowName: r.workflow_name,
  workflowVersion: r.workflow_version,
  status: r.status,
  input: deepFreeze(r.input),
  finalContext: r.final_context === null ? null : deepFreeze(r.final_context),
  errorMessage: r.error_message,
  idempotencyKey: r.idempotency_key,
  taskCount: r.task_count,
  createdAt: r.created_at,
  completedAt: r.completed_at
});
var mergeBatches = (batches) => {
  if (batches.length === 1) return batches[0];
  const updates = /* @__PURE__ */ new Map();
  for (const b of batches) for (const u of b.executionUpdates) updates.set(u.id, { ...updates.get(u.id), ...u });
  return {
    executions: batches.flatMap((b) => b.executions),
    executionUpdates: [...updates.values()],
    tasks: batches.flatMap((b) => b.tasks),
    attempts: batches.flatMap((b) => b.attempts),
    attemptDeletes: batches.flatMap((b) => b.attemptDeletes),
    events: batches.flatMap((b) => b.events)
  };
};
var chunksOf = (rows, size) => {
  const out = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
};
var json = (value) => value === null ? null : JSON.stringify(value);
var journalEntries = (batch) => {
  const rounds = /* @__PURE__ */ new Map();
  const round = (id) => {
    let r = rounds.get(id);
    if (r === void 0) rounds.set(id, r = {});
    return r;
  };
  for (const { executionId, ...row } of batch.tasks) (round(executionId).t ??= []).push(row);
  for (const { executionId, ...row } of batch.attempts) (round(executionId).a ??= []).push(row);
  for (const { executionId, ...row } of batch.attemptDeletes) (round(executionId).f ??= []).push(row);
  for (const { executionId, ...row } of batch.events) (round(executionId).e ??= []).push(row);
  if (rounds.size === 0) return void 0;
  const entries = [];
  for (const [id, r] of rounds) entries.push([id, "round", JSON.stringify(r)]);
  return JSON.stringify(entries);
};
var insertJournal = (sql, entries) => sql.onDialectOrElse({
  pg: () => sql.unsafe(
    `INSERT INTO sluice_journal (execution_id, kind, body)
         SELECT e->>0, e->>1, e->>2 FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS t(e, n) ORDER BY n`,
    [entries]
  ),
  orElse: () => sql.unsafe(
    `INSERT INTO sluice_journal (execution_id, kind, body)
         SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(?) ORDER BY key`,
    [entries]
  )
});
var writeBatch = (sql, batch) => {
  const entries = journalEntries(batch);
  const journal = entries === void 0 ? [] : [insertJournal(sql, entries)];
  const executions = [
    ...chunksOf(batch.executions, 200).map(
      (chunk) => sql`INSERT INTO sluice_executions ${sql.insert(chunk.map((e) => ({
        id: e.id,
        workflow_name: e.workflowName,
        workflow_version: e.workflowVersion,
        status: e.status,
        input: JSON.stringify(e.input),
        final_context: json(e.finalContext),
        error_message: e.errorMessage,
        idempotency_key: e.idempotencyKey,
        task_count: e.taskCount,
        created_at: e.createdAt,
        completed_at: e.completedAt
      })))}`
    ),
    ...batch.executionUpdates.map(
      (u) => sql`UPDATE sluice_executions SET status = ${u.status}, final_context = ${json(u.finalContext)},
        error_message = ${u.errorMessage}, completed_at = ${u.completedAt} WHERE id = ${u.id}`
    )
  ];
  const statements = [...executions, ...journal];
  if (statements.length === 0) return Effect5.void;
  if (statements.length === 1) return Effect5.asVoid(statements[0]);
  return sql.withTransaction(Effect5.all(statements, { discard: true }));
};
var storageError = (operation) => (cause) => new StorageError({ operation, cause });
var make2 = Effect5.gen(function* () {
  const sql = yield* SqlClient2.SqlClient;
  yield* runMigrations(sql);
  const waiting = [];
  const writer = yield* Effect5.makeSemaphore(1);
  const writeWaiting = Effect5.suspend(() => {
    if (waiting.length === 0) return Effect5.void;
    const group = waiting.splice(0);
    return writeBatch(sql, mergeBatches(group.map((p) => p.batch))).pipe(
      Effect5.mapError(storageError("commit")),
      Effect5.exit,
      Effect5.map((exit) => {
        for (const p of group) Deferred2.unsafeDone(p.done, exit);
      })
    );
  });
  const commit = (batch) => Effect5.suspend(() => {
    const done = Deferred2.unsafeMake(FiberId.none);
    waiting.push({ batch, done });
    return Effect5.zipRight(writer.withPermits(1)(Effect5.uninterruptible(writeWaiting)), Deferred2.await(done));
  });
  const query = (operation, schema, run, to) => run.pipe(
    Effect5.flatMap(
      (rows) => Schema2.decodeUnknown(Schema2.Array(schema))(rows)
    ),
    Effect5.map((rows) => rows.map(to)),
    Effect5.mapError(storageError(operation))
  );
  const rounds = (id) => query(
    "read journal",
    JournalSql,
    sql`SELECT body FROM sluice_journal WHERE execution_id = ${id} ORDER BY seq`,
    (row) => row.body
  );
  const fold = (operation, id, f) => Effect5.flatMap(
    rounds(id),
    (bodies) => Effect5.try({ try: () => f(bodies.map((b) => Schema2.decodeSync(RoundBody)(b))), catch: storageError(operation) })
  );
  const service = {
    commit,
    execution: (id) => Effect5.map(
      query("read execution", ExecutionSql, sql`SELECT * FROM sluice_executions WHERE id = ${id}`, toExecution),
      (rows) => Option2.fromNullable(rows[0])
    ),
    executionByIdempotencyKey: (key) => Effect5.map(
      query(
        "read execution",
        ExecutionSql,
        sql`SELECT * FROM sluice_executions WHERE idempotency_key = ${key}`,
        toExecution
      ),
      (rows) => Option2.fromNullable(rows[0])
    ),
    executions: (filter) => {
      const statuses = filter.status === void 0 ? void 0 : typeof filter.status === "string" ? [filter.status] : filter.status;
      const conditions = [
        ...filter.workflowName === void 0 ? [] : [sql`workflow_name = ${filter.workflowName}`],
        ...statuses === void 0 ? [] : [statuses.length === 0 ? sql`1 = 0` : sql.in("status", statuses)]
      ];
      const limit = filter.limit === void 0 ? sql`` : sql`LIMIT ${filter.limit}`;
      return query(
        "list executions",
        ExecutionSql,
        sql`SELECT * FROM sluice_executions WHERE ${sql.and(conditions)} ORDER BY created_at DESC, id DESC ${limit}`,
        toExecution
      );
    },
    tasks: (id) => fold("read tasks", id, (rounds2) => {
      const byTask = /* @__PURE__ */ new Map();
      for (const round of rounds2) {
        for (const row of round.t ?? []) {
          byTask.set(row.taskId, {
            executionId: id,
            ...row,
            output: row.output === null ? null : deepFreeze(row.output)
          });
        }
      }
      return [...byTask.values()].sort((a, b) => a.position - b.position);
    }),
    attempts: (id) => fold("read attempts", id, (rounds2) => {
      const byAttempt = /* @__PURE__ */ new Map();
      for (const round of rounds2) {
        for (const row of round.a ?? []) {
          byAttempt.set(`${row.taskId}\0${row.attempt}`, { executionId: id, ...row });
        }
        for (const { attempt, taskId } of round.f ?? []) byAttempt.delete(`${taskId}\0${attempt}`);
      }
      return [...byAttempt.values()].sort(
        (a, b) => a.taskId === b.taskId ? a.attempt - b.attempt : a.taskId < b.taskId ? -1 : 1
      );
    }),
    events: (id) => fold(
      "read events",
      id,
      (rounds2) => rounds2.flatMap(
        (round) => (round.e ?? []).map((row) => ({
          executionId: id,
          ...row,
          data: deepFreeze(row.data)
        }))
      )
    )
  };
  return service;
});
var runMigrations = (sql) => {
  const migrate = Migrator.make({})({ loader: Migrator.fromRecord(migrations), table: "sluice_migrations" });
  const serialized = sql.onDialectOrElse({
    pg: () => sql.withTransaction(
      Effect5.all([
        sql`SELECT pg_advisory_xact_lock(hashtext('sluice_migrations'))`,
        sql`CREATE TABLE IF NOT EXISTS sluice_migrations (
            migration_id integer primary key,
            created_at timestamp with time zone not null default now(),
            name text not null
          )`,
        migrate
      ], { discard: true })
    ),
    orElse: () => Effect5.asVoid(migrate)
  });
  return serialized.pipe(
    Effect5.provideService(SqlClient2.SqlClient, sql),
    Effect5.mapError(storageError("migrate")),
    Effect5.catchAllDefect((defect) => Effect5.fail(new StorageError({ operation: "migrate", cause: defect })))
  );
};
var isBusy = (cause) => /SQLITE_BUSY|database is locked/.test(String(cause?.cause ?? cause)) || cause?.code === "SQLITE_BUSY";
var layerSqlite = (options) => Layer.scoped(
  Storage,
  Effect5.gen(function* () {
    const { filename } = options;
    const inMemory = filename === ":memory:";
    const failed = (operation) => (cause) => new StorageError({
      operation: `${operation} ${filename}`,
      cause: isBusy(cause) ? new Error(
        "the database file is in use by another sluice runner process (one runner per SQLite file; PostgreSQL lets runners share work)"
      ) : cause
    });
    const client = yield* SqliteClient.make({ filename }).pipe(
      Effect5.catchAllDefect((d) => Effect5.fail(failed("open")(d)))
    );
    const pragma = (statement) => client.unsafe(statement).pipe(Effect5.mapError(failed("configure")));
    yield* pragma(`PRAGMA synchronous = ${options.synchronous === "full" ? "FULL" : "NORMAL"}`);
    yield* pragma(`PRAGMA busy_timeout = 2000`);
    if (!inMemory) {
      yield* pragma(`PRAGMA locking_mode = EXCLUSIVE`);
      yield* pragma(`BEGIN IMMEDIATE`);
      yield* pragma(`COMMIT`);
    }
    return yield* Effect5.provideService(make2, SqlClient2.SqlClient, client);
  })
).pipe(Layer.provide(Reactivity.layer));
var layerPostgres = (options) => Layer.scoped(
  Storage,
  Effect5.gen(function* () {
    const client = yield* PgClient.make({
      url: Redacted.make(options.url),
      maxConnections: options.maxConnections ?? 8
    }).pipe(Effect5.mapError(storageError("connect")));
    return yield* Effect5.provideService(make2, SqlClient2.SqlClient, client);
  })
).pipe(Layer.provide(Reactivity.layer));

// src/internal/storage/url.ts
import { Effect as Effect6 } from "effect";
var parseStorageUrl = (url) => Effect6.suspend(() => {
  const fail = (detail) => Effect6.fail(new InvalidStorageUrlError({ url: String(url), detail }));
  if (typeof url !== "string" || url.trim() === "") return fail("expected a non-empty string");
  if (url === "memory://" || url === "memory:") return Effect6.succeed({ _tag: "Memory" });
  if (url.startsWith("postgres://") || url.startsWith("postgresql://")) {
    try {
      const parsed = new URL(url);
      if (parsed.hostname === "") return fail("no host");
    } catch {
      return fail("not a valid URL");
    }
    return Effect6.succeed({ _tag: "Postgres", url });
  }
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(url);
  if (url.startsWith("sqlite:")) {
    let rest = url.slice("sqlite:".length);
    if (rest.startsWith("//")) rest = rest.slice(2);
    const query = rest.indexOf("?");
    if (query >= 0) rest = rest.slice(0, query);
    if (rest === "") return fail("no file name (use sqlite://:memory: for an in-memory database)");
    return Effect6.succeed({ _tag: "Sqlite", filename: rest });
  }
  if (scheme !== null && scheme[1].length > 1) {
    return fail(`unsupported scheme "${scheme[1]}" (use sqlite://, postgres://, memory:// or a file path)`);
  }
  if (url === ":memory:") return Effect6.succeed({ _tag: "Sqlite", filename: ":memory:" });
  if (/[\0]/.test(url)) return fail("the path contains a NUL byte");
  return Effect6.succeed({ _tag: "Sqlite", filename: url });
});

// src/Storage.ts
var Storage = class _Storage extends Context.Tag("sluice/Storage")() {
  /** Storage in process memory: fastest, and gone with the process. */
  static layerMemory = Layer2.sync(_Storage, make);
  /**
   * SQLite through `@effect/sql-sqlite-node`: `":memory:"` or a file path (WAL journal). Runs
   * the migrations when it starts.
   */
  static layerSqlite(options) {
    return layerSqlite(options);
  }
  /** PostgreSQL through `@effect/sql-pg`. Runs the migrations when it starts. */
  static layerPostgres(options) {
    return layerPostgres(options);
  }
  /**
   * Storage from a URL: `sqlite://:memory:`, `sqlite://relative.db`, `sqlite:///absolute.db`,
   * a bare file path, `postgres://…` / `postgresql://…`, or `memory://`. An unusable URL fails
   * the layer with `InvalidStorageUrlError`.
   */
  static layerFromUrl(url) {
    return Layer2.unwrapEffect(Effect7.map(parseStorageUrl(url), (target) => {
      switch (target._tag) {
        case "Memory":
          return _Storage.layerMemory;
        case "Sqlite":
          return _Storage.layerSqlite({ filename: target.filename });
        case "Postgres":
          return _Storage.layerPostgres({ url: target.url });
      }
    }));
  }
};
var layerMemory = Storage.layerMemory;

// src/Workflow.ts
var Workflow_exports = {};
__export(Workflow_exports, {
  TypeId: () => TypeId,
  isWorkflow: () => isWorkflow,
  leaves: () => leaves,
  levels: () => levels,
  make: () => make3,
  roots: () => roots,
  toMermaid: () => toMermaid,
  topologicalOrder: () => topologicalOrder,
  validate: () => validate,
  version: () => version
});
import { Effect as Effect8 } from "effect";
import { createHash } from "node:crypto";

// src/internal/graph.ts
var idPattern = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
var isValidId = (id) => typeof id === "string" && id.length <= 200 && idPattern.test(id);
var compile = (name, tasks) => {
  const fail = (fields) => {
    throw new WorkflowDefinitionError({ ...fields, workflowName: name });
  };
  if (typeof name !== "string" || name.trim().length === 0 || /[\s/]/.test(name)) {
    fail({
      reason: "InvalidWorkflowName",
      detail: `workflow name must be a non-empty string without spaces or "/", got ${JSON.stringify(name)}`
    });
  }
  if (tasks.length === 0) fail({ reason: "EmptyWorkflow", detail: "a workflow needs at least one task" });
  const ids = [];
  const index = /* @__PURE__ */ new Map();
  for (const task of tasks) {
    if (!isValidId(task.id)) {
      fail({
        reason: "InvalidTaskId",
        taskId: String(task.id),
        detail: `invalid task id ${JSON.stringify(task.id)}: use letters, digits, "_", "-" and "." (at most 200)`
      });
    }
    if (index.has(task.id)) {
      fail({ reason: "DuplicateTaskId", taskId: task.id, detail: `duplicate task id "${task.id}"` });
    }
    index.set(task.id, ids.length);
    ids.push(task.id);
  }
  const n = ids.length;
  const deps = new Array(n);
  const succs = Array.from({ length: n }, () => []);
  for (let i = 0; i < n; i++) {
    const task = tasks[i];
    const seen = /* @__PURE__ */ new Set();
    deps[i] = [];
    for (const dep of task.dependencies) {
      const d = index.get(dep);
      if (d === void 0) {
        fail({
          reason: "UnknownDependency",
          taskId: task.id,
          detail: `task "${task.id}" depends on "${dep}", which is not a task of this workflow`
        });
      } else if (!seen.has(d)) {
        seen.add(d);
        deps[i].push(d);
        succs[d].push(i);
      }
    }
  }
  const remaining = deps.map((d) => d.length);
  const level = new Array(n).fill(0);
  const queue = [];
  for (let i = 0; i < n; i++) if (remaining[i] === 0) queue.push(i);
  let maxLevel = 0;
  for (let head = 0; head < queue.length; head++) {
    const t = queue[head];
    for (const s of succs[t]) {
      if (level[t] + 1 > level[s]) level[s] = level[t] + 1;
      if (--remaining[s] === 0) queue.push(s);
    }
    if (level[t] > maxLevel) maxLevel = level[t];
  }
  if (queue.length < n) {
    const cycle = findCycle(deps, remaining).map((i) => ids[i]);
    fail({ reason: "Cycle", cycle, detail: `cycle: ${cycle.join(" -> ")}` });
  }
  const levels2 = Array.from({ length: maxLevel + 1 }, () => []);
  for (let i = 0; i < n; i++) levels2[level[i]].push(i);
  const topo = levels2.flat();
  const position = new Array(n);
  topo.forEach((task, at) => position[task] = at);
  for (let i = 0; i < n; i++) {
    const refs = referencedTasks(tasks[i].triggerRule);
    if (refs.length === 0) continue;
    const ancestors = ancestorsOf(i, deps);
    for (const ref of refs) {
      const r = index.get(ref);
      if (r === void 0 || !ancestors.has(r)) {
        fail({
          reason: "InvalidTriggerRule",
          taskId: ids[i],
          detail: `the trigger rule of "${ids[i]}" refers to "${ref}", which is not upstream of it`
        });
      }
    }
  }
  return {
    ids,
    index,
    deps,
    succs,
    topo,
    position,
    levels: levels2,
    roots: levels2[0],
    leaves: topo.filter((i) => succs[i].length === 0)
  };
};
var findCycle = (deps, remaining) => {
  const start2 = remaining.findIndex((r) => r > 0);
  const position = /* @__PURE__ */ new Map();
  const path = [];
  let node = start2;
  while (!position.has(node)) {
    position.set(node, path.length);
    path.push(node);
    node = deps[node].find((d) => remaining[d] > 0);
  }
  const loop = path.slice(position.get(node)).reverse();
  return [...loop, loop[0]];
};
var ancestorsOf = (i, deps) => {
  const seen = /* @__PURE__ */ new Set();
  const stack = [...deps[i]];
  while (stack.length > 0) {
    const d = stack.pop();
    if (seen.has(d)) continue;
    seen.add(d);
    stack.push(...deps[d]);
  }
  return seen;
};

// src/Workflow.ts
var TypeId = /* @__PURE__ */ Symbol.for("sluice/Workflow");
var hashDefinition = (name, tasks) => {
  const hash = createHash("sha256");
  hash.update(name);
  for (const t of tasks) {
    hash.update(
      JSON.stringify([
        t.id,
        t.dependencies,
        describe2(t.triggerRule),
        t.retry.description,
        t.timeoutMs ?? null,
        String(t.run)
      ])
    );
  }
  return hash.digest("hex").slice(0, 16);
};
var make3 = (options) => {
  const tasks = [...new Set(options.tasks ?? [])];
  const graph = compile(options.name, tasks);
  return {
    [TypeId]: { _R: (_) => _ },
    name: options.name,
    description: options.description,
    tags: options.tags ?? [],
    tasks,
    version: hashDefinition(options.name, tasks),
    graph
  };
};
var validate = (options) => Effect8.try({
  try: () => make3(options),
  catch: (e) => e instanceof WorkflowDefinitionError ? e : new WorkflowDefinitionError({ reason: "InvalidOption", workflowName: options.name, detail: String(e) })
});
var isWorkflow = (u) => typeof u === "object" && u !== null && TypeId in u;
var idsOf = (workflow, indices) => indices.map((i) => workflow.graph.ids[i]);
var topologicalOrder = (workflow) => idsOf(workflow, workflow.graph.topo);
var levels = (workflow) => workflow.graph.levels.map((level) => idsOf(workflow, level));
var roots = (workflow) => idsOf(workflow, workflow.graph.roots);
var leaves = (workflow) => idsOf(workflow, workflow.graph.leaves);
var version = (workflow) => workflow.version;
var toMermaid = (workflow) => {
  const { graph } = workflow;
  const label = (i) => {
    const task = workflow.tasks[i];
    const rule = task.triggerRule._tag === "NoneFailed" ? "" : `<br/><i>${describe2(task.triggerRule)}</i>`;
    return `t${i}["${graph.ids[i]}${rule.replaceAll('"', "'")}"]`;
  };
  const lines = ["graph TD"];
  for (const i of graph.topo) {
    if (graph.deps[i].length === 0 && graph.succs[i].length === 0) lines.push(`  ${label(i)}`);
    for (const d of graph.deps[i]) lines.push(`  ${label(d)} --> ${label(i)}`);
  }
  return lines.join("\n");
};

// src/WorkflowResult.ts
var isFinal = (status) => status === "Completed" || status === "Failed" || status === "Cancelled";

// src/Runner.ts
var Runner = class _Runner extends Context2.Tag("sluice/Runner")() {
  /**
   * The runner as a layer. Its requirements are `Storage` plus what the workflows' Effect
   * bodies need; closing it interrupts running tasks and leaves their executions resumable.
   */
  static layer(config = {}) {
    return Layer3.scoped(_Runner, make4(config));
  }
};
var DEFAULT_MAX_CONCURRENT_TASKS = 4;
var checkConfig = (config) => Effect9.gen(function* () {
  const max = config.maxConcurrentTasks ?? DEFAULT_MAX_CONCURRENT_TASKS;
  if (typeof max !== "number" || !Number.isInteger(max) || max < 1) {
    return yield* new InvalidOptionError({
      option: "maxConcurrentTasks",
      detail: `must be an integer \u2265 1, got ${String(max)}`
    });
  }
  for (const workflow of config.workflows ?? []) {
    if (!isWorkflow(workflow)) {
      return yield* new WorkflowDefinitionError({
        reason: "InvalidOption",
        detail: "workflows must be made with Workflow.make"
      });
    }
  }
  return max;
});
var checkSubmitOptions = (options) => Effect9.gen(function* () {
  let timeout;
  if (options?.executionTimeout !== void 0) {
    const decoded = Duration.decodeUnknown(options.executionTimeout);
    if (Option3.isNone(decoded) || Duration.toMillis(decoded.value) <= 0) {
      return yield* new InvalidOptionError({
        option: "executionTimeout",
        detail: `not a positive duration: ${JSON.stringify(options.executionTimeout)}`
      });
    }
    timeout = decoded.value;
  }
  const key = options?.idempotencyKey;
  if (key !== void 0 && (typeof key !== "string" || key.length === 0)) {
    return yield* new InvalidOptionError({ option: "idempotencyKey", detail: "must be a non-empty string" });
  }
  return { timeout, key };
});
var toInfo = (row, tasks, workflow) => {
  let taskResults = tasks.map((t) => toTaskResult(t, t.taskId));
  if (workflow !== void 0 && tasks.length < workflow.tasks.length) {
    const byId = new Map(tasks.map((t) => [t.taskId, t]));
    taskResults = topologicalOrder(workflow).map((id) => toTaskResult(byId.get(id), id));
  }
  return {
    executionId: row.id,
    workflowName: row.workflowName,
    workflowVersion: row.workflowVersion,
    status: row.status,
    input: row.input,
    finalContext: row.finalContext ?? void 0,
    tasks: taskResults,
    startedAt: new Date(row.createdAt),
    completedAt: row.completedAt === null ? void 0 : new Date(row.completedAt),
    durationMs: row.completedAt === null ? void 0 : row.completedAt - row.createdAt,
    errorMessage: row.errorMessage ?? void 0,
    idempotencyKey: row.idempotencyKey ?? void 0
  };
};
var toSummary = (row) => {
  const { finalContext: _f, input: _i, tasks: _t, ...summary } = toInfo(row, [], void 0);
  return summary;
};
var toResult = (info) => ({
  executionId: info.executionId,
  workflowName: info.workflowName,
  workflowVersion: info.workflowVersion,
  status: info.status,
  finalContext: info.finalContext ?? {},
  tasks: info.tasks,
  startedAt: info.startedAt,
  completedAt: info.completedAt,
  durationMs: info.durationMs,
  errorMessage: info.errorMessage
});
var make4 = (config) => Effect9.gen(function* () {
  const maxConcurrentTasks = yield* checkConfig(config);
  const storage2 = yield* Storage;
  const services = yield* Effect9.context();
  const env = {
    storage: storage2,
    semaphore: yield* Effect9.makeSemaphore(maxConcurrentTasks),
    events: yield* PubSub2.unbounded()
  };
  const supervisors = yield* FiberMap2.make();
  const registry = /* @__PURE__ */ new Map();
  for (const workflow of config.workflows ?? []) registry.set(workflow.name, workflow);
  const active = /* @__PURE__ */ new Map();
  const keys = /* @__PURE__ */ new Map();
  const resolve = (target) => Effect9.suspend(() => {
    if (typeof target === "string") {
      const workflow = registry.get(target);
      return workflow === void 0 ? Effect9.fail(new WorkflowNotFoundError({ workflowName: target, known: [...registry.keys()] })) : Effect9.succeed(workflow);
    }
    if (!isWorkflow(target)) {
      return Effect9.fail(
        new WorkflowDefinitionError({
          reason: "InvalidOption",
          detail: "not a workflow: make it with Workflow.make"
        })
      );
    }
    if (!registry.has(target.name)) registry.set(target.name, target);
    return Effect9.succeed(target);
  });
  const start2 = (execution, options) => FiberMap2.run(
    supervisors,
    execution.state.executionId,
    supervise(env, execution, options).pipe(
      Effect9.ensuring(Effect9.sync(() => active.delete(execution.state.executionId))),
      Effect9.provide(services)
    )
  );
  const message = (executionId, tag) => Effect9.gen(function* () {
    const execution = active.get(executionId);
    if (execution === void 0) return false;
    const ack = yield* Deferred3.make();
    yield* Queue2.offer(
      execution.mailbox,
      tag === "Cancel" ? { _tag: "Cancel", reason: "cancelled", ack } : { _tag: tag, ack }
    );
    yield* Effect9.raceFirst(Deferred3.await(ack), Deferred3.await(execution.done).pipe(Effect9.ignore));
    return true;
  });
  const control = (tag) => (executionId) => Effect9.gen(function* () {
    if (yield* message(executionId, tag)) return;
    const row = yield* storage2.execution(executionId);
    if (Option3.isNone(row)) return yield* new ExecutionNotFoundError({ executionId });
    if (isFinal(row.value.status)) return;
    const status = tag === "Cancel" ? "Cancelled" : tag === "Pause" ? "Paused" : "Running";
    const now = yield* Clock2.currentTimeMillis;
    yield* storage2.commit({
      executions: [],
      executionUpdates: [{
        id: executionId,
        status,
        finalContext: null,
        errorMessage: tag === "Cancel" ? "cancelled" : null,
        completedAt: tag === "Cancel" ? now : null
      }],
      tasks: [],
      attempts: [],
      attemptDeletes: [],
      events: []
    });
  });
  const get = (executionId) => Effect9.gen(function* () {
    const row = yield* storage2.execution(executionId);
    if (Option3.isNone(row)) return yield* new ExecutionNotFoundError({ executionId });
    const tasks = yield* storage2.tasks(executionId);
    return toInfo(row.value, tasks, registry.get(row.value.workflowName));
  });
  const result = (executionId) => Effect9.suspend(() => {
    const execution = active.get(executionId);
    if (execution !== void 0) return Deferred3.await(execution.done);
    return Effect9.flatMap(get(executionId), (info) => isFinal(info.status) ? Effect9.succeed(toResult(info)) : Effect9.fail(new WorkflowNotFoundError({ workflowName: info.workflowName, known: [...registry.keys()] })));
  });
  const handleOf = (executionId, execution) => ({
    executionId,
    result: execution === void 0 ? Effect9.catchTag(result(executionId), "ExecutionNotFoundError", Effect9.die) : Deferred3.await(execution.done),
    events: execution?.log === void 0 ? Stream.fromIterableEffect(Effect9.orDie(history(executionId))) : Stream.fromPubSub(execution.log).pipe(Stream.takeUntil(isFinished)),
    cancel: Effect9.asVoid(
      Effect9.catchTag(control("Cancel")(executionId), "ExecutionNotFoundError", () => Effect9.void)
    ),
    pause: Effect9.asVoid(Effect9.catchTag(control("Pause")(executionId), "ExecutionNotFoundError", () => Effect9.void)),
    resume: Effect9.asVoid(
      Effect9.catchTag(control("Resume")(executionId), "ExecutionNotFoundError", () => Effect9.void)
    )
  });
  const history = (executionId) => Effect9.gen(function* () {
    const row = yield* storage2.execution(executionId);
    if (Option3.isNone(row)) return yield* new ExecutionNotFoundError({ executionId });
    return (yield* storage2.events(executionId)).map(fromEventRow);
  });
  const begin = (target, input, options, withLog) => Effect9.gen(function* () {
    const workflow = yield* resolve(target);
    const frozenInput = yield* Effect9.try({
      try: () => toFrozenJsonObject(input),
      catch: (e) => e
    });
    const { key, timeout } = yield* checkSubmitOptions(options);
    if (key !== void 0) {
      const known = keys.get(key) ?? Option3.getOrUndefined(yield* storage2.executionByIdempotencyKey(key))?.id;
      if (known !== void 0) return handleOf(known, active.get(known));
    }
    const executionId = randomUUID();
    if (key !== void 0) keys.set(key, executionId);
    const state = new ExecutionState(workflow, {
      executionId,
      input: frozenInput,
      createdAt: yield* Clock2.currentTimeMillis,
      idempotencyKey: key ?? null
    }, maxConcurrentTasks);
    const execution = {
      state,
      mailbox: yield* Queue2.unbounded(),
      done: yield* Deferred3.make(),
      log: withLog ? yield* PubSub2.unbounded({ replay: Number.MAX_SAFE_INTEGER }) : void 0
    };
    state.begin(state.meta.createdAt);
    yield* flush(env, execution);
    active.set(executionId, execution);
    yield* start2(execution, { executionTimeout: timeout });
    return handleOf(executionId, execution);
  });
  const recover = Effect9.gen(function* () {
    const unfinished = yield* storage2.executions({ status: ["Pending", "Running", "Paused"] });
    for (const row of unfinished.toReversed()) {
      const workflow = registry.get(row.workflowName);
      if (workflow === void 0) {
        yield* Effect9.logWarning(`execution ${row.id} of unknown workflow "${row.workflowName}" is left as it is`);
        continue;
      }
      const tasks = yield* storage2.tasks(row.id);
      if (tasks.some((t) => !workflow.graph.index.has(t.taskId))) {
        yield* Effect9.logWarning(
          `execution ${row.id}: workflow "${row.workflowName}" no longer has all its tasks; left as it is`
        );
        continue;
      }
      const state = new ExecutionState(workflow, {
        executionId: row.id,
        input: row.input,
        createdAt: row.createdAt,
        idempotencyKey: row.idempotencyKey
      }, maxConcurrentTasks);
      const waiting = state.restore(tasks, row.status === "Paused", yield* Clock2.currentTimeMillis);
      const execution = {
        state,
        mailbox: yield* Queue2.unbounded(),
        done: yield* Deferred3.make(),
        log: void 0
      };
      if (row.idempotencyKey !== null) keys.set(row.idempotencyKey, row.id);
      active.set(row.id, execution);
      yield* start2(execution, { waiting });
    }
  });
  if (config.recover !== false) yield* recover;
  const service = {
    execute: (workflow, input, options) => Effect9.flatMap(begin(workflow, input, options, false), (handle) => handle.result),
    submit: (workflow, input, options) => begin(workflow, input, options, true),
    get,
    status: (executionId) => Effect9.map(get(executionId), (info) => info.status),
    list: (filter) => Effect9.map(storage2.executions(filter ?? {}), (rows) => rows.map(toSummary)),
    history,
    result,
    cancel: control("Cancel"),
    pause: control("Pause"),
    resume: control("Resume"),
    events: Stream.fromPubSub(env.events),
    register: (workflow) => isWorkflow(workflow) ? Effect9.sync(() => void registry.set(workflow.name, workflow)) : Effect9.fail(
      new WorkflowDefinitionError({
        reason: "InvalidOption",
        detail: "not a workflow: make it with Workflow.make"
      })
    ),
    workflows: Effect9.sync(() => [...registry.keys()])
  };
  return service;
});

// src/RetryPolicy.ts
import { Duration as Duration2, Option as Option4, Schedule } from "effect";
var none = {
  _tag: "RetryPolicy",
  strategy: "none",
  maxAttempts: 1,
  schedule: Schedule.stop,
  retryIf: void 0,
  description: "none"
};
var isRetryPolicy = (u) => typeof u === "object" && u !== null && u._tag === "RetryPolicy";

// src/Task.ts
var Task_exports = {};
__export(Task_exports, {
  TypeId: () => TypeId2,
  isTask: () => isTask,
  make: () => make5
});
import { Duration as Duration3, Option as Option5 } from "effect";
var TypeId2 = /* @__PURE__ */ Symbol.for("sluice/Task");
var invalidOption = (id, detail) => {
  throw new WorkflowDefinitionError({ reason: "InvalidOption", taskId: id, detail: `task "${id}": ${detail}` });
};
var make5 = (options) => {
  const id = options.id;
  if (typeof options.run !== "function") invalidOption(String(id), "run must be a function");
  const retry = options.retry ?? none;
  if (!isRetryPolicy(retry)) invalidOption(id, "retry must be a RetryPolicy");
  let timeoutMs;
  if (options.timeout !== void 0) {
    const decoded = Duration3.decodeUnknown(options.timeout);
    if (Option5.isNone(decoded) || typeof options.timeout === "number" && options.timeout < 0) {
      invalidOption(id, `timeout is not a duration: ${JSON.stringify(options.timeout)}`);
    } else {
      timeoutMs = Duration3.toMillis(decoded.value);
      if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) invalidOption(id, "timeout must be positive and finite");
    }
  }
  for (const cb of ["onSuccess", "onFailure"]) {
    if (options[cb] !== void 0 && typeof options[cb] !== "function") invalidOption(id, `${cb} must be a function`);
  }
  const dependencies = (options.dependencies ?? []).map((d) => typeof d === "string" ? d : d.id);
  return {
    [TypeId2]: { _R: (_) => _ },
    id,
    description: options.description,
    dependencies,
    run: options.run,
    retry,
    timeoutMs,
    triggerRule: options.triggerRule ?? noneFailed,
    onSuccess: options.onSuccess,
    onFailure: options.onFailure
  };
};
var isTask = (u) => typeof u === "object" && u !== null && TypeId2 in u;

// bench/floors.ts
import { Effect as Effect11, Queue as Queue3 } from "effect";

// bench/shapes.ts
var chain = (n) => ({
  name: "chain",
  n,
  deps: Array.from({ length: n }, (_, i) => i === 0 ? [] : [i - 1])
});
var fan = (n) => ({
  name: "fan-out/in",
  n,
  deps: Array.from(
    { length: n },
    (_, i) => i === 0 ? [] : i === n - 1 ? Array.from({ length: n - 2 }, (_2, j) => j + 1) : [0]
  )
});
var layered = (n, width = Math.round(Math.sqrt(n))) => {
  const depth = Math.ceil(n / width);
  const deps = [];
  for (let layer = 0; layer < depth; layer++) {
    for (let k = 0; k < width && deps.length < n; k++) {
      const i = deps.length;
      deps.push(layer === 0 ? [] : [.../* @__PURE__ */ new Set([i - width, (layer - 1) * width + (k + 1) % width])]);
    }
  }
  return { name: `diamond/layered ${width}w`, n, deps };
};
var successorsOf = (shape2) => {
  const succs = Array.from({ length: shape2.n }, () => []);
  shape2.deps.forEach((ds, i) => ds.forEach((d) => succs[d].push(i)));
  return succs;
};

// bench/floors.ts
var effectDag = (shape2, concurrency) => Effect11.gen(function* () {
  const succs = successorsOf(shape2);
  const remaining = shape2.deps.map((d) => d.length);
  const completions = yield* Queue3.unbounded();
  const semaphore = yield* Effect11.makeSemaphore(concurrency);
  const ready = [];
  for (let i = 0; i < shape2.n; i++) if (remaining[i] === 0) ready.push(i);
  let inFlight = 0;
  let done = 0;
  while (done < shape2.n) {
    while (ready.length > 0 && inFlight < concurrency) {
      const i = ready.pop();
      inFlight++;
      yield* Effect11.fork(semaphore.withPermits(1)(Effect11.void).pipe(Effect11.zipRight(Queue3.offer(completions, i))));
    }
    const finished = yield* Queue3.takeBetween(completions, 1, Number.MAX_SAFE_INTEGER);
    for (const i of finished) {
      inFlight--;
      done++;
      for (const s of succs[i]) if (--remaining[s] === 0) ready.push(s);
    }
  }
});

// bench/prof.tmp.ts
var kind = process.argv[3] ?? "fan";
var shape = kind === "chain" ? chain(1e4) : kind === "fan" ? fan(1e4) : layered(1e4);
var wf = Workflow_exports.make({ name: "p", tasks: shape.deps.map((d, i) => Task_exports.make({ id: `t${i}`, dependencies: d.map((x) => `t${x}`), run: () => {
} })) });
var storage = process.argv[2] === "file" ? Storage.layerSqlite({ filename: "/tmp/prof.db" }) : process.argv[2] === "sqlite" ? Storage.layerSqlite({ filename: ":memory:" }) : Storage.layerMemory;
var rt = ManagedRuntime2.make(Runner.layer({ maxConcurrentTasks: 64 }).pipe(Layer5.provide(storage)));
for (let i = 0; i < 5; i++) {
  let t = performance.now();
  await Effect12.runPromise(effectDag(shape, 64));
  const floor = performance.now() - t;
  t = performance.now();
  await rt.runPromise(Effect12.flatMap(Runner, (r) => r.execute(wf)));
  const ours = performance.now() - t;
  console.log(kind, process.argv[2], "floor", (floor * 1e3 / shape.n).toFixed(1), "ours", (ours * 1e3 / shape.n).toFixed(1), "\xB5s/task ratio", (ours / floor).toFixed(2));
}
await rt.dispose();
