/**
 * The strategy against oidc-provider 9 (OpenID Certified), started on a free loopback port. Every sign-in goes
 * through the provider's own authorization, login and consent over HTTP, its token endpoint and its userinfo.
 * The emulator stays the provider of every other suite; this one shows the strategy behaves as a certified relying
 * party with a standard provider.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import type { ClientMetadata } from 'oidc-provider'
import { createFreedomIdClient } from '../../src/api/api-client.js'
import type { FreedomIdStrategyOptions } from '../../src/sign-in/options.js'
import type { FreedomIdProfile } from '../../src/sign-in/profile.js'
import { FreedomIdStrategy } from '../../src/sign-in/strategy.js'
import type { FreedomIdParams } from '../../src/sign-in/verify-callback.js'
import { failure } from '../helpers/login.js'
import { fakeRequest, fakeSession, run, type Outcome } from '../helpers/strategy-harness.js'
import { ACCOUNT, browse, startOp, type RunningOp } from './op-server.js'

const CALLBACK = 'http://127.0.0.1:9/auth/freedom-id/callback'
const SECRET = 'conformance-secret-0123456789-abcdefghijklmnopqrstuvwxyz'
/** Printable ASCII (the VSCHAR of RFC 6749 Appendix A) that RFC 6749 §2.3.1 form-encodes: `+ / = % :`, a space and more. */
const RESERVED_SECRET = 'a+b/c=d%e:f g&h?i#j@k!l*m~n(o)p[q]r,s;t$u^v|w`x{y}z<0>1\'2"3'
const SCOPE = ['openid', 'email', 'phone', 'profile', 'offline_access']

function client(id: string, extra: Partial<ClientMetadata> = {}): ClientMetadata {
  return {
    client_id: id,
    client_secret: SECRET,
    redirect_uris: [CALLBACK],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    ...extra,
  }
}

const CLIENTS: ClientMetadata[] = [
  ...['RS256', 'PS256', 'ES256', 'EdDSA', 'Ed25519', 'HS256'].map((alg) => client(`alg-${alg}`, { id_token_signed_response_alg: alg as ClientMetadata['id_token_signed_response_alg'] })),
  client('reserved-basic', { client_secret: RESERVED_SECRET }),
  client('reserved-post', { client_secret: RESERVED_SECRET, token_endpoint_auth_method: 'client_secret_post' }),
  client('signed-userinfo', { userinfo_signed_response_alg: 'RS256' }),
]

let op: RunningOp
let slashed: RunningOp
const made: FreedomIdStrategy[] = []

beforeAll(async () => {
  ;[op, slashed] = await Promise.all([startOp(CLIENTS), startOp(CLIENTS, { trailingSlash: true })])
})
afterAll(async () => {
  await Promise.all(made.map((s) => s._http.close()))
  await Promise.all([op.close(), slashed.close()])
})
beforeEach(() => {
  op.deny = false
  op.hits.clear()
})

const keepAll = (_at: string, _rt: string, params: FreedomIdParams, profile: FreedomIdProfile, done: (e: null, u: unknown) => void) =>
  done(null, { profile, params })

function strategy(clientID: string, overrides: Partial<FreedomIdStrategyOptions> = {}, at: RunningOp = op): FreedomIdStrategy {
  const s = new FreedomIdStrategy(
    {
      clientID,
      clientSecret: SECRET,
      callbackURL: CALLBACK,
      issuer: at.issuer,
      authorizationURL: `${at.url}/auth`,
      tokenURL: `${at.url}/token`,
      userInfoURL: `${at.url}/me`,
      tokenRequestFormat: 'form',
      clientAuthMethod: 'client_secret_basic',
      pkce: true,
      scope: SCOPE,
      extraGrants: ['email', 'phone', 'profile', 'offline_access'],
      timeout: 5000,
      ...overrides,
    },
    keepAll,
  )
  made.push(s)
  return s
}

