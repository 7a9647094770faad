import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { base64url, CompactEncrypt, errors, exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose'
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
const http = new HttpClient()
const keys = new KeySource({ issuer: 'http://127.0.0.1:9', http })

/** A JWKS with one RSA key that names no alg, for algorithms the key set cannot serve. */
let rsaKeys: KeySource
let closeJWKS: () => Promise<void>
beforeAll(async () => {
  const { publicKey } = (await generateKeyPair('RS256', { extractable: true })) as { publicKey: CryptoKey }
  const jwk = { ...(await exportJWK(publicKey)), kid: 'plain' }
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ keys: [jwk] }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  rsaKeys = new KeySource({ issuer: url, jwksURI: `${url}/jwks`, http })
  closeJWKS = () => new Promise((resolve) => server.close(() => resolve()))
})
afterAll(async () => {
  await http.close()
  await closeJWKS()
})

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

describe('id_token failures tell what to check', () => {
  async function failure(token: string, opts: Partial<VerifyIdTokenOptions> = {}): Promise<FreedomIdError> {
    const err = await verifyIdToken(token, options(opts)).then(
      () => undefined,
      (e: unknown) => e,
    )
    if (!(err instanceof FreedomIdError)) throw new Error(`expected a FreedomIdError, got ${String(err)}`)
    return err
  }

  it.each([
    ['another issuer names the "issuer" option', { iss: 'https://evil.example' }, 'iss', /"issuer" option/],
    ['another audience names the "clientID" option', { aud: 'another-client' }, 'aud', /"clientID" option/],
    ['an expired token names "clockTolerance"', { exp: NOW - 3600 }, 'exp', /expired.*"clockTolerance"/],
    ['a future nbf names the clock', { nbf: NOW + 3600 }, 'nbf', /not valid yet.*clock/],
    ['a missing iss names the claim', { iss: undefined }, 'iss', /lacks the required "iss" claim/],
    ['a missing exp names the claim', { exp: undefined }, 'exp', /lacks the required "exp" claim/],
    ['a string exp says it is not a number', { exp: String(NOW + 600) }, 'exp', /"exp" claim is not a number/],
    ['a string nbf fails on nbf and says it is not a number', { nbf: String(NOW) }, 'nbf', /"nbf" claim is not a number/],
  ])('%s', async (_name, overrides, claim, message) => {
    const err = await failure(await sign(overrides))
    expect(err.claim).toBe(claim)
    expect(err.message).toMatch(message)
  })

  it('a bad signature keeps jose\'s error as its cause; a failed claim check of its own has none', async () => {
    const forged = await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('guess'))
    const err = await failure(forged)
    expect(err.claim).toBe('signature')
    expect(err.cause).toBeInstanceOf(errors.JWSSignatureVerificationFailed)
    const nonce = await failure(await sign({ nonce: 'other' }))
    expect(nonce.claim).toBe('nonce')
    expect(nonce.cause).toBeUndefined()
  })

  it('an alg outside the allowed characters is described as "an algorithm"', async () => {
    const err = await failure(await withHeader({ alg: '<b>' }))
    expect(err.message).toContain('signed with an algorithm, which is not among the allowed algorithms')
  })
})

describe('id_token shapes and algorithm families', () => {
  it.each([
    ['undefined', undefined],
    ['a number', 42],
    ['an object', { token: 'a.b.c' }],
  ])('an id_token that is %s fails on format', async (_name, token) => {
    const err = await verifyIdToken(token as unknown as string, options()).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(FreedomIdError)
    expect((err as FreedomIdError).claim).toBe('format')
  })

  it('an encrypted token (JWE) with a readable header fails on format, not on its alg', async () => {
    const jwe = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify(claims())))
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .encrypt(new Uint8Array(32))
    expect(await outcome(jwe, { algorithms: ['dir', 'HS256'] })).toBe('format')
  })

  it('an empty alg fails on alg even when the allow-list holds an empty string', async () => {
    expect(await outcome(await withHeader({ alg: '' }), { algorithms: ['', 'HS256'] })).toBe('alg')
  })

  it('"trustedAudiences" that is not an array is a TypeError naming the option', async () => {
    const result = verifyIdToken(await sign(), options({ trustedAudiences: 'other' as unknown as string[] }))
    await expect(result).rejects.toThrow(TypeError)
    await expect(result).rejects.toThrow('"trustedAudiences"')
  })

  it('"algorithms" that is not an array is a TypeError naming the option', async () => {
    const result = verifyIdToken(await sign(), options({ algorithms: 'HS256' as unknown as string[] }))
    await expect(result).rejects.toThrow(TypeError)
    await expect(result).rejects.toThrow('"algorithms"')
  })

  it.each(['HS256X', 'XHS256'])('an alg %s that only contains HS256 is never checked with the client secret', async (alg) => {
    const fresh = new KeySource({ issuer: 'http://127.0.0.1:9', http })
    const token = await withHeader({ alg })
    const err = await verifyIdToken(token, options({ algorithms: [alg, 'HS256'], keys: fresh })).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(FreedomIdError)
    expect((err as FreedomIdError).code).toBe('JWKS_UNAVAILABLE')
    expect(fresh.stats.discovery).toBe(1)
  })

  it('an allowed algorithm the key set cannot serve fails on alg', async () => {
    // jose cannot sign RS1: the token is built by hand, its signature is never reached.
    const head = base64url.encode(JSON.stringify({ alg: 'RS1', kid: 'plain' }))
    const body = base64url.encode(JSON.stringify(claims()))
    expect(await outcome(`${head}.${body}.c2ln`, { algorithms: ['RS1'], keys: rsaKeys })).toBe('alg')
  })
})
