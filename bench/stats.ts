/** The median of a list (the mean of the middle two for an even length). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** The `p`-th percentile (0–100), nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)))
  return sorted[rank - 1]!
}

/** Rounds to `digits` significant decimals for display and JSON. */
export function round(value: number, digits = 2): number {
  if (!Number.isFinite(value)) return value
  const f = 10 ** digits
  return Math.round(value * f) / f
}

/**
 * The least-squares line of `y` over `x`: its slope and the slope's standard error (`NaN` with fewer than three
 * points, or fewer than two distinct `x`).
 */
export function leastSquaresSlope(points: readonly { x: number; y: number }[]): { slope: number; standardError: number } {
  const n = points.length
  const meanX = points.reduce((s, p) => s + p.x, 0) / n
  const meanY = points.reduce((s, p) => s + p.y, 0) / n
  let sxy = 0
  let sxx = 0
  for (const p of points) {
    sxy += (p.x - meanX) * (p.y - meanY)
    sxx += (p.x - meanX) ** 2
  }
  const slope = sxx === 0 ? Number.NaN : sxy / sxx
  const residuals = points.reduce((s, p) => s + (p.y - meanY - slope * (p.x - meanX)) ** 2, 0)
  return { slope, standardError: n < 3 ? Number.NaN : Math.sqrt(residuals / (n - 2) / sxx) }
}