/** One sign-in: start, the provider's pages over HTTP, the callback (edited first when asked). */
async function signIn(s: FreedomIdStrategy, editCallback?: (q: URLSearchParams) => void): Promise<{ outcome: Outcome; callback: URLSearchParams }> {
  const session = fakeSession()
  const start = await run(s, fakeRequest({ session }))
  if (start.type !== 'redirect') throw new Error(`expected a redirect, got ${JSON.stringify(start)}`)
  const callback = await browse(start.url, CALLBACK)
  editCallback?.(callback)
  const outcome = await run(s, fakeRequest({ session, url: `/auth/freedom-id/callback?${callback}` }))
  return { outcome, callback }
}

function signedIn(outcome: Outcome): { profile: FreedomIdProfile; params: FreedomIdParams } {
  if (outcome.type !== 'success') throw new Error(`expected success, got ${JSON.stringify(outcome).slice(0, 600)}`)
  return outcome.user as { profile: FreedomIdProfile; params: FreedomIdParams }
}

describe('sign-in with each id_token algorithm', () => {
  it.each(['RS256', 'PS256', 'ES256', 'EdDSA', 'Ed25519', 'HS256'])('%s', async (alg) => {
    const { outcome } = await signIn(strategy(`alg-${alg}`))
    const { profile, params } = signedIn(outcome)
    expect(profile.id).toBe(ACCOUNT.sub)
    expect(JSON.parse(Buffer.from(params.id_token!.split('.')[0]!, 'base64url').toString()).alg).toBe(alg)
  })
})

describe('what the provider enforces and sends', () => {
  it('PKCE: the provider requires it, and the strategy signs in with it', async () => {
    const { outcome, callback } = await signIn(strategy('alg-RS256', { pkce: false }))
    expect(callback.get('error')).toBe('invalid_request')
    expect(failure(outcome)).toMatchObject({ code: 'AUTHORIZATION_ERROR', providerCode: 'invalid_request' })
    expect(signedIn((await signIn(strategy('alg-RS256'))).outcome).profile.id).toBe(ACCOUNT.sub)
  })

  it('max_age: sent, and the auth_time of the id_token checked', async () => {
    const { outcome } = await signIn(strategy('alg-ES256', { maxAge: 120 }))
    const { params } = signedIn(outcome)
    expect(typeof params.claims!.auth_time).toBe('number')
  })

  it('standard claims fill the profile', async () => {
    const { profile } = signedIn((await signIn(strategy('alg-RS256'))).outcome)
    expect(profile).toMatchObject({
      id: ACCOUNT.sub,
      displayName: 'Aigerim Bekova',
      name: { givenName: 'Aigerim', familyName: 'Bekova', middleName: 'Serikkyzy', formatted: 'Aigerim Bekova' },
      emails: [{ value: ACCOUNT.email, primary: true, verified: true }],
      phoneNumbers: [{ value: ACCOUNT.phone_number, primary: true, verified: false }],
      birthday: ACCOUNT.birthdate,
      photos: [{ value: ACCOUNT.picture }],
      locale: ACCOUNT.locale,
    })
  })

  it('signed userinfo (application/jwt) is verified and read', async () => {
    const { profile } = signedIn((await signIn(strategy('signed-userinfo'))).outcome)
    expect(profile.name.givenName).toBe('Aigerim')
    expect(profile._json.aud).toBe('signed-userinfo')
  })

  it('denial at the provider fails with ACCESS_DENIED and the provider\'s text only in providerMessage', async () => {
    op.deny = true
    const { outcome, callback } = await signIn(strategy('alg-RS256'))
    expect(callback.get('error')).toBe('access_denied')
    expect(failure(outcome)).toMatchObject({ code: 'ACCESS_DENIED', providerMessage: 'End-User aborted interaction' })
    expect(failure(outcome).message).not.toContain('aborted')
  })
})

