/** Percentile of a sample (nearest rank); the sample is not modified. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank]
}

export const round = (value: number, digits = 2): number => Number(value.toFixed(digits))
