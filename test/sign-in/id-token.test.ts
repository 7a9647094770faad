import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { base64url, CompactSign, exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose'
import { FreedomIdError } from '../../src/errors.js'
import { HttpClient } from '../../src/provider/http-client.js'
import { verifyIdToken, type VerifyIdTokenOptions } from '../../src/sign-in/id-token.js'
import { KeySource } from '../../src/provider/jwks.js'

const NOW = 1_740_472_605
const currentDate = new Date(NOW * 1000)
const ISSUER = 'https://passport.freedompay.kz'
const CLIENT_ID = 'b4b93cc5-3ca5-4ca1-aaaf-5aab2aac7584'
const CLIENT_SECRET = 'a-client-secret-issued-by-freedom-id-support'
const NONCE = 'opQnEJ5fvOt5JLbl8IBAcS82Yy6QXFFm'
const ALL_ALGS = ['RS256', 'PS256', 'ES256', 'EdDSA', 'Ed25519', 'HS256']

const signing: Record<string, CryptoKey> = {}
let rsaPublicPEM: string
let strangerKey: CryptoKey
let server: { url: string; close: () => Promise<void> }
let http: HttpClient
let keys: KeySource

beforeAll(async () => {
  const jwks: JWK[] = []
  for (const [alg, kid] of [['RS256', 'rs'], ['PS256', 'ps'], ['ES256', 'es'], ['EdDSA', 'ed'], ['Ed25519', 'ed2']] as const) {
    const pair = await generateKeyPair(alg, { extractable: true })
    signing[alg] = pair.privateKey
    jwks.push({ ...(await exportJWK(pair.publicKey)), kid, alg, use: 'sig' })
    if (alg === 'RS256') rsaPublicPEM = await exportSPKI(pair.publicKey)
  }
  strangerKey = (await generateKeyPair('RS256')).privateKey
  const srv = createServer((req, res) => {
    res.writeHead(req.url === '/jwks' ? 200 : 404, { 'content-type': 'application/json' })
    res.end(req.url === '/jwks' ? JSON.stringify({ keys: jwks }) : '{}')
  })
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`
  server = { url, close: () => new Promise((resolve) => srv.close(() => resolve())) }
  http = new HttpClient()
  keys = new KeySource({ issuer: ISSUER, jwksURI: `${url}/jwks`, http })
})

afterAll(async () => {
  await http.close()
  await server.close()
})

function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const all = { iss: ISSUER, sub: '42', aud: CLIENT_ID, exp: NOW + 600, iat: NOW - 5, nonce: NONCE, ...overrides }
  return Object.fromEntries(Object.entries(all).filter(([, value]) => value !== undefined))
}

interface SignOptions {
  alg?: string
  kid?: string | null
  key?: CryptoKey | Uint8Array
}

async function sign(overrides: Record<string, unknown> = {}, { alg = 'RS256', kid, key }: SignOptions = {}) {
  const defaultKid: Record<string, string> = { RS256: 'rs', PS256: 'ps', ES256: 'es', EdDSA: 'ed', Ed25519: 'ed2' }
  const headerKid = kid === null ? undefined : (kid ?? defaultKid[alg])
  const secretOrKey = key ?? (alg.startsWith('HS') ? new TextEncoder().encode(CLIENT_SECRET) : signing[alg])
  return new SignJWT(claims(overrides))
    .setProtectedHeader({ alg, ...(headerKid === undefined ? {} : { kid: headerKid }) })
    .sign(secretOrKey!)
}

function unsigned(payload: Record<string, unknown>): string {
  const part = (value: unknown) => base64url.encode(JSON.stringify(value))
  return `${part({ alg: 'none' })}.${part(payload)}.`
}

function options(overrides: Partial<VerifyIdTokenOptions> = {}): VerifyIdTokenOptions {
  return {
    issuer: ISSUER,
    clientID: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    algorithms: ALL_ALGS,
    clockTolerance: 60,
    nonce: NONCE,
    keys,
    currentDate,
    ...overrides,
  }
}

async function failure(token: Promise<string> | string, opts: Partial<VerifyIdTokenOptions> = {}) {
  const err = await verifyIdToken(await token, options(opts)).then(
    () => undefined,
    (e: unknown) => e,
  )
  if (!(err instanceof FreedomIdError)) throw new Error(`expected a FreedomIdError, got ${String(err)}`)
  return err
}

describe('verifyIdToken accepts', () => {
  it.each(['RS256', 'PS256', 'ES256', 'EdDSA', 'Ed25519'])('a valid %s token verified with the JWKS', async (alg) => {
    const result = await verifyIdToken(await sign({}, { alg }), options())
    expect(result).toMatchObject({ iss: ISSUER, sub: '42', aud: CLIENT_ID, nonce: NONCE })
  })

  it('an HS256 token signed with the client secret when HS256 is allowed', async () => {
    await expect(verifyIdToken(await sign({}, { alg: 'HS256' }), options())).resolves.toMatchObject({ sub: '42' })
  })

  it('an HS512 token signed with the client secret when HS512 is allowed', async () => {
    const token = await sign({}, { alg: 'HS512' })
    await expect(verifyIdToken(token, options({ algorithms: ['HS512'] }))).resolves.toMatchObject({ sub: '42' })
  })

  const passing: Array<[string, Record<string, unknown>, Partial<VerifyIdTokenOptions>]> = [
    ['a token expired less than clockTolerance ago', { exp: NOW - 30 }, {}],
    ['a token issued less than clockTolerance in the future', { iat: NOW + 30 }, {}],
    ['an aud array holding only the client id, without azp', { aud: [CLIENT_ID] }, {}],
    ['an aud array with a trusted audience when azp is the client id', { aud: [CLIENT_ID, 'other'], azp: CLIENT_ID }, { trustedAudiences: ['other'] }],
    ['an auth_time within maxAge plus clockTolerance', { auth_time: NOW - 350 }, { maxAge: 300 }],
    ['an nbf in the past', { nbf: NOW - 10 }, {}],
  ]
  it.each(passing)('%s', async (_name, overrides, opts) => {
    await expect(verifyIdToken(await sign(overrides), options(opts))).resolves.toMatchObject({ sub: '42' })
  })
})

describe('verifyIdToken rejects', () => {
  const rows: Array<[string, () => Promise<string> | string, Partial<VerifyIdTokenOptions>, string]> = [
    ['a token signed by a key outside the JWKS', () => sign({}, { key: strangerKey }), {}, 'signature'],
    ['a token whose payload was altered after signing', async () => tamper(await sign()), {}, 'signature'],
    ['an unsigned token (alg none)', () => unsigned(claims()), {}, 'alg'],
    ['an unsigned token even when none is listed', () => unsigned(claims()), { algorithms: [...ALL_ALGS, 'none'] }, 'alg'],
    [
      'an HS256 token keyed with the RSA public key PEM',
      () => sign({}, { alg: 'HS256', key: new TextEncoder().encode(rsaPublicPEM) }),
      {},
      'signature',
    ],
    ['an HS256 token when HS256 is not allowed', () => sign({}, { alg: 'HS256' }), { algorithms: ['RS256'] }, 'alg'],
    ['an RS256 token when only HS256 is allowed', () => sign(), { algorithms: ['HS256'] }, 'alg'],
    ['an HS256 token when no client secret is configured', () => sign({}, { alg: 'HS256' }), { clientSecret: '' }, 'signature'],
    ['a token whose kid is in no JWKS', () => sign({}, { kid: 'unknown' }), {}, 'kid'],
    ['a token from another issuer', () => sign({ iss: 'https://evil.example' }), {}, 'iss'],
    ['a token whose iss has a trailing slash', () => sign({ iss: `${ISSUER}/` }), {}, 'iss'],
    ['a token without iss', () => sign({ iss: undefined }), {}, 'iss'],
    ['a token for another client', () => sign({ aud: 'another-client' }), {}, 'aud'],
    ['an aud array without the client id', () => sign({ aud: ['a', 'b'], azp: CLIENT_ID }), {}, 'aud'],
    ['an aud array with several audiences and no azp', () => sign({ aud: [CLIENT_ID, 'other'] }), { trustedAudiences: ['other'] }, 'azp'],
    ['an aud array with an untrusted extra audience, even when azp is the client id', () => sign({ aud: [CLIENT_ID, 'other'], azp: CLIENT_ID }), {}, 'aud'],
    ['an aud array with an extra audience other than the trusted one', () => sign({ aud: [CLIENT_ID, 'other'], azp: CLIENT_ID }), { trustedAudiences: ['another'] }, 'aud'],
    ['an azp naming another client', () => sign({ azp: 'another-client' }), {}, 'azp'],
    ['a token expired beyond clockTolerance', () => sign({ exp: NOW - 61 }), {}, 'exp'],
    ['a token without exp', () => sign({ exp: undefined }), {}, 'exp'],
    ['a token whose exp is not a number', () => sign({ exp: String(NOW + 600) }), {}, 'exp'],
    ['a token issued in the future beyond clockTolerance', () => sign({ iat: NOW + 120 }), {}, 'iat'],
    ['a token without iat', () => sign({ iat: undefined }), {}, 'iat'],
    ['a token not valid before a future nbf', () => sign({ nbf: NOW + 120 }), {}, 'nbf'],
    ['a token without sub', () => sign({ sub: undefined }), {}, 'sub'],
    ['a token with an empty sub', () => sign({ sub: '' }), {}, 'sub'],
    ['a token with a numeric sub', () => sign({ sub: 42 }), {}, 'sub'],
    ['a token with another nonce', () => sign({ nonce: 'replayed-from-another-login' }), {}, 'nonce'],
    ['a token without nonce', () => sign({ nonce: undefined }), {}, 'nonce'],
    ['a token checked against an empty expected nonce', () => sign({ nonce: '' }), { nonce: '' }, 'nonce'],
    ['an auth_time older than maxAge plus clockTolerance', () => sign({ auth_time: NOW - 361 }), { maxAge: 300 }, 'auth_time'],
    ['a token without auth_time when maxAge is set', () => sign(), { maxAge: 300 }, 'auth_time'],
    ['a string that is not a JWT', () => 'not-a-jwt', {}, 'format'],
    ['three parts whose header is not JSON', () => 'abc.def.ghi', {}, 'format'],
    ['an encrypted token (five parts)', () => 'a.b.c.d.e', {}, 'format'],
    ['a signed token whose payload is not JSON', () => signRaw('not json'), {}, 'format'],
  ]

  it.each(rows)('%s', async (_name, token, opts, claim) => {
    const err = await failure(token(), opts)
    expect({ code: err.code, claim: err.claim, status: err.status }).toEqual({ code: 'ID_TOKEN_INVALID', claim, status: 401 })
  })

  it('messages never contain the token or the client secret', async () => {
    const token = await sign({ nonce: 'replayed-from-another-login' })
    const err = await failure(token)
    expect(err.message).not.toContain(token.split('.')[1])
    expect(err.message).not.toContain('replayed-from-another-login')
    expect(err.message).not.toContain(CLIENT_SECRET)
  })
})

describe('verifyIdToken keeps key families apart', () => {
  it('never fetches discovery or the JWKS for an HS256 token', async () => {
    const fresh = new KeySource({ issuer: server.url, http })
    await verifyIdToken(await sign({}, { alg: 'HS256' }), options({ keys: fresh }))
    await failure(sign({}, { alg: 'HS256', key: new TextEncoder().encode(rsaPublicPEM) }), { keys: fresh })
    expect(fresh.stats).toEqual({ discovery: 0, jwks: 0 })
  })

})

describe('verifyIdToken rejects malformed options', () => {
  const rows: Array<[string, Partial<VerifyIdTokenOptions>]> = [
    ['a negative clockTolerance', { clockTolerance: -1 }],
    ['a NaN maxAge', { maxAge: Number.NaN }],
    ['an invalid currentDate', { currentDate: new Date('nope') }],
    ['algorithms that is not an array', { algorithms: 'RS256' as unknown as string[] }],
  ]
  it.each(rows)('%s with a TypeError', async (_name, opts) => {
    await expect(verifyIdToken(await sign(), options(opts))).rejects.toBeInstanceOf(TypeError)
  })
})

function tamper(token: string): string {
  const [header, payload, signature] = token.split('.')
  const altered = JSON.parse(new TextDecoder().decode(base64url.decode(payload!))) as Record<string, unknown>
  altered.sub = 'admin'
  return `${header}.${base64url.encode(JSON.stringify(altered))}.${signature}`
}

function signRaw(payload: string): Promise<string> {
  return new CompactSign(new TextEncoder().encode(payload)).setProtectedHeader({ alg: 'RS256', kid: 'rs' }).sign(signing.RS256!)
}
