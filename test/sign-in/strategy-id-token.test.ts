import { afterAll, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals'
import * as jose from 'jose'
import { startEmulator, DEFAULT_USERS, DEMO_CLIENT, type RunningEmulator } from '../../src/emulator/index.js'
import type { FreedomIdStrategyOptions } from '../../src/sign-in/options.js'
import { failure, login, errorOf } from '../helpers/login.js'
import { strategyMaker } from '../helpers/strategies.js'

const user = DEFAULT_USERS[0]!
let emulator: RunningEmulator
const withClaims = (_a: string, _r: string, params: { claims?: unknown }, profile: { id: string }, done: (e: null, u: unknown) => void) =>
  done(null, { id: profile.id, claims: params.claims })
const make = strategyMaker(() => emulator.url, { skipUserProfile: true })
const strategy = (overrides: Partial<FreedomIdStrategyOptions> = {}) => make(overrides, withClaims)

const unsigned = (payload: Record<string, unknown>) =>
  `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.`

beforeAll(async () => {
  emulator = await startEmulator({ autoLogin: user.sub })
})
afterAll(async () => {
  await make.closeAll()
  await emulator.close()
})
beforeEach(() => emulator.reset())

describe('id_token checks through the strategy', () => {
  const now = () => Math.floor(Date.now() / 1000)
  const table: Array<[string, () => void | Promise<void>, string]> = [
    ['a wrong issuer', () => emulator.nextIdToken({ claims: { iss: 'https://evil.example' } }), 'iss'],
    ['a wrong audience', () => emulator.nextIdToken({ claims: { aud: 'another-client' } }), 'aud'],
    ['a foreign azp', () => emulator.nextIdToken({ claims: { azp: 'another-client' } }), 'azp'],
    ['an expired token', () => emulator.nextIdToken({ claims: { exp: now() - 3600 } }), 'exp'],
    ['an iat in the future', () => emulator.nextIdToken({ claims: { iat: now() + 3600 } }), 'iat'],
    ['no iat', () => emulator.nextIdToken({ claims: { iat: undefined } }), 'iat'],
    ['no sub', () => emulator.nextIdToken({ claims: { sub: undefined } }), 'sub'],
    ['a wrong nonce', () => emulator.nextIdToken({ claims: { nonce: 'replayed-nonce' } }), 'nonce'],
    ['no nonce', () => emulator.nextIdToken({ claims: { nonce: undefined } }), 'nonce'],
    ['alg none', () => emulator.nextIdToken({ sign: (payload: jose.JWTPayload) => unsigned(payload) }), 'alg'],
    ['a signature by another key', async () => {
      const { privateKey } = await jose.generateKeyPair('RS256')
      const kid = emulator.publicJWKS().keys[0]!.kid!
      emulator.nextIdToken({ sign: (payload: jose.JWTPayload) => new jose.SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid }).sign(privateKey) })
    }, 'signature'],
    ['HS256 keyed with the RSA public key', () => {
      const secret = new TextEncoder().encode(emulator.publicKeyPEM())
      emulator.nextIdToken({ sign: (payload: jose.JWTPayload) => new jose.SignJWT(payload).setProtectedHeader({ alg: 'HS256' }).sign(secret) })
    }, 'signature'],
  ]
  it.each(table)('%s fails the login with ID_TOKEN_INVALID', async (_name, tamper, claim) => {
    await tamper()
    const { outcome } = await login(strategy())
    const challenge = failure(outcome)
    expect(challenge.code).toBe('ID_TOKEN_INVALID')
    expect((challenge as unknown as { claim: string }).claim).toBe(claim)
    expect(challenge.message).not.toContain(DEMO_CLIENT.clientSecret)
  })

  it('hands the verified claims to verify as params.claims', async () => {
    const { outcome } = await login(strategy())
    expect(outcome).toMatchObject({ type: 'success', user: { claims: { sub: user.sub, aud: DEMO_CLIENT.clientID, iss: emulator.url } } })
  })

  it('accepts a token without kid when the JWKS has one key', async () => {
    emulator.nextIdToken({ header: { kid: undefined } })
    expect((await login(strategy())).outcome.type).toBe('success')
  })

  it('fetches discovery and the JWKS once across many logins', async () => {
    const s = strategy()
    for (let i = 0; i < 10; i++) expect((await login(s)).outcome.type).toBe('success')
    expect(emulator.stats.discovery).toBe(1)
    expect(emulator.stats.jwks).toBe(1)
  })

  it('uses jwksURI without discovery', async () => {
    const s = strategy({ jwksURI: `${emulator.url}/.well-known/jwks.json` })
    expect((await login(s)).outcome.type).toBe('success')
    expect(emulator.stats.discovery).toBe(0)
  })

  it('follows a key rotation right after a fetch: the login waits for one refetch and succeeds', async () => {
    const s = strategy()
    expect((await login(s)).outcome.type).toBe('success')
    await emulator.rotateKeys()
    expect((await login(s)).outcome.type).toBe('success')
    expect(emulator.stats.jwks).toBe(2)
    expect((await login(s)).outcome.type).toBe('success')
    expect(emulator.stats.jwks).toBe(2)
  })

  it('concurrent logins with a new kid share one refetch', async () => {
    const s = strategy()
    expect((await login(s)).outcome.type).toBe('success')
    await emulator.rotateKeys()
    const outcomes = await Promise.all(Array.from({ length: 8 }, () => login(s)))
    expect(outcomes.map((o) => o.outcome.type)).toEqual(Array(8).fill('success'))
    expect(emulator.stats.jwks).toBe(2)
  })

  it('refetches the JWKS once jwksCacheMaxAge has passed', async () => {
    const s = strategy({ jwksCacheMaxAge: 60 })
    expect((await login(s)).outcome.type).toBe('success')
    expect((await login(s)).outcome.type).toBe('success')
    expect(emulator.stats.jwks).toBe(1)
    const realNow = Date.now
    const clock = jest.spyOn(Date, 'now').mockImplementation(() => realNow() + 61_000)
    try {
      expect((await login(s)).outcome.type).toBe('success')
    } finally {
      clock.mockRestore()
    }
    expect(emulator.stats.jwks).toBe(2)
  })

  it('fails a kid the provider does not list, saying the set was fetched after the token arrived', async () => {
    emulator.nextIdToken({ header: { kid: 'retired' } })
    const challenge = failure((await login(strategy())).outcome)
    expect(challenge).toMatchObject({ code: 'ID_TOKEN_INVALID', claim: 'kid' })
    expect(challenge.message).toContain('fetched after the token arrived')
  })

  it('accepts an id_token with an extra audience listed in trustedAudiences, and only then', async () => {
    emulator.nextIdToken({ claims: { aud: [DEMO_CLIENT.clientID, 'https://api.example'], azp: DEMO_CLIENT.clientID } })
    expect((await login(strategy({ trustedAudiences: ['https://api.example'] }))).outcome.type).toBe('success')
    emulator.nextIdToken({ claims: { aud: [DEMO_CLIENT.clientID, 'https://api.example'], azp: DEMO_CLIENT.clientID } })
    expect(failure((await login(strategy())).outcome)).toMatchObject({ code: 'ID_TOKEN_INVALID', claim: 'aud' })
  })

  it('requires a fresh auth_time when maxAge is set', async () => {
    emulator.nextIdToken({ claims: { auth_time: Math.floor(Date.now() / 1000) - 3600 } })
    expect(failure((await login(strategy({ maxAge: 60 }))).outcome).code).toBe('ID_TOKEN_INVALID')
    expect((await login(strategy({ maxAge: 60 }))).outcome.type).toBe('success')
  })

  it('errors with JWKS_UNAVAILABLE when the keys cannot be found', async () => {
    const s = strategy({ jwksURI: `${emulator.url}/no-such-jwks` })
    const err = errorOf((await login(s)).outcome)
    expect(err.code).toBe('JWKS_UNAVAILABLE')
  })
})

