/** A progress bar of an execution's finished tasks out of all: `[█████░░░░░]  3/6 tasks  50%`. */
import type { Style } from "./style.js"
import { dim, green } from "./style.js"

export const progressLine = (style: Style, finished: number, total: number): string => {
  const label = ` ${finished}/${total} tasks  ${total === 0 ? 100 : Math.floor((finished / total) * 100)}%`
  const inner = Math.max(10, Math.min(40, style.width - label.length - 2))
  const full = total === 0 ? inner : Math.round((finished / total) * inner)
  return `[${green(style, "█".repeat(full))}${dim(style, "░".repeat(inner - full))}]${label}`
}
