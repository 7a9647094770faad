import { describe, expect, it } from '@jest/globals'
import { isUUID, randomAlnum, uuidv7 } from '../../src/emulator/random.js'
import { formatDatetime, formatExpiry } from '../../src/emulator/time.js'

describe('random values and time formats', () => {
  it('makes alphanumeric strings of the asked length', () => {
    const values = new Set(Array.from({ length: 50 }, () => randomAlnum(128)))
    expect(values.size).toBe(50)
    for (const v of values) expect(v).toMatch(/^[A-Za-z0-9]{128}$/)
  })

  it('makes a UUIDv7 whose first 48 bits are the timestamp', () => {
    const ms = Date.UTC(2025, 1, 25, 6, 35, 50, 355)
    const id = uuidv7(ms)
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(ms)
    expect(id.slice(0, 13)).toBe('01953bd1-a6d3')
    expect(isUUID(id)).toBe(true)
    expect(isUUID('not-a-uuid')).toBe(false)
  })

  it('formats expiries with six zero fractional digits and datetimes with six digits', () => {
    const ms = Date.UTC(2025, 2, 4, 6, 35, 50, 555)
    expect(formatExpiry(ms)).toBe('2025-03-04T06:35:50.000000Z')
    expect(formatDatetime(ms)).toBe('2025-03-04T06:35:50.555000Z')
  })
})
