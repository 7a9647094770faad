import { describe, expect, it } from '@jest/globals'
import { base64url, SignJWT } from 'jose'
import { FreedomIdError } from '../../src/errors.js'
import { HttpClient } from '../../src/provider/http-client.js'
import { KeySource } from '../../src/provider/jwks.js'
import { verifyIdToken, type VerifyIdTokenOptions } from '../../src/sign-in/id-token.js'

/** Boundaries of the id_token checks on a fixed clock: at exactly the tolerance, one second inside and one outside. */

const NOW = 1_740_472_605
const ISSUER = 'https://passport.freedompay.kz'
const CLIENT_ID = 'b4b93cc5-3ca5-4ca1-aaaf-5aab2aac7584'
const CLIENT_SECRET = 'a-client-secret-issued-by-freedom-id-support'
const NONCE = 'opQnEJ5fvOt5JLbl8IBAcS82Yy6QXFFm'
const TOLERANCE = 60
const secret = new TextEncoder().encode(CLIENT_SECRET)

/** HS256 tokens need no JWKS: the KeySource is never asked (its issuer has nothing listening). */
const keys = new KeySource({ issuer: 'http://127.0.0.1:9', http: new HttpClient() })

function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const all = { iss: ISSUER, sub: '42', aud: CLIENT_ID, exp: NOW + 600, iat: NOW - 5, nonce: NONCE, ...overrides }
  return Object.fromEntries(Object.entries(all).filter(([, value]) => value !== undefined))
}

function sign(overrides: Record<string, unknown> = {}, header: Record<string, unknown> = { alg: 'HS256' }) {
  return new SignJWT(claims(overrides)).setProtectedHeader(header as { alg: string }).sign(secret)
}

/** A token whose header is exactly `header`, HMAC-signed as HS256 (jose refuses to sign a header without alg). */
async function withHeader(header: Record<string, unknown>): Promise<string> {
  const token = await sign()
  const [, payload] = token.split('.')
  const head = base64url.encode(JSON.stringify(header))
  const { createHmac } = await import('node:crypto')
  const mac = createHmac('sha256', CLIENT_SECRET).update(`${head}.${payload}`).digest('base64url')
  return `${head}.${payload}.${mac}`
}

function options(overrides: Partial<VerifyIdTokenOptions> = {}): VerifyIdTokenOptions {
  return {
    issuer: ISSUER,
    clientID: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    algorithms: ['RS256', 'HS256'],
    clockTolerance: TOLERANCE,
    nonce: NONCE,
    keys,
    currentDate: new Date(NOW * 1000),
    ...overrides,
  }
}

/** The claim that failed, or 'ok'. */
async function outcome(token: string, opts: Partial<VerifyIdTokenOptions> = {}): Promise<string> {
  try {
    await verifyIdToken(token, options(opts))
    return 'ok'
  } catch (err) {
    if (!(err instanceof FreedomIdError)) throw err
    expect({ code: err.code, status: err.status }).toEqual({ code: 'ID_TOKEN_INVALID', status: 401 })
    return err.claim ?? 'no claim'
  }
}

describe('id_token time checks at the clock tolerance (60 s, fixed clock)', () => {
  const rows: Array<[string, Record<string, unknown>, Partial<VerifyIdTokenOptions>, string]> = [
    ['exp one second inside the tolerance', { exp: NOW - TOLERANCE + 1 }, {}, 'ok'],
    ['exp at exactly the tolerance', { exp: NOW - TOLERANCE }, {}, 'exp'],
    ['exp one second outside the tolerance', { exp: NOW - TOLERANCE - 1 }, {}, 'exp'],
    ['iat one second inside the tolerance', { iat: NOW + TOLERANCE - 1 }, {}, 'ok'],
    ['iat at exactly the tolerance', { iat: NOW + TOLERANCE }, {}, 'ok'],
    ['iat one second outside the tolerance', { iat: NOW + TOLERANCE + 1 }, {}, 'iat'],
    ['nbf at exactly the tolerance', { nbf: NOW + TOLERANCE }, {}, 'ok'],
    ['nbf one second outside the tolerance', { nbf: NOW + TOLERANCE + 1 }, {}, 'nbf'],
    ['auth_time one second inside maxAge plus the tolerance', { auth_time: NOW - 300 - TOLERANCE + 1 }, { maxAge: 300 }, 'ok'],
    ['auth_time at exactly maxAge plus the tolerance', { auth_time: NOW - 300 - TOLERANCE }, { maxAge: 300 }, 'ok'],
    ['auth_time one second outside maxAge plus the tolerance', { auth_time: NOW - 300 - TOLERANCE - 1 }, { maxAge: 300 }, 'auth_time'],
    ['exp now with no tolerance', { exp: NOW }, { clockTolerance: 0 }, 'exp'],
    ['exp one second ahead with no tolerance', { exp: NOW + 1 }, { clockTolerance: 0 }, 'ok'],
    ['iat now with no tolerance', { iat: NOW }, { clockTolerance: 0 }, 'ok'],
    ['iat one second ahead with no tolerance', { iat: NOW + 1 }, { clockTolerance: 0 }, 'iat'],
    ['auth_time now with maxAge 0 and no tolerance', { auth_time: NOW }, { maxAge: 0, clockTolerance: 0 }, 'ok'],
    ['auth_time a second ago with maxAge 0 and no tolerance', { auth_time: NOW - 1 }, { maxAge: 0, clockTolerance: 0 }, 'auth_time'],
    ['an auth_time that is a string when maxAge is set', { auth_time: String(NOW) }, { maxAge: 300 }, 'auth_time'],
  ]
  it.each(rows)('%s: %s', async (_name, overrides, opts, expected) => {
    expect(await outcome(await sign(overrides), opts)).toBe(expected)
  })

  it('the current time is read from the clock when currentDate is not set', async () => {
    const now = Math.floor(Date.now() / 1000)
    const opts = { currentDate: undefined, clockTolerance: 0 }
    expect(await outcome(await sign({ iat: now - 5, exp: now + 600 }), opts)).toBe('ok')
    expect(await outcome(await sign({ iat: now + 30, exp: now + 600 }), opts)).toBe('iat')
  })
})

