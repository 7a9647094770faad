import { isIP } from 'node:net'

/** Most sources a limiter tracks at once; beyond it the oldest window is forgotten. */
const MAX_SOURCES = 10_000

/**
 * Fixed-window counters, one per source: `hit(source)` counts one request and returns 0 while the source is within
 * `max` per `windowMs`, else the seconds until its window resets. IPv6 sources count per /64 (one subscriber's
 * network), IPv4-mapped IPv6 addresses as their IPv4 form. At most {@link MAX_SOURCES} windows are kept (expired ones
 * first, then the oldest go), so the limiter's memory is bounded whatever the callers.
 * @throws TypeError naming the option.
 */
export function perSourceWindow(limit: unknown): { hit(source: string | undefined): number; readonly size: number } {
  // Typed as numbers once checked: Number.isSafeInteger and Number.isFinite are false for anything else.
  const { max, windowMs } = (limit ?? {}) as { max: number; windowMs: number }
  if (!Number.isSafeInteger(max) || max <= 0) {
    throw new TypeError('"rateLimit.max" option must be a positive integer')
  }
  if (!Number.isFinite(windowMs) || windowMs <= 0) {
    throw new TypeError('"rateLimit.windowMs" option must be a positive number of milliseconds')
  }
  const windows = new Map<string, { start: number; count: number }>()
  return {
    get size() {
      return windows.size
    },
    hit(source) {
      const key = sourceKey(source)
      const now = Date.now()
      let window = windows.get(key)
      if (window === undefined || now - window.start >= windowMs) {
        windows.delete(key)
        window = { start: now, count: 0 }
        windows.set(key, window)
        for (const [k, w] of windows) {
          if (windows.size <= MAX_SOURCES && now - w.start < windowMs) break
          windows.delete(k)
        }
      }
      if (++window.count <= max) return 0
      return Math.max(1, Math.ceil((window.start + windowMs - now) / 1000))
    },
  }
}

/** The address a request counts under: IPv4 as is, IPv4-mapped IPv6 as IPv4, other IPv6 by its /64 prefix. */
export function sourceKey(ip: string | undefined): string {
  if (ip === undefined) return '' // '' itself falls through to `return ip` below
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)
  if (mapped) return mapped[1]!
  if (isIP(ip) !== 6) return ip
  const [head = '', tail = ''] = ip.split('::')
  const left = head === '' ? [] : head.split(':')
  const right = ip.includes('::') ? (tail === '' ? [] : tail.split(':')) : []
  const groups = ip.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left
  return groups.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(':') + '::/64'
}
