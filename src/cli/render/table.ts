/**
 * A text table that fits the width: columns take their widest cell, and when the row is too
 * wide the flexible columns give way (their cells cut with an ellipsis). Cells are data (ids,
 * names, runner ids read from storage): each goes through `safe`. Colour is applied after
 * measuring, so escape codes never count as width.
 */
import type { Style } from "./style.js"
import { bold, safe, truncate } from "./style.js"

export interface Column {
  readonly header: string
  /** Gives way when the table is too wide, down to `min`. */
  readonly flex?: boolean | undefined
  readonly min?: number | undefined
  readonly align?: "left" | "right" | undefined
  /** Colours a cell (given its text as shown and its row). */
  readonly paint?: ((style: Style, text: string, row: number) => string) | undefined
}

const GAP = 2

export const table = (style: Style, columns: ReadonlyArray<Column>, given: ReadonlyArray<ReadonlyArray<string>>) => {
  const rows = given.map((row) => row.map(safe))
  const widths = columns.map((c, i) => Math.max(c.header.length, ...rows.map((r) => (r[i] ?? "").length)))
  let over = widths.reduce((a, b) => a + b, 0) + GAP * (columns.length - 1) - style.width
  for (let i = columns.length - 1; i >= 0 && over > 0; i--) {
    if (columns[i].flex !== true) continue
    const give = Math.min(over, widths[i] - (columns[i].min ?? columns[i].header.length))
    if (give > 0) {
      widths[i] -= give
      over -= give
    }
  }
  const line = (cells: ReadonlyArray<string>, paint: (i: number, text: string) => string) =>
    cells.map((cell, i) => {
      const text = truncate(cell, widths[i])
      const padding = " ".repeat(widths[i] - text.length)
      const shown = paint(i, text)
      if (i === cells.length - 1 && columns[i].align !== "right") return shown
      return columns[i].align === "right" ? padding + shown : shown + padding
    }).join(" ".repeat(GAP)).trimEnd()
  return [
    line(columns.map((c) => c.header), (_, text) => bold(style, text)),
    ...rows.map((row, r) => line(row, (i, text) => columns[i].paint?.(style, text, r) ?? text))
  ]
}
