import { describe, expect, it } from '@jest/globals'
import { calculatePKCECodeChallenge } from 'openid-client'
import type { IncomingMessage } from 'node:http'
import { LOGIN_RECORD_TTL_MS, MAX_PENDING_LOGINS, pkceChallenge, randomToken, safeReturnTo, type LoginRecord } from '../../../src/sign-in/login-state/record.js'
import {
  sessionLoginState,
  storeLoginRecord,
  takeLoginRecord,
  takeNewestLoginRecord,
} from '../../../src/sign-in/login-state/session-store.js'
import { fakeSession } from '../../helpers/strategy-harness.js'

function record(state: string, created: number): LoginRecord {
  return { state, nonce: `n-${state}`, redirect_uri: 'http://app.test/cb', created }
}

describe('login records in the session', () => {
  it('random tokens carry 256 bits as base64url and do not repeat', () => {
    const tokens = new Set(Array.from({ length: 1000 }, randomToken))
    expect(tokens.size).toBe(1000)
    for (const t of tokens) expect(t).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })

  it('computes the S256 challenge as openid-client does', async () => {
    const verifier = randomToken()
    expect(pkceChallenge(verifier)).toBe(await calculatePKCECodeChallenge(verifier))
  })

  it('a record can be taken once', () => {
    const session: Record<string, unknown> = {}
    storeLoginRecord(session, 'k', record('a', 1000), 1000)
    expect(takeLoginRecord(session, 'k', 'a', 2000)?.nonce).toBe('n-a')
    expect(takeLoginRecord(session, 'k', 'a', 2000)).toBeUndefined()
    expect(session.k).toBeUndefined()
  })

  it('keeps several pending logins (tabs) and only the newest ten', () => {
    const session: Record<string, unknown> = {}
    for (let i = 0; i < 15; i++) storeLoginRecord(session, 'k', record(`s${i}`, 1000 + i), 1000 + i)
    expect(Object.keys(session.k as object)).toHaveLength(MAX_PENDING_LOGINS)
    expect(takeLoginRecord(session, 'k', 's4', 2000)).toBeUndefined()
    expect(takeLoginRecord(session, 'k', 's5', 2000)).toBeDefined()
    expect(takeLoginRecord(session, 'k', 's14', 2000)).toBeDefined()
  })

  it('an expired record is consumed but not returned', () => {
    const session: Record<string, unknown> = {}
    storeLoginRecord(session, 'k', record('old', 0), 0)
    expect(takeLoginRecord(session, 'k', 'old', LOGIN_RECORD_TTL_MS)).toBeUndefined()
    expect(session.k).toBeUndefined()
  })

  it('expired records are dropped when a new login starts', () => {
    const session: Record<string, unknown> = {}
    storeLoginRecord(session, 'k', record('old', 0), 0)
    storeLoginRecord(session, 'k', record('new', LOGIN_RECORD_TTL_MS + 1), LOGIN_RECORD_TTL_MS + 1)
    expect(Object.keys(session.k as object)).toEqual(['new'])
  })

  it('a state that names an inherited property finds nothing', () => {
    const session: Record<string, unknown> = {}
    storeLoginRecord(session, 'k', record('a', 1), 1)
    expect(takeLoginRecord(session, 'k', '__proto__', 2)).toBeUndefined()
    expect(takeLoginRecord(session, 'k', 'constructor', 2)).toBeUndefined()
  })

  it('ignores a tampered session value', () => {
    const session: Record<string, unknown> = { k: 'garbage' }
    expect(takeLoginRecord(session, 'k', 'a')).toBeUndefined()
    storeLoginRecord(session, 'k', record('a', 1), 1)
    expect(Object.keys(session.k as object)).toEqual(['a'])
  })

  it('takes the newest record when the state lives only in the session', () => {
    const session: Record<string, unknown> = {}
    storeLoginRecord(session, 'k', record('a', 1), 1)
    storeLoginRecord(session, 'k', record('b', 2), 2)
    expect(takeNewestLoginRecord(session, 'k', 3)?.state).toBe('b')
    expect(takeNewestLoginRecord({}, 'k', 3)).toBeUndefined()
  })

  it.each([
    ['/profile', '/profile'],
    ['/a?b=c#d', '/a?b=c#d'],
    ['//evil.example', undefined],
    ['/\\evil.example', undefined],
    ['https://evil.example/', undefined],
    ['javascript:alert(1)', undefined],
    ['/a\nb', undefined],
    ['', undefined],
    [['/a'], undefined],
    ['/' + 'a'.repeat(3000), undefined],
  ])('returnTo %j is kept as %j', (input, expected) => {
    expect(safeReturnTo(input)).toBe(expected)
  })
})

