import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { errors, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose'
import { FreedomIdError } from '../../src/errors.js'
import { HttpClient } from '../../src/provider/http-client.js'
import { verifyIdToken } from '../../src/sign-in/id-token.js'
import { KeySource, type KeySourceOptions } from '../../src/provider/jwks.js'

const NOW = 1_740_472_605
const CLIENT_ID = 'b4b93cc5-3ca5-4ca1-aaaf-5aab2aac7584'
const NONCE = 'opQnEJ5fvOt5JLbl8IBAcS82Yy6QXFFm'

/** What the fake provider answers on a path: a status and JSON body, or no answer at all. */
type Reply = { status: number; body?: unknown } | 'hang'

interface FakeProvider {
  url: string
  /** Replaced by tests to change what the provider serves. */
  reply: (path: string) => Reply
  close: () => Promise<void>
}

async function startProvider(): Promise<FakeProvider> {
  const provider = { reply: (_path: string): Reply => ({ status: 404 }) } as FakeProvider
  const server: Server = createServer((req, res) => {
    const reply = provider.reply(req.url ?? '/')
    if (reply === 'hang') return
    res.writeHead(reply.status, { 'content-type': 'application/json' })
    res.end(reply.body === undefined ? '' : JSON.stringify(reply.body))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  provider.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  provider.close = () => {
    server.closeAllConnections()
    return new Promise((resolve) => server.close(() => resolve()))
  }
  return provider
}

interface SigningKey {
  privateKey: CryptoKey
  jwk: JWK
}

async function signingKey(kid?: string): Promise<SigningKey> {
  const pair = await generateKeyPair('RS256', { extractable: true })
  const jwk = { ...(await exportJWK(pair.publicKey)), alg: 'RS256', ...(kid === undefined ? {} : { kid }) }
  return { privateKey: pair.privateKey, jwk }
}

let provider: FakeProvider
let http: HttpClient
let keyA: SigningKey
let keyB: SigningKey
let keyC: SigningKey

beforeAll(async () => {
  provider = await startProvider()
  http = new HttpClient()
  ;[keyA, keyB, keyC] = await Promise.all([signingKey('a'), signingKey('b'), signingKey('c')])
})

afterAll(async () => {
  await http.close()
  await provider.close()
})

afterEach(() => {
  jest.restoreAllMocks()
})

/** Serves discovery at the issuer and the given keys at `/jwks`. */
function serve(...jwks: JWK[]): void {
  provider.reply = (path) => {
    if (path === '/.well-known/openid-configuration') {
      return { status: 200, body: { issuer: provider.url, jwks_uri: `${provider.url}/jwks` } }
    }
    if (path === '/jwks') return { status: 200, body: { keys: jwks } }
    return { status: 404 }
  }
}

function sign(key: SigningKey, kid: string | undefined = key.jwk.kid): Promise<string> {
  return new SignJWT({ sub: '42', nonce: NONCE, iat: NOW - 5, exp: NOW + 600 })
    .setIssuer(provider.url)
    .setAudience(CLIENT_ID)
    .setProtectedHeader({ alg: 'RS256', ...(kid === undefined ? {} : { kid }) })
    .sign(key.privateKey)
}

function verify(token: string, keys: KeySource) {
  return verifyIdToken(token, {
    issuer: provider.url,
    clientID: CLIENT_ID,
    clientSecret: 'unused',
    algorithms: ['RS256', 'HS256'],
    clockTolerance: 0,
    nonce: NONCE,
    keys,
    currentDate: new Date(NOW * 1000),
  })
}

function source(options: Partial<KeySourceOptions> = {}): KeySource {
  return new KeySource({ issuer: provider.url, http, ...options })
}

async function rejection(promise: Promise<unknown>): Promise<FreedomIdError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  if (!(err instanceof FreedomIdError)) throw new Error(`expected a FreedomIdError, got ${String(err)}`)
  return err
}

/** Moves `Date.now()` forward, the clock jose measures the refetch cooldown on. */
function advanceClock(ms: number): void {
  const realNow = Date.now.bind(Date)
  const skew = ms
  jest.spyOn(Date, 'now').mockImplementation(() => realNow() + skew)
}

describe('KeySource fetching', () => {
  it('50 verifications fetch discovery once and the JWKS once', async () => {
    serve(keyA.jwk)
    const keys = source()
    const token = await sign(keyA)
    for (let i = 0; i < 50; i++) await verify(token, keys)
    expect(keys.stats).toEqual({ discovery: 1, jwks: 1 })
  })

  it('concurrent first verifications share one discovery and one JWKS fetch', async () => {
    serve(keyA.jwk)
    const keys = source()
    const token = await sign(keyA)
    const results = await Promise.all(Array.from({ length: 20 }, () => verify(token, keys)))
    expect(results).toHaveLength(20)
    expect(keys.stats).toEqual({ discovery: 1, jwks: 1 })
  })

  it('with jwksURI no discovery happens', async () => {
    serve(keyA.jwk)
    const keys = source({ jwksURI: `${provider.url}/jwks` })
    await verify(await sign(keyA), keys)
    expect(keys.stats).toEqual({ discovery: 0, jwks: 1 })
  })

  it('nothing is fetched before the first asymmetric token arrives', () => {
    serve(keyA.jwk)
    expect(source().stats).toEqual({ discovery: 0, jwks: 0 })
  })

  it('a token without kid is verified with the one key of the JWKS', async () => {
    const anonymous = await signingKey()
    serve(anonymous.jwk)
    await expect(verify(await sign(anonymous), source())).resolves.toMatchObject({ sub: '42' })
  })

  it('a token without kid is verified with whichever of several matching keys signed it', async () => {
    const first = await signingKey()
    const second = await signingKey()
    serve(first.jwk, second.jwk)
    await expect(verify(await sign(second), source())).resolves.toMatchObject({ sub: '42' })
  })

  it('a token without kid signed by none of several keys fails on its signature', async () => {
    const first = await signingKey()
    const second = await signingKey()
    serve(first.jwk, second.jwk)
    const stranger = await signingKey()
    const err = await rejection(verify(await sign(stranger), source()))
    expect({ code: err.code, claim: err.claim }).toEqual({ code: 'ID_TOKEN_INVALID', claim: 'signature' })
  })
})

describe('KeySource key rotation', () => {
  it('an unknown kid right after a fetch waits for one refetch (at least cooldown after the last) and finds the rotated key', async () => {
    serve(keyA.jwk)
    const keys = source({ cooldown: 300 })
    await verify(await sign(keyA), keys)
    serve(keyA.jwk, keyB.jwk)
    const started = Date.now()
    await expect(verify(await sign(keyB), keys)).resolves.toMatchObject({ sub: '42' })
    expect(Date.now() - started).toBeGreaterThanOrEqual(250)
    expect(keys.stats.jwks).toBe(2)
  })

  it('concurrent tokens with unknown kids share one refetch', async () => {
    serve(keyA.jwk)
    const keys = source({ cooldown: 100 })
    await verify(await sign(keyA), keys)
    serve(keyB.jwk, keyC.jwk)
    const tokens = await Promise.all([sign(keyB), sign(keyC), sign(keyB), sign(keyC)])
    await Promise.all(tokens.map((t) => expect(verify(t, keys)).resolves.toMatchObject({ sub: '42' })))
    expect(keys.stats).toEqual({ discovery: 1, jwks: 2 })
  })

  it('a kid missing even after the refetch fails as kid, saying a copy fetched after the token was searched', async () => {
    serve(keyA.jwk)
    const keys = source({ cooldown: 0 })
    await verify(await sign(keyA), keys)
    const err = await rejection(verify(await sign(keyA, 'retired'), keys))
    expect({ code: err.code, claim: err.claim }).toEqual({ code: 'ID_TOKEN_INVALID', claim: 'kid' })
    expect(err.message).toContain('fetched after the token arrived')
    expect(keys.stats.jwks).toBe(2)
  })

  it('an unknown kid on the very first token fails after that one fetch, without a second', async () => {
    serve(keyA.jwk)
    const keys = source({ cooldown: 0 })
    const err = await rejection(verify(await sign(keyA, 'retired'), keys))
    expect(err.claim).toBe('kid')
    expect(keys.stats.jwks).toBe(1)
  })

  it('a key removed from the set is trusted until maxAge, then no longer', async () => {
    serve(keyA.jwk, keyB.jwk)
    const keys = source({ maxAge: 60_000 })
    const oldToken = await sign(keyA)
    await verify(oldToken, keys)
    serve(keyB.jwk)
    await expect(verify(oldToken, keys)).resolves.toMatchObject({ sub: '42' })
    expect(keys.stats.jwks).toBe(1)
    advanceClock(61_000)
    const err = await rejection(verify(oldToken, keys))
    expect({ code: err.code, claim: err.claim }).toEqual({ code: 'ID_TOKEN_INVALID', claim: 'kid' })
    expect(keys.stats.jwks).toBe(2)
    await expect(verify(await sign(keyB), keys)).resolves.toMatchObject({ sub: '42' })
  })
})

describe('KeySource failures', () => {
  const discovery = '/.well-known/openid-configuration'
  const rows: Array<[string, (path: string, url: string) => Reply, number]> = [
    ['no discovery document (404)', () => ({ status: 404 }), 502],
    ['a discovery document without jwks_uri', (p, url) => (p === discovery ? { status: 200, body: { issuer: url } } : { status: 404 }), 502],
    ['a discovery document without issuer', (p, url) => (p === discovery ? { status: 200, body: { jwks_uri: `${url}/jwks` } } : { status: 200, body: { keys: [keyA.jwk] } }), 502],
    [
      'a discovery document for the issuer with a trailing slash',
      (p, url) => (p === discovery ? { status: 200, body: { issuer: `${url}/`, jwks_uri: `${url}/jwks` } } : { status: 200, body: { keys: [keyA.jwk] } }),
      502,
    ],
    ['a discovery document that is not an object', (p) => (p === discovery ? { status: 200, body: [1] } : { status: 404 }), 502],
    [
      // The JWKS is served, so that only the issuer comparison can refuse it.
      'a discovery document naming another issuer',
      (p, url) =>
        p === discovery
          ? { status: 200, body: { issuer: 'https://evil.example', jwks_uri: `${url}/jwks` } }
          : { status: 200, body: { keys: [keyA.jwk] } },
      502,
    ],
    ['a JWKS answering 500', (p, url) => (p === discovery ? { status: 200, body: { issuer: url, jwks_uri: `${url}/jwks` } } : { status: 500 }), 502],
    [
      'a JWKS that is not a key set',
      (p, url) => (p === discovery ? { status: 200, body: { issuer: url, jwks_uri: `${url}/jwks` } } : { status: 200, body: { k: 1 } }),
      502,
    ],
    [
      'a JWKS whose matching key is malformed',
      (p, url) =>
        p === discovery
          ? { status: 200, body: { issuer: url, jwks_uri: `${url}/jwks` } }
          : { status: 200, body: { keys: [{ kty: 'RSA', kid: 'a', alg: 'RS256' }] } },
      502,
    ],
  ]

  it.each(rows)('%s is JWKS_UNAVAILABLE naming the jwksURI option', async (_name, reply, status) => {
    provider.reply = (path) => reply(path, provider.url)
    const err = await rejection(verify(await sign(keyA), source()))
    expect({ code: err.code, status: err.status }).toEqual({ code: 'JWKS_UNAVAILABLE', status })
    expect(err.message).toContain('"jwksURI"')
  })

  it('a JWKS server that is down is JWKS_UNAVAILABLE', async () => {
    const down = await startProvider()
    await down.close()
    const err = await rejection(verify(await sign(keyA), source({ jwksURI: `${down.url}/jwks` })))
    expect({ code: err.code, status: err.status }).toEqual({ code: 'JWKS_UNAVAILABLE', status: 502 })
    expect((err.cause as FreedomIdError).code).toBe('PROVIDER_UNREACHABLE')
    expect(err.message).toContain('"jwksURI"')
  })

  it('a JWKS fetch that times out is JWKS_UNAVAILABLE with status 504', async () => {
    provider.reply = () => 'hang'
    const impatient = new HttpClient({ timeout: 50 })
    try {
      const err = await rejection(verify(await sign(keyA), source({ http: impatient, jwksURI: `${provider.url}/jwks` })))
      expect({ code: err.code, status: err.status }).toEqual({ code: 'JWKS_UNAVAILABLE', status: 504 })
      expect((err.cause as FreedomIdError).code).toBe('PROVIDER_TIMEOUT')
    } finally {
      await impatient.close()
    }
  })

  it('a failed discovery is retried by the next token once cooldown has passed', async () => {
    provider.reply = () => ({ status: 503 })
    const keys = source()
    const token = await sign(keyA)
    expect((await rejection(verify(token, keys))).code).toBe('JWKS_UNAVAILABLE')
    serve(keyA.jwk)
    expect((await rejection(verify(token, keys))).code).toBe('JWKS_UNAVAILABLE')
    expect(keys.stats).toEqual({ discovery: 1, jwks: 0 })
    advanceClock(1000)
    await expect(verify(token, keys)).resolves.toMatchObject({ sub: '42' })
    expect(keys.stats).toEqual({ discovery: 2, jwks: 1 })
  })

  it('a failed JWKS fetch is retried by the next token', async () => {
    provider.reply = () => ({ status: 500 })
    const keys = source({ jwksURI: `${provider.url}/jwks` })
    const token = await sign(keyA)
    expect((await rejection(verify(token, keys))).code).toBe('JWKS_UNAVAILABLE')
    serve(keyA.jwk)
    await expect(verify(token, keys)).resolves.toMatchObject({ sub: '42' })
    expect(keys.stats).toEqual({ discovery: 0, jwks: 2 })
  })
})

describe('KeySource discovery for RFC 9207', () => {
  const discovery = '/.well-known/openid-configuration'
  it.each([
    ['advertises it', { authorization_response_iss_parameter_supported: true }, true],
    ['does not say', {}, false],
    ['says false', { authorization_response_iss_parameter_supported: false }, false],
  ])('says the provider sends iss when its discovery document %s', async (_name, extra, expected) => {
    provider.reply = (p) => (p === discovery ? { status: 200, body: { issuer: provider.url, jwks_uri: `${provider.url}/jwks`, ...extra } } : { status: 404 })
    const keys = source()
    expect(await keys.advertisesCallbackIssuer()).toBe(expected)
    expect(await keys.advertisesCallbackIssuer()).toBe(expected)
    expect(keys.stats.discovery).toBe(1)
  })

  it('treats a discovery document for another issuer as saying nothing, and does not retry it at once', async () => {
    provider.reply = (p) => (p === discovery ? { status: 200, body: { issuer: `${provider.url}/`, authorization_response_iss_parameter_supported: true } } : { status: 404 })
    const keys = source()
    expect(await keys.advertisesCallbackIssuer()).toBe(false)
    expect(await keys.advertisesCallbackIssuer()).toBe(false)
    expect(keys.stats.discovery).toBe(1)
  })

  it('with jwksURI uses no discovery', async () => {
    serve(keyA.jwk)
    const keys = source({ jwksURI: `${provider.url}/jwks` })
    expect(await keys.advertisesCallbackIssuer()).toBe(false)
    expect(keys.stats.discovery).toBe(0)
  })
})

describe('KeySource options', () => {
  const rows: Array<[string, Partial<KeySourceOptions>, string]> = [
    ['an issuer that is not a URL', { issuer: 'passport.freedompay.kz' }, '"issuer"'],
    ['a jwksURI that is not a URL', { jwksURI: '/jwks' }, '"jwksURI"'],
    ['a missing http client', { http: undefined as unknown as HttpClient }, '"http"'],
    ['a negative cooldown', { cooldown: -1 }, '"cooldown"'],
    ['a NaN cooldown', { cooldown: Number.NaN }, '"cooldown"'],
    ['a negative maxAge', { maxAge: -1 }, '"maxAge"'],
  ]
  it.each(rows)('%s is a TypeError naming the option', (_name, options, name) => {
    expect(() => source(options)).toThrow(TypeError)
    expect(() => source(options)).toThrow(name)
  })
})

describe('KeySource issuers with and without a trailing slash', () => {
  /** Serves discovery (naming `docIssuer`) at `/.well-known/openid-configuration` only, and key A at `/jwks`. */
  function serveAs(docIssuer: (url: string) => string): void {
    provider.reply = (path) => {
      if (path === '/.well-known/openid-configuration') {
        return { status: 200, body: { issuer: docIssuer(provider.url), jwks_uri: `${provider.url}/jwks` } }
      }
      if (path === '/jwks') return { status: 200, body: { keys: [keyA.jwk] } }
      return { status: 404 }
    }
  }

  async function verifyAs(issuer: string, keys: KeySource) {
    const token = await new SignJWT({ sub: '42', nonce: NONCE, iat: NOW - 5, exp: NOW + 600 })
      .setIssuer(issuer)
      .setAudience(CLIENT_ID)
      .setProtectedHeader({ alg: 'RS256', kid: 'a' })
      .sign(keyA.privateKey)
    return verifyIdToken(token, {
      issuer,
      clientID: CLIENT_ID,
      clientSecret: 'unused',
      algorithms: ['RS256'],
      clockTolerance: 0,
      nonce: NONCE,
      keys,
      currentDate: new Date(NOW * 1000),
    })
  }

  it('an issuer with a trailing slash finds discovery at /.well-known/openid-configuration when the document names it so', async () => {
    serveAs((url) => `${url}/`)
    const keys = source({ issuer: `${provider.url}/` })
    await expect(verifyAs(`${provider.url}/`, keys)).resolves.toMatchObject({ sub: '42' })
    expect(keys.stats).toEqual({ discovery: 1, jwks: 1 })
  })

  it.each([
    ['an issuer with a trailing slash, the document without', '/', ''],
    ['an issuer without a trailing slash, the document with', '', '/'],
  ])('%s: JWKS_UNAVAILABLE, the keys are not used', async (_name, configured, named) => {
    serveAs((url) => `${url}${named}`)
    const keys = source({ issuer: `${provider.url}${configured}` })
    const err = await rejection(verifyAs(`${provider.url}${configured}`, keys))
    expect({ code: err.code, status: err.status }).toEqual({ code: 'JWKS_UNAVAILABLE', status: 502 })
    expect(keys.stats).toEqual({ discovery: 1, jwks: 0 })
  })
})

describe('KeySource with several kid-less keys', () => {
  it('an expired token signed by the second of two keys fails on exp, not on its signature', async () => {
    const first = await signingKey()
    const second = await signingKey()
    serve(first.jwk, second.jwk)
    const token = await new SignJWT({ sub: '42', nonce: NONCE, iat: NOW - 7200, exp: NOW - 3600 })
      .setIssuer(provider.url)
      .setAudience(CLIENT_ID)
      .setProtectedHeader({ alg: 'RS256' })
      .sign(second.privateKey)
    const err = await rejection(verify(token, source()))
    expect({ code: err.code, claim: err.claim }).toEqual({ code: 'ID_TOKEN_INVALID', claim: 'exp' })
  })
})

describe('KeySource answers that are not usable', () => {
  const discovery = '/.well-known/openid-configuration'
  const document = (url: string) => ({ issuer: url, jwks_uri: `${url}/jwks` })
  const rows: Array<[string, (path: string, url: string) => Reply]> = [
    // Each serves a usable other half, so that only the check named can refuse it.
    ['a discovery document answering 500 with a usable body', (p, url) => (p === discovery ? { status: 500, body: document(url) } : { status: 200, body: { keys: [keyA.jwk] } })],
    ['a discovery document that is JSON null', (p) => (p === discovery ? { status: 200, body: null } : { status: 200, body: { keys: [keyA.jwk] } })],
    ['an empty discovery document', (p) => (p === discovery ? { status: 200 } : { status: 200, body: { keys: [keyA.jwk] } })],
    ['a discovery document whose jwks_uri is an array', (p, url) => (p === discovery ? { status: 200, body: { issuer: url, jwks_uri: [`${url}/jwks`] } } : { status: 200, body: { keys: [keyA.jwk] } })],
    ['a discovery document whose jwks_uri is relative', (p, url) => (p === discovery ? { status: 200, body: { issuer: url, jwks_uri: 'jwks' } } : { status: 200, body: { keys: [keyA.jwk] } })],
    ['a JWKS answering 500 with a usable key set', (p, url) => (p === discovery ? { status: 200, body: document(url) } : { status: 500, body: { keys: [keyA.jwk] } })],
    ['a JWKS that is JSON null', (p, url) => (p === discovery ? { status: 200, body: document(url) } : { status: 200, body: null })],
    ['an empty JWKS answer', (p, url) => (p === discovery ? { status: 200, body: document(url) } : { status: 200 })],
  ]

  it.each(rows)('%s is JWKS_UNAVAILABLE', async (_name, reply) => {
    provider.reply = (path) => reply(path, provider.url)
    const err = await rejection(verify(await sign(keyA), source()))
    expect({ code: err.code, status: err.status }).toEqual({ code: 'JWKS_UNAVAILABLE', status: 502 })
  })

  it('a JWKS whose keys are not objects is JWKS_UNAVAILABLE and not kept: the next token fetches it again', async () => {
    provider.reply = (p) => (p === discovery ? { status: 200, body: document(provider.url) } : { status: 200, body: { keys: [1] } })
    const keys = source()
    const token = await sign(keyA)
    const err = await rejection(verify(token, keys))
    expect({ code: err.code, status: err.status }).toEqual({ code: 'JWKS_UNAVAILABLE', status: 502 })
    serve(keyA.jwk)
    await expect(verify(token, keys)).resolves.toMatchObject({ sub: '42' })
    expect(keys.stats).toEqual({ discovery: 1, jwks: 2 })
  })

  it('a refetch for an unknown kid that finds the kid with a malformed key is JWKS_UNAVAILABLE, not a kid failure', async () => {
    serve(keyA.jwk)
    const keys = source({ cooldown: 0 })
    await verify(await sign(keyA), keys)
    serve(keyA.jwk, { kty: 'RSA', kid: 'b', alg: 'RS256' })
    const err = await rejection(verify(await sign(keyB), keys))
    expect({ code: err.code, status: err.status }).toEqual({ code: 'JWKS_UNAVAILABLE', status: 502 })
    expect(keys.stats.jwks).toBe(2)
  })

  it('the JWKS is asked for as application/jwk-set+json (RFC 7517 §8.5), with JSON as the fallback', async () => {
    const accepted: Array<string | undefined> = []
    const server = createServer((req, res) => {
      accepted.push(req.headers.accept)
      res.writeHead(200, { 'content-type': 'application/jwk-set+json' })
      res.end(JSON.stringify({ keys: [keyA.jwk] }))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const keys = source({ jwksURI: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks` })
      await verify(await sign(keyA), keys)
      expect(accepted).toEqual(['application/jwk-set+json, application/json'])
    } finally {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  })
})

describe('KeySource getKey', () => {
  it('an unknown kid on the very first token rejects with refetched: true (the set was fetched after the token arrived)', async () => {
    serve(keyA.jwk)
    const keys = source({ cooldown: 0 })
    const err = await keys.getKey({ alg: 'RS256', kid: 'retired' }, { payload: '', signature: '' }).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(errors.JWKSNoMatchingKey)
    expect((err as { refetched?: unknown }).refetched).toBe(true)
    expect(keys.stats.jwks).toBe(1)
  })
})

describe('KeySource timing boundaries, on a fixed clock', () => {
  const T = 1_740_000_000_000
  let now = T
  const discovery = '/.well-known/openid-configuration'
  beforeEach(() => {
    now = T
    jest.spyOn(Date, 'now').mockImplementation(() => now)
  })

  it('the JWKS is kept for maxAge - 1 ms and refetched at exactly maxAge', async () => {
    serve(keyA.jwk)
    const keys = source({ maxAge: 60_000 })
    const token = await sign(keyA)
    await verify(token, keys)
    now = T + 59_999
    await verify(token, keys)
    expect(keys.stats.jwks).toBe(1)
    now = T + 60_000
    await verify(token, keys)
    expect(keys.stats.jwks).toBe(2)
  })

  it('a failed discovery is not asked again by a token until exactly cooldown has passed', async () => {
    provider.reply = () => ({ status: 503 })
    const keys = source({ cooldown: 1000 })
    const token = await sign(keyA)
    await rejection(verify(token, keys))
    serve(keyA.jwk)
    now = T + 999
    expect((await rejection(verify(token, keys))).code).toBe('JWKS_UNAVAILABLE')
    expect(keys.stats.discovery).toBe(1)
    now = T + 1000
    await expect(verify(token, keys)).resolves.toMatchObject({ sub: '42' })
    expect(keys.stats.discovery).toBe(2)
  })

  it('a failed discovery is not asked again for the iss check until exactly a minute has passed', async () => {
    provider.reply = () => ({ status: 503 })
    const keys = source()
    expect(await keys.advertisesCallbackIssuer()).toBe(false)
    provider.reply = (p) =>
      p === discovery
        ? { status: 200, body: { issuer: provider.url, authorization_response_iss_parameter_supported: true } }
        : { status: 404 }
    now = T + 59_999
    expect(await keys.advertisesCallbackIssuer()).toBe(false)
    expect(keys.stats.discovery).toBe(1)
    now = T + 60_000
    expect(await keys.advertisesCallbackIssuer()).toBe(true)
    expect(keys.stats.discovery).toBe(2)
  })

  it('a discovery that succeeds for a token after failing is used for the iss check at once', async () => {
    provider.reply = () => ({ status: 503 })
    const keys = source({ cooldown: 1000 })
    expect(await keys.advertisesCallbackIssuer()).toBe(false)
    provider.reply = (p) => {
      if (p === discovery) {
        return { status: 200, body: { issuer: provider.url, jwks_uri: `${provider.url}/jwks`, authorization_response_iss_parameter_supported: true } }
      }
      return p === '/jwks' ? { status: 200, body: { keys: [keyA.jwk] } } : { status: 404 }
    }
    now = T + 1000
    await verify(await sign(keyA), keys)
    expect(await keys.advertisesCallbackIssuer()).toBe(true)
    expect(keys.stats.discovery).toBe(2)
  })

  it('a discovery document fetched after a failure is used by the next token at once, within cooldown', async () => {
    provider.reply = () => ({ status: 503 })
    const keys = source({ cooldown: 1000 })
    const token = await sign(keyA)
    await rejection(verify(token, keys))
    serve(keyA.jwk)
    now = T + 10
    await keys.discoveryDocument()
    await expect(verify(token, keys)).resolves.toMatchObject({ sub: '42' })
    expect(keys.stats).toEqual({ discovery: 2, jwks: 1 })
  })
})

describe('KeySource option types', () => {
  it.each([
    ['no options at all', undefined, '"issuer"'],
    ['an issuer given as a URL object', { issuer: new URL('https://passport.freedompay.kz') }, '"issuer"'],
    ['a jwksURI given as a URL object', { issuer: 'https://passport.freedompay.kz', jwksURI: new URL('https://passport.freedompay.kz/jwks') }, '"jwksURI"'],
  ])('%s is a TypeError naming the option', (_name, options, name) => {
    const create = () => new KeySource({ http, ...(options as object) } as unknown as KeySourceOptions)
    const bare = () => new KeySource(options as unknown as KeySourceOptions)
    expect(options === undefined ? bare : create).toThrow(TypeError)
    expect(options === undefined ? bare : create).toThrow(name)
  })
})
