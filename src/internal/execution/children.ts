/**
 * How a child execution (`Task.workflow`) is named: it is submitted with the idempotency key
 * `sluice:child:<parent>/<task>#<turn>`, which starts it once per turn of the task wherever the
 * wait is armed, and says who its parent is.
 */
const prefix = "sluice:child:"

export const childKey = (parentId: string, taskId: string, turn: string): string =>
  `${prefix}${parentId}/${taskId}#${turn}`

/** The parent execution of a child, from its idempotency key. */
export const parentOf = (idempotencyKey: string | null | undefined): string | undefined => {
  if (idempotencyKey == null || !idempotencyKey.startsWith(prefix)) return undefined
  const end = idempotencyKey.indexOf("/", prefix.length)
  return end < 0 ? undefined : idempotencyKey.slice(prefix.length, end)
}