describe('sessionLoginState()', () => {
  const req = (session: unknown) => ({ session }) as unknown as IncomingMessage

  it('puts under its key, saves the session, and takes a record once', async () => {
    const store = sessionLoginState({ key: 'k' })
    const session = fakeSession()
    await store.put(req(session), undefined, record('a', Date.now()))
    expect(session.saves).toBe(1)
    expect(Object.keys(session.k as object)).toEqual(['a'])
    expect((await store.take(req(session), undefined, 'a'))?.nonce).toBe('n-a')
    expect(await store.take(req(session), undefined, 'a')).toBeUndefined()
  })

  it('with "only", drops the other pending logins; take(null) takes the newest', async () => {
    const store = sessionLoginState()
    const session: Record<string, unknown> = {}
    await store.put(req(session), undefined, record('a', Date.now() - 2))
    await store.put(req(session), undefined, record('b', Date.now() - 1))
    expect((await store.take(req(session), undefined, null))?.state).toBe('b')
    await store.put(req(session), undefined, record('c', Date.now()), { only: true })
    expect(Object.keys(session['freedom-id'] as object)).toEqual(['c'])
  })

  it('rejects with advice when there is no session, and when saving fails', async () => {
    const store = sessionLoginState()
    await expect(store.put(req(undefined), undefined, record('a', 1))).rejects.toThrow(/express-session/)
    await expect(store.take(req(null), undefined, 'a')).rejects.toThrow(/express-session/)
    const broken = { save: (cb: (err?: unknown) => void) => cb(new Error('store down')) }
    await expect(store.put(req(broken), undefined, record('a', 1))).rejects.toThrow('store down')
  })
})

describe('login record lifetime and tampered sessions', () => {
  /** A realistic clock (ms since the epoch), so that `now - created` and `now + created` differ. */
  const T0 = 1_740_472_605_000
  const TEN_MINUTES = 600_000

  it('a pending login is taken up to ten minutes after it started, and not at ten minutes', () => {
    for (const [age, kept] of [
      [TEN_MINUTES - 1, true],
      [TEN_MINUTES, false],
      [TEN_MINUTES + 1, false],
    ] as const) {
      const session: Record<string, unknown> = {}
      storeLoginRecord(session, 'k', record('a', T0), T0)
      expect(takeLoginRecord(session, 'k', 'a', T0 + age)?.state).toBe(kept ? 'a' : undefined)
      expect(session.k).toBeUndefined()
    }
  })

  it('a new login keeps pending logins younger than ten minutes and drops older ones', () => {
    const session: Record<string, unknown> = {}
    storeLoginRecord(session, 'k', record('old', T0), T0)
    storeLoginRecord(session, 'k', record('young', T0 + 1), T0 + 1)
    storeLoginRecord(session, 'k', record('new', T0 + TEN_MINUTES), T0 + TEN_MINUTES)
    expect(Object.keys(session.k as object).sort()).toEqual(['new', 'young'])
  })

  it('a record whose created is not a number is never returned and is dropped by the next login', () => {
    const tampered = { ...record('a', T0), created: String(T0) } as unknown as LoginRecord
    const session: Record<string, unknown> = { k: { a: tampered } }
    expect(takeLoginRecord(session, 'k', 'a', T0 + 1)).toBeUndefined()
    session.k = { a: tampered, gone: { ...record('gone', T0), created: undefined } }
    storeLoginRecord(session, 'k', record('b', T0 + 1), T0 + 1)
    expect(Object.keys(session.k as object)).toEqual(['b'])
  })

  it.each([
    ['null', null],
    ['an array', [record('a', T0)]],
    ['a number', 42],
  ])('a session value that is %s is treated as no pending login', (_name, value) => {
    const session: Record<string, unknown> = { k: value }
    expect(takeLoginRecord(session, 'k', 'a', T0)).toBeUndefined()
    expect(takeNewestLoginRecord(session, 'k', T0)).toBeUndefined()
    storeLoginRecord(session, 'k', record('b', T0), T0)
    expect(Object.keys(session.k as object)).toEqual(['b'])
  })

  it('a null entry among the records is dropped by the next login', () => {
    const session: Record<string, unknown> = { k: { a: null, b: record('b', T0) } }
    expect(takeLoginRecord(session, 'k', 'a', T0)).toBeUndefined()
    storeLoginRecord(session, 'k', record('c', T0 + 1), T0 + 1)
    expect(Object.keys(session.k as object).sort()).toEqual(['b', 'c'])
  })

  it('keeps the newest pending logins when the stored map lists them oldest first (a store that reorders keys)', () => {
    const oldestFirst = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`s${i}`, record(`s${i}`, T0 + i)]))
    const session: Record<string, unknown> = { k: oldestFirst }
    storeLoginRecord(session, 'k', record('new', T0 + 100), T0 + 100)
    expect(Object.keys(session.k as object).sort()).toEqual(['new', 's10', 's11', 's3', 's4', 's5', 's6', 's7', 's8', 's9'])
  })

  it('takes the newest pending login when the stored map lists it last', () => {
    const session: Record<string, unknown> = { k: { a: record('a', T0), b: record('b', T0 + 5), c: record('c', T0 + 2) } }
    expect(takeNewestLoginRecord(session, 'k', T0 + 10)?.state).toBe('b')
  })

  it('keeps a returnTo of 2,048 characters and drops one of 2,049', () => {
    const path = (n: number) => '/' + 'a'.repeat(n - 1)
    expect(safeReturnTo(path(2048))).toBe(path(2048))
    expect(safeReturnTo(path(2049))).toBeUndefined()
  })
})

