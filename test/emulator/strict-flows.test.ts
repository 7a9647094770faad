import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import express from 'express'
import request from 'supertest'
import { startEmulator, DEFAULT_USERS, DEMO_CLIENT, type RunningEmulator } from '../../src/emulator/index.js'
import { createFreedomIdClient, type FreedomIdClient } from '../../src/api/api-client.js'
import { createTokenRefresher } from '../../src/api/refresh-middleware.js'
import { toStoredTokens, type StoredTokens } from '../../src/api/session-tokens.js'
import type { FreedomIdParams } from '../../src/sign-in/verify-callback.js'
import type { FreedomIdProfile } from '../../src/sign-in/profile.js'
import { startServer, type TestServer } from '../helpers/http-server.js'
import { errorOf, failure, login } from '../helpers/login.js'
import { strategyMaker } from '../helpers/strategies.js'
import { fakeRequest, fakeSession, run } from '../helpers/strategy-harness.js'

/**
 * The library's main flows against `strict: true`: no discovery, no JWKS (HS256 id_tokens), JSON bodies and Basic
 * credentials only, exact redirect_uri matching, flavour-bound tokens, errors under HTTP 200, and the rest of the
 * preset. Each test says what the library does where the strict side differs from the lenient one.
 */

const CALLBACK = 'http://127.0.0.1/auth/freedom-id/callback'
const README_SCOPE = ['read.email', 'read.firstname', 'read.lastname', 'read.phone']
const user = DEFAULT_USERS[0]!

let emulator: RunningEmulator
let rs256: RunningEmulator
let keys: TestServer
let client: FreedomIdClient
const oidc = strategyMaker(() => emulator.url, { callbackURL: CALLBACK, scope: README_SCOPE })
const oidcRS256 = strategyMaker(() => rs256.url, { callbackURL: CALLBACK, scope: README_SCOPE })
const oauth2 = strategyMaker(() => emulator.url, { callbackURL: CALLBACK, protocol: 'oauth2', scope: ['read.email', 'read.profile'] })

/** A verify callback that keeps the token response, for the API calls after sign-in. */
function keepParams(into: { params?: FreedomIdParams }) {
  return (_at: string, _rt: string, params: FreedomIdParams, profile: FreedomIdProfile, done: (e: null, u: unknown) => void) => {
    into.params = params
    done(null, { id: profile.id })
  }
}

beforeAll(async () => {
  const clients = [{ ...DEMO_CLIENT, redirectURIs: [CALLBACK] }]
  emulator = await startEmulator({ strict: true, autoLogin: user.sub, clients, profileDelay: 1000 })
  rs256 = await startEmulator({ strict: true, autoLogin: user.sub, clients, idTokenAlg: 'RS256' })
  keys = await startServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(rs256.publicJWKS()))
  })
  client = createFreedomIdClient({ clientID: DEMO_CLIENT.clientID, clientSecret: DEMO_CLIENT.clientSecret, issuer: emulator.url })
})
afterAll(async () => {
  await Promise.all([oidc.closeAll(), oidcRS256.closeAll(), oauth2.closeAll(), client.close()])
  await Promise.all([emulator?.close(), rs256?.close(), keys?.close()])
})
beforeEach(() => {
  emulator.reset()
  rs256.reset()
})

describe('OIDC against the strict emulator', () => {
  it("signs in with the README's options: an HS256 id_token checked with the client secret, no JWKS (discovery asked once, for RFC 9207)", async () => {
    const { outcome } = await login(oidc())
    expect(outcome).toMatchObject({ type: 'success', user: { id: user.sub } })
    // One discovery request (a 404 here): whether the provider promises RFC 9207 `iss` on callbacks. No JWKS.
    expect(emulator.stats).toMatchObject({ discovery: 1, jwks: 0 })
  })

  it('with RS256 id_tokens and neither discovery nor jwksURI, the first login fails with JWKS_UNAVAILABLE saying to set jwksURI', async () => {
    const error = errorOf((await login(oidcRS256())).outcome)
    expect([error.code, error.status]).toEqual(['JWKS_UNAVAILABLE', 502])
    expect(error.message).toMatch(/set the "jwksURI" option/)
    expect(rs256.stats.discovery).toBe(1)
  })

  it('with RS256 id_tokens, signs in once jwksURI points at the public keys served elsewhere', async () => {
    const { outcome } = await login(oidcRS256({ jwksURI: `${keys.url}/jwks.json` }))
    expect(outcome).toMatchObject({ type: 'success', user: { id: user.sub } })
    expect(rs256.stats).toMatchObject({ discovery: 0, jwks: 0 })
  })

  it('a used code is refused under HTTP 200, and that is a login failure (PROVIDER_ERROR, 100101), not a 5xx', async () => {
    const strategy = oidc()
    const first = await login(strategy)
    expect(first.outcome.type).toBe('success')
    const again = await login(strategy, { editCallback: (q) => q.set('code', first.callback.get('code')!) })
    expect(failure(again.outcome)).toMatchObject({ code: 'PROVIDER_ERROR', message: expect.stringContaining('Invalid authorization_code.') })
  })

  it("a profile request with an OIDC sign-in's access token is refused: profile requests belong to the OAuth2 flavour", async () => {
    const kept: { params?: FreedomIdParams } = {}
    await login(oidc({ scope: ['read.profile'] }, keepParams(kept)))
    await expect(client.requestProfile(kept.params!.access_token)).rejects.toMatchObject({ code: 'PROVIDER_ERROR', providerCode: 100402 })
  })
})

