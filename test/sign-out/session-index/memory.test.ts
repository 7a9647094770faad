import { randomUUID } from 'node:crypto'
import { describe, expect, test } from '@jest/globals'
import { MemorySessionIndex } from '../../../src/sign-out/session-index/memory.js'
import { DEFAULT_SESSION_INDEX_TTL } from '../../../src/sign-out/session-index/types.js'

const TOKEN = '01953bd1-a6d3-739e-8aa3-83e881f09055'
const OTHER = '01953bd1-a6d3-739e-8aa3-83e881f09056'

function clock(start = 1_700_000_000_000) {
  const c = { t: start, now: () => c.t, advance: (seconds: number) => (c.t += seconds * 1000) }
  return c
}

describe('MemorySessionIndex', () => {
  test('defaults its ttl to 30 days', () => {
    expect(new MemorySessionIndex().ttl).toBe(DEFAULT_SESSION_INDEX_TTL)
    expect(DEFAULT_SESSION_INDEX_TTL).toBe(2_592_000)
  })

  test('revoke returns every session bound to the token id and marks it revoked', async () => {
    const index = new MemorySessionIndex()
    await index.bind(TOKEN, 'sid-a')
    await index.bind(TOKEN, 'sid-b')
    await index.bind(OTHER, 'sid-c')
    expect(await index.isRevoked(TOKEN)).toBe(false)
    expect((await index.revoke(TOKEN))!.sort()).toEqual(['sid-a', 'sid-b'])
    expect(await index.isRevoked(TOKEN)).toBe(true)
    expect(await index.isRevoked(OTHER)).toBe(false)
    expect(await index.revoke(OTHER)).toEqual(['sid-c'])
  })

  test('a bind with keepPrevious (a token refresh) leaves the session under the old token id too; a plain bind moves it', async () => {
    const index = new MemorySessionIndex()
    await index.bind(TOKEN, 'sid-a')
    await index.bind(OTHER, 'sid-a', undefined, { keepPrevious: true })
    expect(await index.tokenIdOf('sid-a')).toBe(OTHER)
    expect(await index.revoke(TOKEN)).toEqual(['sid-a'])
    expect(await index.revoke(OTHER)).toEqual(['sid-a'])
    const moved = new MemorySessionIndex()
    await moved.bind(TOKEN, 'sid-b')
    await moved.bind(OTHER, 'sid-b')
    expect(await moved.revoke(TOKEN)).toBeUndefined()
    expect(await moved.revoke(OTHER)).toEqual(['sid-b'])
  })

  test('a repeated revoke returns nothing and keeps the mark', async () => {
    const index = new MemorySessionIndex()
    await index.bind(TOKEN, 'sid-a')
    await index.revoke(TOKEN)
    expect(await index.revoke(TOKEN)).toEqual([])
    expect(await index.isRevoked(TOKEN)).toBe(true)
  })

  test('revoking an unknown token id returns undefined and writes nothing', async () => {
    const index = new MemorySessionIndex()
    expect(await index.revoke(TOKEN)).toBeUndefined()
    expect(await index.isRevoked(TOKEN)).toBe(false)
    expect(index.size).toEqual({ bindings: 0, owners: 0, revoked: 0 })
  })

  test('100,001 junk revokes neither evict a real mark nor leave any entry', async () => {
    const index = new MemorySessionIndex()
    await index.bind(TOKEN, 'sid-a')
    expect(await index.revoke(TOKEN)).toEqual(['sid-a'])
    for (let i = 0; i < 100_001; i++) await index.revoke(randomUUID())
    expect(await index.isRevoked(TOKEN)).toBe(true)
    expect(index.size.revoked).toBe(1)
  })

  test('a token id bound without a session id (a cookie session) is revoked and marked', async () => {
    const index = new MemorySessionIndex()
    await index.bind(TOKEN, null)
    expect(index.size).toEqual({ bindings: 1, owners: 0, revoked: 0 })
    expect(await index.revoke(TOKEN)).toEqual([])
    expect(await index.isRevoked(TOKEN)).toBe(true)
  })

  test('unbind forgets a session, and its token id with its last session', async () => {
    const index = new MemorySessionIndex()
    await index.bind(TOKEN, 'sid-a')
    await index.bind(TOKEN, 'sid-b')
    await index.unbind('sid-a')
    expect(await index.tokenIdOf('sid-a')).toBeUndefined()
    expect(index.size).toEqual({ bindings: 1, owners: 1, revoked: 0 })
    await index.unbind('sid-b')
    await index.unbind('sid-unknown')
    expect(index.size).toEqual({ bindings: 0, owners: 0, revoked: 0 })
    expect(await index.revoke(TOKEN)).toBeUndefined()
  })

  test('unbinding the last session keeps a token id also bound without a session id', async () => {
    const index = new MemorySessionIndex()
    await index.bind(TOKEN, null)
    await index.bind(TOKEN, 'sid-a')
    await index.unbind('sid-a')
    expect(await index.revoke(TOKEN)).toEqual([])
    expect(await index.isRevoked(TOKEN)).toBe(true)
  })

  test('binding a session to a new token id takes it out of the old one', async () => {
    const index = new MemorySessionIndex()
    await index.bind(TOKEN, 'sid-a')
    await index.bind(OTHER, 'sid-a')
    expect(index.size).toEqual({ bindings: 1, owners: 1, revoked: 0 })
    expect(await index.revoke(TOKEN)).toBeUndefined()
    expect(await index.revoke(OTHER)).toEqual(['sid-a'])
  })

  test('token ids compare case-insensitively', async () => {
    const index = new MemorySessionIndex()
    await index.bind(TOKEN.toUpperCase(), 'sid-a')
    expect(await index.revoke(TOKEN)).toEqual(['sid-a'])
    expect(await index.isRevoked(TOKEN.toUpperCase())).toBe(true)
  })

  test('tokenIdOf maps a session id back to its token id, also after the revoke', async () => {
    const index = new MemorySessionIndex()
    await index.bind(TOKEN, 'sid-a')
    expect(await index.tokenIdOf('sid-a')).toBe(TOKEN)
    expect(await index.tokenIdOf('sid-unknown')).toBeUndefined()
    await index.revoke(TOKEN)
    expect(await index.tokenIdOf('sid-a')).toBe(TOKEN)
  })

  test('a binding expires after its ttl', async () => {
    const c = clock()
    const index = new MemorySessionIndex({ ttl: 60, now: c.now })
    await index.bind(TOKEN, 'sid-a')
    c.advance(59)
    expect(await index.tokenIdOf('sid-a')).toBe(TOKEN)
    c.advance(1)
    expect(await index.tokenIdOf('sid-a')).toBeUndefined()
    expect(await index.revoke(TOKEN)).toBeUndefined()
  })

  test('bind with a longer ttl than the index default keeps the binding that long', async () => {
    const c = clock()
    const index = new MemorySessionIndex({ ttl: 60, now: c.now })
    await index.bind(TOKEN, 'sid-a', 3600)
    c.advance(3599)
    expect(await index.revoke(TOKEN)).toEqual(['sid-a'])
  })

  test.each([
    ['a later bind of another session', 'sid-b', ['sid-a', 'sid-b']],
    ['binding the same session again', 'sid-a', ['sid-a']],
  ])('%s with a shorter ttl does not shorten the binding', async (_name, second, bound) => {
    const c = clock()
    const index = new MemorySessionIndex({ ttl: 60, now: c.now })
    await index.bind(TOKEN, 'sid-a', 3600)
    await index.bind(TOKEN, second, 10)
    c.advance(600)
    expect((await index.revoke(TOKEN))!.sort()).toEqual(bound)
  })

  test('the revoked mark lasts the index ttl', async () => {
    const c = clock()
    const index = new MemorySessionIndex({ ttl: 60, now: c.now })
    await index.bind(TOKEN, 'sid-a', 1)
    await index.revoke(TOKEN)
    c.advance(59)
    expect(await index.isRevoked(TOKEN)).toBe(true)
    c.advance(1)
    expect(await index.isRevoked(TOKEN)).toBe(false)
  })

  test('the revoked mark outlives the index ttl when a binding had longer to live', async () => {
    const c = clock()
    const index = new MemorySessionIndex({ ttl: 60, now: c.now })
    await index.bind(TOKEN, 'sid-a', 3600)
    await index.revoke(TOKEN)
    c.advance(3599)
    expect(await index.isRevoked(TOKEN)).toBe(true)
    c.advance(1)
    expect(await index.isRevoked(TOKEN)).toBe(false)
  })

  test('a repeated revoke never shortens the revoked mark', async () => {
    const c = clock()
    const index = new MemorySessionIndex({ ttl: 60, now: c.now })
    await index.bind(TOKEN, 'sid-a', 3600)
    await index.revoke(TOKEN)
    await index.revoke(TOKEN)
    c.advance(3000)
    expect(await index.isRevoked(TOKEN)).toBe(true)
  })

  test('a full table evicts its oldest binding', async () => {
    const index = new MemorySessionIndex({ maxEntries: 3 })
    for (let i = 0; i < 4; i++) await index.bind(`token-${i}`, `sid-${i}`)
    expect(index.size.bindings).toBe(3)
    expect(index.size.owners).toBe(3)
    expect(await index.revoke('token-0')).toBeUndefined()
    expect(await index.revoke('token-3')).toEqual(['sid-3'])
  })

  test('binding again refreshes a token id so it is not the oldest', async () => {
    const index = new MemorySessionIndex({ maxEntries: 2 })
    await index.bind('token-0', 'sid-0')
    await index.bind('token-1', 'sid-1')
    await index.bind('token-0', 'sid-0b')
    await index.bind('token-2', 'sid-2')
    expect((await index.revoke('token-0'))!.sort()).toEqual(['sid-0', 'sid-0b'])
    expect(await index.revoke('token-1')).toBeUndefined()
  })

  test('revokes of unknown ids never evict bindings nor marks', async () => {
    const index = new MemorySessionIndex({ maxEntries: 10 })
    await index.bind(TOKEN, 'sid-a')
    await index.bind(OTHER, 'sid-b')
    await index.revoke(OTHER)
    for (let i = 0; i < 100; i++) await index.revoke(`unknown-${i}`)
    expect(index.size.revoked).toBe(1)
    expect(await index.isRevoked(OTHER)).toBe(true)
    expect(await index.revoke(TOKEN)).toEqual(['sid-a'])
  })

  test('expired entries are swept when new ones arrive', async () => {
    const c = clock()
    const index = new MemorySessionIndex({ ttl: 60, now: c.now })
    for (let i = 0; i < 10; i++) await index.bind(`token-${i}`, null, 1)
    for (let i = 0; i < 10; i++) await index.revoke(`token-${i}`)
    c.advance(61)
    await index.bind('token-new', null, 1)
    await index.revoke('token-new')
    expect(index.size.revoked).toBe(1)
  })

  test.each([
    ['ttl 0', { ttl: 0 }, '"ttl"'],
    ['a fractional ttl', { ttl: 1.5 }, '"ttl"'],
    ['a string ttl', { ttl: '60' }, '"ttl"'],
    ['maxEntries 0', { maxEntries: 0 }, '"maxEntries"'],
    ['a non-function now', { now: 5 }, '"now"'],
  ])('a constructor with %s throws a TypeError naming the option', (_name, options, option) => {
    expect(() => new MemorySessionIndex(options as never)).toThrow(TypeError)
    expect(() => new MemorySessionIndex(options as never)).toThrow(option)
  })

  test.each<[string, () => Promise<unknown>, string]>([
    ['an empty token id', () => new MemorySessionIndex().bind('', 'sid'), '"tokenId"'],
    ['an empty session id', () => new MemorySessionIndex().bind(TOKEN, ''), '"sessionId"'],
    ['a zero ttl', () => new MemorySessionIndex().bind(TOKEN, 'sid', 0), '"ttlSeconds"'],
    ['a NaN ttl', () => new MemorySessionIndex().bind(TOKEN, 'sid', Number.NaN), '"ttlSeconds"'],
    ['a non-string revoke', () => new MemorySessionIndex().revoke(5 as never), '"tokenId"'],
    ['an empty unbind', () => new MemorySessionIndex().unbind(''), '"sessionId"'],
    ['an empty isRevoked', () => new MemorySessionIndex().isRevoked(''), '"tokenId"'],
    ['an empty tokenIdOf', () => new MemorySessionIndex().tokenIdOf(''), '"sessionId"'],
  ])('a call with %s rejects with a TypeError naming the argument', async (_name, call, argument) => {
    await expect(call()).rejects.toThrow(TypeError)
    await expect(call()).rejects.toThrow(argument)
  })

  test('unbinding a session whose token id was revoked forgets it without an error', async () => {
    const index = new MemorySessionIndex()
    await index.bind(TOKEN, 'sid-a')
    await index.revoke(TOKEN)
    await expect(index.unbind('sid-a')).resolves.toBeUndefined()
    expect(await index.tokenIdOf('sid-a')).toBeUndefined()
    expect(await index.isRevoked(TOKEN)).toBe(true)
  })

  test('an expired mark or binding is dropped when it is looked up', async () => {
    const c = clock()
    const index = new MemorySessionIndex({ ttl: 60, now: c.now })
    await index.bind(TOKEN, 'sid-a')
    await index.bind(OTHER, 'sid-b')
    await index.revoke(OTHER)
    c.advance(60)
    expect(await index.isRevoked(OTHER)).toBe(false)
    expect(await index.tokenIdOf('sid-a')).toBeUndefined()
    expect(index.size).toEqual({ bindings: 1, owners: 1, revoked: 0 })
  })

  test('an entry is swept by the next insertion at exactly its expiry', async () => {
    const c = clock()
    const index = new MemorySessionIndex({ ttl: 60, now: c.now })
    await index.bind(TOKEN, null, 1)
    c.advance(1)
    await index.bind(OTHER, null, 1)
    expect(index.size.bindings).toBe(1)
  })

  test('one insertion sweeps at most 64 expired entries, so its cost stays bounded', async () => {
    const c = clock()
    const index = new MemorySessionIndex({ ttl: 60, now: c.now })
    for (let i = 0; i < 100; i++) await index.bind(`token-${i}`, null, 1)
    c.advance(2)
    await index.bind('token-new', null, 1)
    expect(index.size.bindings).toBe(100 - 64 + 1)
  })
})