describe('RFC 9207 iss on the callback', () => {
  it('is sent by the provider and accepted', async () => {
    const { outcome, callback } = await signIn(strategy('alg-RS256'))
    expect(callback.get('iss')).toBe(op.issuer)
    expect(outcome.type).toBe('success')
  })

  it('tampered: refused before the token request', async () => {
    const { outcome } = await signIn(strategy('alg-RS256'), (q) => q.set('iss', 'https://op.example'))
    expect(failure(outcome).code).toBe('ISSUER_MISMATCH')
    expect(op.hits.get('/token')).toBeUndefined()
  })

  it('missing: refused, since discovery advertises authorization_response_iss_parameter_supported', async () => {
    const { outcome } = await signIn(strategy('alg-RS256'), (q) => q.delete('iss'))
    expect(failure(outcome).code).toBe('ISSUER_MISMATCH')
    expect(op.hits.get('/token')).toBeUndefined()
  })
})

describe('an issuer with a trailing slash', () => {
  it('signs in when configured exactly as the provider names itself', async () => {
    expect(slashed.issuer.endsWith('/')).toBe(true)
    const { outcome, callback } = await signIn(strategy('alg-RS256', {}, slashed))
    expect(callback.get('iss')).toBe(slashed.issuer)
    expect(signedIn(outcome).params.claims!.iss).toBe(slashed.issuer)
  })

  it('configured without the slash, the callback is refused as another issuer', async () => {
    const s = strategy('alg-RS256', { issuer: slashed.url }, slashed)
    expect(failure((await signIn(s)).outcome).code).toBe('ISSUER_MISMATCH')
  })
})

describe('client authentication with a secret full of reserved characters', () => {
  it('client_secret_basic (RFC 6749 §2.3.1 encoding) signs in', async () => {
    const s = strategy('reserved-basic', { clientSecret: RESERVED_SECRET, clientAuthMethod: 'client_secret_basic' })
    expect(signedIn((await signIn(s)).outcome).profile.id).toBe(ACCOUNT.sub)
  })

  it('Freedom ID\'s raw Basic (the default) is refused by a standard server', async () => {
    const s = strategy('reserved-basic', { clientSecret: RESERVED_SECRET, clientAuthMethod: 'basic' })
    expect(failure((await signIn(s)).outcome).code).toBe('PROVIDER_ERROR')
  })

  it('client_secret_post signs in', async () => {
    const s = strategy('reserved-post', { clientSecret: RESERVED_SECRET, clientAuthMethod: 'client_secret_post' })
    expect(signedIn((await signIn(s)).outcome).profile.id).toBe(ACCOUNT.sub)
  })
})

describe('refresh with the standard grant', () => {
  it('the API client refreshes an OIDC sign-in\'s refresh token with grant_type=refresh_token', async () => {
    const { params } = signedIn((await signIn(strategy('alg-RS256'))).outcome)
    expect(params.refresh_token).toEqual(expect.any(String))
    const api = createFreedomIdClient({
      clientID: 'alg-RS256',
      clientSecret: SECRET,
      issuer: op.issuer,
      oidcTokenURL: `${op.url}/token`,
      refreshGrant: 'refresh_token',
      tokenRequestFormat: 'form',
      clientAuthMethod: 'client_secret_basic',
    })
    try {
      const fresh = await api.refreshTokens(params.refresh_token!)
      expect(fresh.access_token).toEqual(expect.any(String))
      expect(fresh.access_token).not.toBe(params.access_token)
      await expect(api.refreshTokens('not-a-refresh-token')).rejects.toMatchObject({ code: 'REFRESH_TOKEN_INVALID' })
    } finally {
      await api.close()
    }
  })
})

describe('key rotation mid-run', () => {
  it('a provider restarted with new keys right after a sign-in: the next sign-in refetches the JWKS once and succeeds', async () => {
    const s = strategy('alg-RS256')
    signedIn((await signIn(s)).outcome)
    const jwksPath = [...op.hits.keys()].find((p) => p.includes('jwks'))!
    expect(op.hits.get(jwksPath)).toBe(1)
    await op.rotateKeys()
    signedIn((await signIn(s)).outcome)
    expect(op.hits.get(jwksPath)).toBe(2)
    signedIn((await signIn(s)).outcome)
    expect(op.hits.get(jwksPath)).toBe(2)
  })
})
