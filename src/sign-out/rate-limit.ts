/** A fixed-window counter: returns 0 while under the limit, else the seconds until the window resets. */
export function fixedWindow(limit: unknown): () => number {
  const { max, windowMs } = (limit ?? {}) as { max?: unknown; windowMs?: unknown }
  if (typeof max !== 'number' || !Number.isSafeInteger(max) || max <= 0) {
    throw new TypeError('"rateLimit.max" option must be a positive integer')
  }
  if (typeof windowMs !== 'number' || !Number.isFinite(windowMs) || windowMs <= 0) {
    throw new TypeError('"rateLimit.windowMs" option must be a positive number of milliseconds')
  }
  let start = 0
  let count = 0
  return () => {
    const now = Date.now()
    if (now - start >= windowMs) {
      start = now
      count = 0
    }
    if (++count <= max) return 0
    return Math.max(1, Math.ceil((start + windowMs - now) / 1000))
  }
}

