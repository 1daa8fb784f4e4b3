/** DAG shapes for the benchmarks, as dependency lists: deps[i] are the tasks task i waits for. */
export interface Shape {
  readonly name: string
  readonly n: number
  readonly deps: ReadonlyArray<ReadonlyArray<number>>
}

/** 0 → 1 → … → n-1 */
export const chain = (n: number): Shape => ({
  name: "chain",
  n,
  deps: Array.from({ length: n }, (_, i) => (i === 0 ? [] : [i - 1]))
})

/** 1 → (n-2) → 1 */
export const fan = (n: number): Shape => ({
  name: "fan-out/in",
  n,
  deps: Array.from(
    { length: n },
    (_, i) => (i === 0 ? [] : i === n - 1 ? Array.from({ length: n - 2 }, (_, j) => j + 1) : [0])
  )
})

/** Layers of `width` tasks, `n / width` deep; each task depends on two tasks of the layer above. */
export const layered = (n: number, width = Math.round(Math.sqrt(n))): Shape => {
  const depth = Math.ceil(n / width)
  const deps: Array<Array<number>> = []
  for (let layer = 0; layer < depth; layer++) {
    for (let k = 0; k < width && deps.length < n; k++) {
      const i = deps.length
      deps.push(layer === 0 ? [] : [...new Set([i - width, (layer - 1) * width + ((k + 1) % width)])])
    }
  }
  return { name: `diamond/layered ${width}w`, n, deps }
}

/** A random DAG: each task depends on up to 3 earlier tasks among the previous 50 (seeded). */
export const random = (n: number, seed = 7): Shape => {
  let state = seed >>> 0
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    return state / 4294967296
  }
  const deps = Array.from({ length: n }, (_, i) => {
    if (i === 0) return []
    const count = 1 + Math.floor(next() * 3)
    const picked = new Set<number>()
    for (let k = 0; k < count; k++) picked.add(Math.max(0, i - 1 - Math.floor(next() * Math.min(i, 50))))
    return [...picked]
  })
  return { name: "random", n, deps }
}

export const successorsOf = (shape: Shape): Array<Array<number>> => {
  const succs: Array<Array<number>> = Array.from({ length: shape.n }, () => [])
  shape.deps.forEach((ds, i) => ds.forEach((d) => succs[d].push(i)))
  return succs
}
