/**
 * Where the SQL storage's tables are: an optional PostgreSQL schema (a tenant) and an optional
 * table-name prefix. Names are checked once here and quoted everywhere, so that the statement
 * texts are fixed for the storage's lifetime (one prepared statement each).
 */
import { Either } from "effect"
import { createHash } from "node:crypto"

export interface Tables {
  readonly schema: string | undefined
  readonly prefix: string
  readonly executions: string
  readonly journal: string
  readonly workflows: string
  /** PostgreSQL: the runners sharing the database, with their leases. */
  readonly runners: string
  /** PostgreSQL: attempts offered by their execution's owner to any runner. */
  readonly queue: string
  /** Signals sent to executions. */
  /** PostgreSQL: concurrency keys' slots taken by runners, and limits set at run time. */
  readonly slots: string
  readonly keyLimits: string
  /** PostgreSQL: rate limits' token buckets. */
  readonly buckets: string
  readonly signals: string
  /** Large values stored apart from the journal (see sql/blobs.ts). */
  readonly blobs: string
  /** Cron schedules and poll triggers, and their fires. */
  readonly schedules: string
  readonly fires: string
  /** PostgreSQL: the LISTEN/NOTIFY channel of these tables' runners (one per schema and prefix). */
  readonly channel: string
  /** SQLite: the view a group commit inserts into (see migrations.ts). */
  readonly writes: string
  /** Unqualified: the Migrator finds it through the search path (see migrations.ts). */
  readonly migrations: string
  /** Index names, which PostgreSQL keeps per schema. */
  readonly index: (name: string) => string
}

/**
 * The tables whose rows come and go (pruned with their executions, or dequeued): the ones to
 * vacuum often on PostgreSQL (see migrations.ts and footprint.ts).
 */
export const churned = (t: Tables): ReadonlyArray<string> => [
  t.executions,
  t.journal,
  t.signals,
  t.blobs,
  t.queue,
  t.fires
]

/** A PostgreSQL schema name as sluice accepts it (PostgreSQL identifiers are at most 63 bytes). */
export const schemaPattern = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/
/** Lower case: PostgreSQL folds unquoted names, and the Migrator looks its table up unquoted. */
const prefixPattern = /^[a-z_][a-z0-9_]{0,39}$/

export const tables = (
  options: { readonly schema?: string | undefined; readonly tablePrefix?: string | undefined }
): Either.Either<Tables, { readonly option: string; readonly detail: string }> => {
  const { schema, tablePrefix: prefix = "sluice_" } = options
  if (schema !== undefined && (typeof schema !== "string" || !schemaPattern.test(schema))) {
    return Either.left({
      option: "schema",
      detail: `must match ${schemaPattern.source}, got ${JSON.stringify(schema)}`
    })
  }
  if (typeof prefix !== "string" || !prefixPattern.test(prefix)) {
    return Either.left({
      option: "tablePrefix",
      detail: `must match ${prefixPattern.source}, got ${JSON.stringify(prefix)}`
    })
  }
  const name = (table: string) => schema === undefined ? `"${prefix}${table}"` : `"${schema}"."${prefix}${table}"`
  return Either.right({
    schema,
    prefix,
    executions: name("executions"),
    journal: name("journal"),
    workflows: name("workflows"),
    runners: name("runners"),
    queue: name("queue"),
    slots: name("slots"),
    keyLimits: name("key_limits"),
    buckets: name("buckets"),
    signals: name("signals"),
    blobs: name("blobs"),
    schedules: name("schedules"),
    fires: name("fires"),
    channel: `sluice_${createHash("sha256").update(`${schema ?? ""}\u0000${prefix}`).digest("hex").slice(0, 24)}`,
    writes: name("writes"),
    migrations: `${prefix}migrations`,
    index: (index) => `"${prefix}${index}"`
  })
}