describe('id_token option validation', () => {
  const rows: Array<[string, Partial<VerifyIdTokenOptions>, string | undefined]> = [
    ['clockTolerance 0', { clockTolerance: 0 }, undefined],
    ['clockTolerance -1', { clockTolerance: -1 }, '"clockTolerance"'],
    ['clockTolerance -0.5', { clockTolerance: -0.5 }, '"clockTolerance"'],
    ['clockTolerance Infinity', { clockTolerance: Number.POSITIVE_INFINITY }, '"clockTolerance"'],
    ['clockTolerance NaN', { clockTolerance: Number.NaN }, '"clockTolerance"'],
    ['maxAge 0', { maxAge: 0 }, undefined],
    ['maxAge -1', { maxAge: -1 }, '"maxAge"'],
    ['maxAge Infinity', { maxAge: Number.POSITIVE_INFINITY }, '"maxAge"'],
    ['a valid currentDate', { currentDate: new Date(NOW * 1000) }, undefined],
  ]
  it.each(rows)('%s', async (_name, opts, option) => {
    const token = await sign({ auth_time: NOW })
    const result = verifyIdToken(token, options(opts))
    if (option === undefined) await expect(result).resolves.toMatchObject({ sub: '42' })
    else {
      await expect(result).rejects.toBeInstanceOf(TypeError)
      await expect(result).rejects.toThrow(option)
    }
  })
})

describe('id_token headers and claims never sent before', () => {
  it.each([
    ['a header without alg', { typ: 'JWT' }],
    ['a header with an empty alg', { alg: '' }],
    ['a header whose alg is not a string', { alg: 256 }],
    ['a header with alg "NONE"', { alg: 'NONE' }],
  ])('%s fails on alg', async (_name, header) => {
    expect(await outcome(await withHeader(header))).toBe('alg')
  })

  it('a token without aud fails on aud', async () => {
    expect(await outcome(await sign({ aud: undefined }))).toBe('aud')
  })

  it('a token whose aud is a single-element array naming another client fails on aud', async () => {
    expect(await outcome(await sign({ aud: ['another-client'] }))).toBe('aud')
  })

  it('an azp equal to the client id with a single audience is accepted', async () => {
    expect(await outcome(await sign({ azp: CLIENT_ID }))).toBe('ok')
  })
})

describe('an attacker-chosen alg stays out of error messages', () => {
  async function message(alg: string): Promise<string> {
    try {
      await verifyIdToken(await withHeader({ alg }), options())
    } catch (err) {
      expect(err).toBeInstanceOf(FreedomIdError)
      expect((err as FreedomIdError).claim).toBe('alg')
      return (err as FreedomIdError).message
    }
    throw new Error('the token was accepted')
  }

  it.each([
    ['markup before a known name', '<img src=x onerror=alert(1)>ES512'],
    ['markup after a known name', 'ES512<img src=x onerror=alert(1)>'],
    ['a line break', 'ES512\nSet-Cookie: a=b'],
    ['seventeen characters', 'ABCDEFGHIJKLMNOPQ'],
    ['a quote', 'ES5"12'],
  ])('an alg with %s is not repeated', async (_name, alg) => {
    const text = await message(alg)
    expect(text).not.toContain(alg)
    expect(text).not.toMatch(/<img|Set-Cookie|ABCDEFGHIJKLMNOPQ|5"1/)
  })

  it.each(['ES512', 'HS1024', 'A-B+C', 'ABCDEFGHIJKLMNOP'])('a plain algorithm name %s is named, to help configuration', async (alg) => {
    expect(await message(alg)).toContain(`"${alg}"`)
  })

  it('the allowed algorithms are listed without "none"', async () => {
    const text = await (async () => {
      try {
        await verifyIdToken(await withHeader({ alg: 'ES512' }), options({ algorithms: ['RS256', 'none', 'HS256'] }))
      } catch (err) {
        return (err as Error).message
      }
      return ''
    })()
    expect(text).toContain('(RS256, HS256)')
  })
})
