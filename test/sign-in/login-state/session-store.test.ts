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