describe('OAuth2 against the strict emulator (exact redirect_uri matching)', () => {
  it('signs in with stateInRedirectURI: false', async () => {
    const { outcome, callback } = await login(oauth2({ stateInRedirectURI: false }))
    expect(outcome).toMatchObject({ type: 'success', user: { id: user.sub }, info: { tokenId: expect.any(String) } })
    expect(callback.has('state')).toBe(false)
  })

  it('with stateInRedirectURI: true (the default), the start fails with an error naming stateInRedirectURI: false', async () => {
    const session = fakeSession()
    const error = errorOf(await run(oauth2(), fakeRequest({ session })))
    expect([error.code, error.status]).toEqual(['PROVIDER_ERROR', 502])
    expect(error.message).toMatch(/set "stateInRedirectURI: false"/)
    expect(Object.keys((session['freedom-id'] ?? {}) as object)).toEqual([])
  })

  it('a profile request goes accepted → completed with its payload', async () => {
    const kept: { params?: FreedomIdParams } = {}
    await login(oauth2({ stateInRedirectURI: false }, keepParams(kept)))
    const token = kept.params!.access_token
    const asked = await client.requestProfile(token)
    expect(asked.status).toBe('accepted')
    expect((await client.profileStatus(token, asked.request_id)).status).toBe('accepted')
    const done = await client.waitForProfile(token, asked.request_id, { interval: 50, timeout: 5000 })
    expect(done.status).toBe('completed')
    expect(done.profile?.payload).toMatch(/^[A-Za-z0-9]{96}$/)
  })

  it('refreshes the pair; the rotated refresh token is refused under HTTP 200 as REFRESH_TOKEN_INVALID', async () => {
    const kept: { params?: FreedomIdParams } = {}
    await login(oauth2({ stateInRedirectURI: false }, keepParams(kept)))
    const fresh = await client.refreshTokens(kept.params!.refresh_token!)
    expect(fresh.id).not.toBe(kept.params!.id)
    await expect(client.refreshTokens(kept.params!.refresh_token!)).rejects.toMatchObject({ code: 'REFRESH_TOKEN_INVALID', providerCode: 100403 })
  })
})

describe('refresh after an OIDC login against the strict emulator', () => {
  /** An app whose only middleware is the refresher, over tokens kept in `stored`. */
  async function oidcSession(refreshOidcTokens?: boolean) {
    const kept: { params?: FreedomIdParams } = {}
    await login(oidc({}, keepParams(kept)))
    let stored: StoredTokens | undefined = toStoredTokens(kept.params!)
    const errors: string[] = []
    const app = express()
    app.use(
      createTokenRefresher({
        client,
        getTokens: () => stored,
        setTokens: (_req, tokens) => void (stored = tokens),
        onInvalid: (_req, res, _next, error) => void (errors.push(error.message), res.status(401).json({ code: error.code })),
        ...(refreshOidcTokens !== undefined && { refreshOidcTokens }),
      }),
    )
    app.get('/', (_req, res) => res.json({ stored }))
    const expire = () => void (stored = { ...stored!, access_expire_at: new Date(Date.now() - 1000).toISOString() })
    return { app, expire, errors, stored: () => stored }
  }

  it('is not attempted by default: the session is signed out at expiry with a message naming refreshOidcTokens', async () => {
    const session = await oidcSession()
    expect(session.stored()!.protocol).toBe('oidc')
    const before = emulator.stats.token
    session.expire()
    expect((await request(session.app).get('/').expect(401)).body).toEqual({ code: 'REFRESH_TOKEN_INVALID' })
    expect(session.errors).toEqual([expect.stringContaining('"refreshOidcTokens: true"')])
    expect(emulator.stats.token).toBe(before)
  })

  it('with refreshOidcTokens: true the OAuth2 endpoint refuses the OIDC refresh token, and the session is signed out', async () => {
    const session = await oidcSession(true)
    const before = emulator.stats.token
    session.expire()
    expect((await request(session.app).get('/').expect(401)).body).toEqual({ code: 'REFRESH_TOKEN_INVALID' })
    expect(emulator.stats.token).toBe(before + 1)
    expect(session.errors[0]).toMatch(/Invalid refresh_token/)
    expect(session.stored()).toBeUndefined()
  })
})
