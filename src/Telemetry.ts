/**
 * Tracing and metrics through Effect. Nothing to configure in sluice: provide a tracer (e.g.
 * `@effect/opentelemetry`'s `NodeSdk.layer`) to the runner's layer and every execution run on
 * that runner gets a span (`sluice.execution <workflow>`), and every task attempt one under it
 * (`sluice.task <task id>`), with these attributes: `sluice.workflow.name`,
 * `sluice.workflow.version`, `sluice.execution.id`, `sluice.task.id`, `sluice.task.attempt`,
 * `sluice.runner.id`, `sluice.status` (and `sluice.error` on failed attempts). A task body runs
 * with its attempt's span as parent: the spans it makes nest under it. Without a tracer no span
 * is made.
 *
 * The metrics are Effect `Metric`s (read them with `Metric.value`, or export them with
 * `@effect/opentelemetry`'s metrics layer), tagged with `workflow`.
 *
 * @since 0.6.0
 */
import { metrics as internal } from "./internal/runner/telemetry.js"

/**
 * `tasksStarted`, `tasksCompleted`, `tasksFailed`, `tasksRetried` (failed attempts followed by
 * another), `executionsFinished` (also tagged `status`), `taskDuration` (a histogram of attempt
 * durations in milliseconds).
 *
 * @since 0.6.0
 * @category metrics
 */
export const metrics = internal