describe('HS256 id_tokens', () => {
  let hsEmulator: RunningEmulator
  beforeAll(async () => {
    hsEmulator = await startEmulator({ autoLogin: user.sub, idTokenAlg: 'HS256' })
  })
  const hsStrategy = strategyMaker(() => hsEmulator.url)
  afterAll(async () => {
    await hsStrategy.closeAll()
    await hsEmulator.close()
  })

  it('verifies them with the client secret and fetches no keys', async () => {
    expect((await login(hsStrategy())).outcome.type).toBe('success')
    expect(hsEmulator.stats.jwks).toBe(0)
  })

  it('refuses them when HS256 is not allowed', async () => {
    const challenge = failure((await login(hsStrategy({ idTokenSigningAlgs: ['RS256'] }))).outcome)
    expect(challenge.code).toBe('ID_TOKEN_INVALID')
  })

  it('refuses them when signed with another secret', async () => {
    const other = new TextEncoder().encode('another-secret-of-32-bytes-or-more!!')
    hsEmulator.nextIdToken({ sign: (payload: jose.JWTPayload) => new jose.SignJWT(payload).setProtectedHeader({ alg: 'HS256' }).sign(other) })
    const challenge = failure((await login(hsStrategy())).outcome)
    expect(challenge).toMatchObject({ code: 'ID_TOKEN_INVALID', claim: 'signature' })
  })
})