describe('login records in @fastify/secure-session (a Proxy with no deleteProperty trap)', () => {
  it('a taken record is gone from the session data, so a replayed callback finds none', async () => {
    const { default: Fastify } = await import('fastify')
    const { default: secureSession } = await import('@fastify/secure-session')
    const app = Fastify()
    await app.register(secureSession, { key: Buffer.alloc(32, 7) })
    await app.ready()
    const session = app.createSecureSession({}) as unknown as Record<string, unknown> & { data(): Record<string, unknown> }
    storeLoginRecord(session, 'k', record('a', 1000), 1000)
    storeLoginRecord(session, 'k', record('b', 1001), 1001)
    expect(takeLoginRecord(session, 'k', 'a', 2000)?.nonce).toBe('n-a')
    expect(Object.keys(session.data().k as object)).toEqual(['b'])
    expect(takeLoginRecord(session, 'k', 'b', 2000)?.nonce).toBe('n-b')
    expect(takeLoginRecord(session, 'k', 'b', 2000)).toBeUndefined()
    expect(JSON.parse(JSON.stringify(session.data()))).not.toHaveProperty('k')
    await app.close()
  })
})

describe('sessionLoginState() with several pending logins', () => {
  const req = (session: unknown) => ({ session }) as unknown as IncomingMessage

  it('a put without "only" keeps the other pending logins, and take(state) takes that one, not the newest', async () => {
    const store = sessionLoginState()
    const session: Record<string, unknown> = {}
    await store.put(req(session), undefined, record('a', Date.now() - 2))
    await store.put(req(session), undefined, record('b', Date.now() - 1))
    expect((await store.take(req(session), undefined, 'a'))?.state).toBe('a')
    expect((await store.take(req(session), undefined, 'b'))?.state).toBe('b')
  })

  it.each([
    ['a string', 'not a session'],
    ['a number', 42],
  ])('a req.session that is %s rejects with the advice to add session middleware', async (_name, session) => {
    const store = sessionLoginState()
    await expect(store.put(req(session), undefined, record('a', Date.now()))).rejects.toThrow(/express-session/)
    await expect(store.take(req(session), undefined, 'a')).rejects.toThrow(/express-session/)
  })
})

