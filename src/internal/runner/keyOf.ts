/** How the key of a concurrency limit or a rate limit is computed, and how maps index it. */
/** One key of one limit (or bucket), as maps index it. */
export const keyId = (name: string, key: string): string => `${name}\u0000${key}`

/**
 * A key given as a string or computed (from a task's context, a workflow's input). A function
 * that throws puts its task (or execution) under one shared key rather than none.
 */
export const resolveKey = <A>(key: string | ((arg: A) => string), arg: () => A): string => {
  if (typeof key === "string") return key
  try {
    return String(key(arg()))
  } catch (error) {
    return `(key failed: ${error instanceof Error ? error.message : String(error)})`
  }
}
