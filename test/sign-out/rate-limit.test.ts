import { afterEach, describe, expect, it, jest } from '@jest/globals'
import { perSourceWindow, sourceKey } from '../../src/sign-out/rate-limit.js'

/** The revoke route's per-source limiter on a fixed clock: counts, windows, Retry-After, the source key, the bound. */

const T0 = 1_740_472_605_000
let now = T0
afterEach(() => {
  jest.restoreAllMocks()
})
function clock(): void {
  now = T0
  jest.spyOn(Date, 'now').mockImplementation(() => now)
}

describe('perSourceWindow', () => {
  it('lets max requests per window through, then answers the seconds until the window resets', () => {
    clock()
    const limiter = perSourceWindow({ max: 2, windowMs: 60_000 })
    expect([limiter.hit('203.0.113.7'), limiter.hit('203.0.113.7'), limiter.hit('203.0.113.7')]).toEqual([0, 0, 60])
    now = T0 + 30_000
    expect(limiter.hit('203.0.113.7')).toBe(30)
    now = T0 + 59_001
    expect(limiter.hit('203.0.113.7')).toBe(1)
    now = T0 + 60_000
    expect([limiter.hit('203.0.113.7'), limiter.hit('203.0.113.7'), limiter.hit('203.0.113.7')]).toEqual([0, 0, 60])
  })

  it('counts each source apart', () => {
    clock()
    const limiter = perSourceWindow({ max: 1, windowMs: 1000 })
    expect(limiter.hit('203.0.113.7')).toBe(0)
    expect(limiter.hit('203.0.113.8')).toBe(0)
    expect(limiter.hit('203.0.113.7')).toBe(1)
    expect(limiter.hit('::ffff:203.0.113.8')).toBe(1)
    expect(limiter.size).toBe(2)
  })

  it('forgets expired windows when a new source arrives, and keeps live ones', () => {
    clock()
    const limiter = perSourceWindow({ max: 1, windowMs: 1000 })
    limiter.hit('a')
    limiter.hit('b')
    now = T0 + 500
    limiter.hit('c')
    now = T0 + 1000
    limiter.hit('d')
    expect(limiter.size).toBe(2)
    expect(limiter.hit('c')).toBe(1)
  })

  it('keeps at most 10,000 sources: the oldest is forgotten first', () => {
    clock()
    const limiter = perSourceWindow({ max: 1, windowMs: 60_000 })
    for (let i = 0; i < 10_000; i++) limiter.hit(`s${i}`)
    expect(limiter.size).toBe(10_000)
    expect(limiter.hit('s9999')).toBe(60)
    limiter.hit('newcomer')
    expect(limiter.size).toBe(10_000)
    expect(limiter.hit('s0')).toBe(0)
  })

  it('a renewed window counts as the newest: a newcomer at the bound forgets an older source, not the renewed one', () => {
    clock()
    const limiter = perSourceWindow({ max: 1, windowMs: 60_000 })
    for (let i = 0; i < 10_000; i++) {
      now = T0 + i
      limiter.hit(`s${i}`)
    }
    now = T0 + 60_000
    expect(limiter.hit('s0')).toBe(0)
    limiter.hit('newcomer')
    expect(limiter.size).toBe(10_000)
    expect(limiter.hit('s0')).toBe(60)
    expect(limiter.hit('s1')).toBe(0)
  })

  it.each([
    ['no options', undefined],
    ['max 0', { max: 0, windowMs: 1000 }],
    ['max -1', { max: -1, windowMs: 1000 }],
    ['max 1.5', { max: 1.5, windowMs: 1000 }],
    ['max as a string', { max: '5', windowMs: 1000 }],
    ['max beyond a safe integer', { max: 2 ** 53, windowMs: 1000 }],
    ['windowMs 0', { max: 1, windowMs: 0 }],
    ['windowMs -1', { max: 1, windowMs: -1 }],
    ['windowMs Infinity', { max: 1, windowMs: Number.POSITIVE_INFINITY }],
    ['windowMs as a string', { max: 1, windowMs: '1000' }],
    ['no windowMs', { max: 1 }],
  ])('%s is a TypeError naming the option', (_name, options) => {
    expect(() => perSourceWindow(options)).toThrow(TypeError)
    expect(() => perSourceWindow(options)).toThrow('"rateLimit.')
  })

  it.each([
    ['max 1', { max: 1, windowMs: 1 }],
    ['windowMs 0.5', { max: 1, windowMs: 0.5 }],
  ])('%s is accepted', (_name, options) => {
    expect(() => perSourceWindow(options)).not.toThrow()
  })
})

describe('sourceKey', () => {
  it.each([
    [undefined, ''],
    ['', ''],
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['::FFFF:203.0.113.7', '203.0.113.7'],
    ['::ffff:198.51.100.10', '198.51.100.10'],
    ['::ffff:203.0.113.7x', '::ffff:203.0.113.7x'],
    ['x::ffff:203.0.113.7', 'x::ffff:203.0.113.7'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::1', '2001:db8:1:2::/64'],
    ['2001:DB8:0001:0002:ffff::', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['2001:db8:1:2:3::', '2001:db8:1:2::/64'],
    ['::1', '0:0:0:0::/64'],
    ['::', '0:0:0:0::/64'],
    ['1::2:3:4:5:6:7', '1:0:2:3::/64'],
    ['not an address', 'not an address'],
  ])('%j counts as %j', (ip, key) => {
    expect(sourceKey(ip)).toBe(key)
  })
})