describe('sessionLoginState() and the cookie maxAge of a session that holds only pending logins', () => {
  const HOURS_8 = 8 * 60 * 60 * 1000
  const req = (session: unknown) => ({ session }) as unknown as IncomingMessage
  /** An express-session-shaped session: data keys beside `cookie`, whose `maxAge` the store's expiry follows. */
  const anonymous = (maxAge: number | null, data: Record<string, unknown> = {}) => ({
    cookie: { maxAge, originalMaxAge: maxAge },
    ...data,
  })

  it("cuts the cookie to ten minutes at put, keeps the app's maxAge across logins, and gives it back when a record is taken", async () => {
    const store = sessionLoginState({ key: 'k' })
    const session: Record<string, unknown> & { cookie: { maxAge: number | null; originalMaxAge: number | null } } = anonymous(HOURS_8)
    await store.put(req(session), undefined, record('a', Date.now()))
    expect(session.cookie.maxAge).toBe(LOGIN_RECORD_TTL_MS)
    // A minute later, in another tab: the cookie has 9 minutes left, and a store may report the cut maxAge as the
    // original one. The new login gets its full ten minutes, and the app's maxAge is still the one kept.
    session.cookie.maxAge = LOGIN_RECORD_TTL_MS - 60_000
    session.cookie.originalMaxAge = LOGIN_RECORD_TTL_MS
    await store.put(req(session), undefined, record('b', Date.now()))
    expect(session.cookie.maxAge).toBe(LOGIN_RECORD_TTL_MS)
    expect(await store.take(req(session), undefined, 'unknown')).toBeUndefined()
    expect(session.cookie.maxAge).toBe(LOGIN_RECORD_TTL_MS)
    expect((await store.take(req(session), undefined, 'b'))?.state).toBe('b')
    expect(session.cookie.maxAge).toBe(HOURS_8)
    expect(session['k:maxAge']).toBeUndefined()
  })

  it.each<[string, number | null, Record<string, unknown>, number | null]>([
    ['an app maxAge of five minutes is not lengthened', LOGIN_RECORD_TTL_MS / 2, {}, LOGIN_RECORD_TTL_MS / 2],
    ['an app maxAge of exactly ten minutes', LOGIN_RECORD_TTL_MS, {}, LOGIN_RECORD_TTL_MS],
    ['an app maxAge of ten minutes and one millisecond is cut', LOGIN_RECORD_TTL_MS + 1, {}, LOGIN_RECORD_TTL_MS],
    ['a browser-session cookie (maxAge null)', null, {}, null],
    ['a signed-in user', HOURS_8, { passport: { user: 'u1' } }, HOURS_8],
    ["the app's own data", HOURS_8, { cart: [] }, HOURS_8],
    ['a key the app cleared to undefined is no data: cut', HOURS_8, { passport: undefined }, LOGIN_RECORD_TTL_MS],
  ])('%s: maxAge after put', async (_name, maxAge, data, expected) => {
    const session = anonymous(maxAge, data)
    await sessionLoginState().put(req(session), undefined, record('a', Date.now()))
    expect(session.cookie.maxAge).toBe(expected)
  })

  it('a session without a cookie object (cookie-session) takes and gives back records all the same', async () => {
    const store = sessionLoginState()
    const session: Record<string, unknown> = {}
    await store.put(req(session), undefined, record('a', Date.now()))
    expect(Object.keys(session)).toEqual(['freedom-id'])
    expect((await store.take(req(session), undefined, 'a'))?.state).toBe('a')
  })

  it.each<[string, Record<string, unknown>]>([
    ['a cookie without originalMaxAge (its lifetime unknown)', { cookie: {} }],
    ['app data in a field named cookie (cookie-session)', { cookie: 'accepted' }],
    ['a cookie field that is null', { cookie: null }],
  ])('%s is left as it is', async (_name, session) => {
    const before = structuredClone(session.cookie)
    await sessionLoginState().put(req(session), undefined, record('a', Date.now()))
    expect(session.cookie).toEqual(before)
    expect(Object.keys(session)).toEqual(['cookie', 'freedom-id'])
  })

  it("a signed-in user's session keeps its maxAge when a login's record is taken", async () => {
    const store = sessionLoginState()
    const session = anonymous(HOURS_8, { passport: { user: 'u1' } })
    await store.put(req(session), undefined, record('a', Date.now()))
    expect((await store.take(req(session), undefined, 'a'))?.state).toBe('a')
    expect(session.cookie.maxAge).toBe(HOURS_8)
  })

  it.each<[string, (session: Record<string, unknown>) => void]>([
    ['went missing', (session) => delete session.cookie],
    ['became app data', (session) => (session.cookie = 'accepted')],
    ['became null', (session) => (session.cookie = null)],
  ])("a session whose cookie %s after put still puts and takes records, and clears the app's maxAge key", async (_name, change) => {
    const store = sessionLoginState()
    const session: Record<string, unknown> = anonymous(HOURS_8)
    await store.put(req(session), undefined, record('b', Date.now()))
    change(session)
    await store.put(req(session), undefined, record('a', Date.now()))
    expect((await store.take(req(session), undefined, 'a'))?.state).toBe('a')
    expect(session['freedom-id:maxAge']).toBeUndefined()
  })
})
