import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import { describe, expect, it } from '@jest/globals'
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose'
import request from 'supertest'
import { createEmulator, DEFAULT_USERS, DEMO_CLIENT, type EmulatorOptions, type EmulatorSigningAlg } from '../../src/emulator/index.js'
import { authorize, authorizeQuery, basic, CALLBACK, oauth2Link, oauth2Tokens, oidcTokens, pkcePair } from './support.js'

const aigerim = DEFAULT_USERS[0]!

function setup(options: EmulatorOptions = {}) {
  return createEmulator({ autoLogin: aigerim.sub, ...options })
}

/** The OIDC token call for a fresh code, sent as `send` builds it. */
async function oidcTokenCall(
  emulator: ReturnType<typeof setup>,
  send: (req: request.Test, code: string) => request.Test,
): Promise<request.Response> {
  const code = (await authorize(emulator.app)).get('code')!
  return send(request(emulator.app).post('/api/v1/oidc/token'), code)
}

const tokenBody = (code: string) => ({ grant_type: 'authorization_code', code, redirect_uri: CALLBACK })

describe('the strict preset', () => {
  it('sets every switch to the production-plausible side, and each option still overrides it', () => {
    expect(setup().rules).toEqual({
      strict: false,
      discovery: true,
      jwks: true,
      formBodies: true,
      bodyCredentials: true,
      schemeAnyCase: true,
      plusJson: true,
      exactRedirectURI: false,
      flavourBoundTokens: false,
      burnCodeOnFailure: false,
      errorsWith200: false,
      revokeTokenId: 'newest',
      pendingProfileStatus: 'pending',
      authTimeClaim: true,
    })
    expect(setup({ strict: true }).rules).toEqual({
      strict: true,
      discovery: false,
      jwks: false,
      formBodies: false,
      bodyCredentials: false,
      schemeAnyCase: false,
      plusJson: false,
      exactRedirectURI: true,
      flavourBoundTokens: true,
      burnCodeOnFailure: true,
      errorsWith200: true,
      revokeTokenId: 'original',
      pendingProfileStatus: 'accepted',
      authTimeClaim: false,
    })
    expect(setup({ strict: true, discovery: true, revokeTokenId: 'newest' }).rules).toMatchObject({
      discovery: true,
      jwks: false,
      revokeTokenId: 'newest',
    })
  })

  it.each([
    ['strict', 'yes', /"strict" option must be a boolean/],
    ['jwks', 1, /"jwks" option must be a boolean/],
    ['revokeTokenId', 'first', /"revokeTokenId" option must be one of 'newest', 'original'/],
    ['pendingProfileStatus', 'waiting', /"pendingProfileStatus" option must be one of 'pending', 'accepted'/],
  ])('throws a TypeError naming "%s" for a wrong value', (name, value, message) => {
    const create = () => createEmulator({ [name]: value } as EmulatorOptions)
    expect(create).toThrow(TypeError)
    expect(create).toThrow(message)
  })

  it('signs id_tokens with HS256 keyed by the client secret, with exactly the claims of the docs\' example', async () => {
    const emulator = setup({ strict: true })
    const tokens = await oidcTokens(emulator)
    const idToken = tokens.id_token as string
    expect(decodeProtectedHeader(idToken)).toEqual({ alg: 'HS256', typ: 'JWT' })
    await jwtVerify(idToken, new TextEncoder().encode(DEMO_CLIENT.clientSecret), { issuer: emulator.issuer })
    expect(Object.keys(decodeJwt(idToken)).sort()).toEqual(['aud', 'exp', 'iat', 'iss', 'nonce', 'sub'])
  })

  it('keeps an explicit idTokenAlg', async () => {
    const emulator = setup({ strict: true, idTokenAlg: 'ES256' })
    expect(decodeProtectedHeader((await oidcTokens(emulator)).id_token as string).alg).toBe('ES256')
  })
})

describe('discovery and jwks', () => {
  it('serve both by default', async () => {
    const emulator = setup()
    const doc = await request(emulator.app).get('/.well-known/openid-configuration').expect(200)
    expect(doc.body.jwks_uri).toBe(`${emulator.issuer}/.well-known/jwks.json`)
    await request(emulator.app).get('/.well-known/jwks.json').expect(200)
  })

  it('answer 404 when switched off, and still count the attempts', async () => {
    const emulator = setup({ discovery: false, jwks: false })
    const doc = await request(emulator.app).get('/.well-known/openid-configuration').expect(404)
    expect(doc.body.error.code).toBe(100404)
    await request(emulator.app).get('/.well-known/jwks.json').expect(404)
    expect(emulator.stats).toMatchObject({ discovery: 1, jwks: 1 })
  })

  it('a discovery document without a JWKS names no jwks_uri and only the client auth methods in force', async () => {
    const doc = await request(setup({ jwks: false, bodyCredentials: false, authTimeClaim: false }).app)
      .get('/.well-known/openid-configuration')
      .expect(200)
    expect(doc.body.jwks_uri).toBeUndefined()
    expect(doc.body.token_endpoint_auth_methods_supported).toEqual(['client_secret_basic'])
    expect(doc.body.claims_supported).not.toContain('auth_time')
  })

  it('signs with a configured signingKey, whose public half publicJWKS() gives for a JWKS served elsewhere', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
    const emulator = setup({ strict: true, idTokenAlg: 'ES256', signingKey: pem })
    const idToken = (await oidcTokens(emulator)).id_token as string
    await jwtVerify(idToken, createLocalJWKSet(emulator.publicJWKS()), { issuer: emulator.issuer })
    const other = setup({ strict: true, idTokenAlg: 'ES256', signingKey: privateKey })
    expect(other.publicJWKS()).toEqual(emulator.publicJWKS())
  })

  it.each<[EmulatorSigningAlg, KeyObject | string, RegExp]>([
    ['HS256', generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, /needs an asymmetric "idTokenAlg"/],
    ['RS256', generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, /must be a private RSA key for RS256/],
    ['ES256', generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey, /must be a private P-256 key for ES256/],
    ['EdDSA', 'not a key', /must be a private KeyObject or a PKCS#8 PEM string/],
  ])('refuses a signingKey that does not fit %s', (alg, key, message) => {
    expect(() => createEmulator({ idTokenAlg: alg, signingKey: key })).toThrow(message)
  })
})

describe('formBodies and plusJson', () => {
  const form = (code: string) => new URLSearchParams(tokenBody(code)).toString()

  it('accept a form and an application/*+json body by default', async () => {
    const emulator = setup()
    await oidcTokenCall(emulator, (r, code) => r.set('Authorization', basic()).type('form').send(form(code))).then((res) => expect(res.status).toBe(200))
    await oidcTokenCall(emulator, (r, code) =>
      r.set('Authorization', basic()).set('Content-Type', 'application/vnd.api+json').send(JSON.stringify(tokenBody(code))),
    ).then((res) => expect(res.status).toBe(200))
  })

  it.each([
    ['a form', { formBodies: false }, 'application/x-www-form-urlencoded', form],
    ['a form, also under errorsWith200,', { strict: true }, 'application/x-www-form-urlencoded', form],
    ['application/*+json', { plusJson: false }, 'application/vnd.api+json', (code: string) => JSON.stringify(tokenBody(code))],
  ])('refuse %s with 415 and code 100108 when switched off, at the token endpoint', async (_name, options, type, body) => {
    const emulator = setup(options)
    const res = await oidcTokenCall(emulator, (r, code) => r.set('Authorization', basic()).set('Content-Type', type).send(body(code)))
    expect(res.status).toBe(415)
    expect(res.body.error.code).toBe(100108)
  })

  it('refuse a form at the authorization link and the profile request when switched off; JSON still works', async () => {
    const emulator = setup({ formBodies: false })
    const link = await request(emulator.app)
      .post('/api/v1/oauth/authorize')
      .set('Authorization', basic())
      .type('form')
      .send(`redirect_uri=${encodeURIComponent(CALLBACK)}&grants=read.email`)
    expect(link.status).toBe(415)
    const tokens = await oauth2Tokens(emulator, ['read.profile'])
    const profile = await request(emulator.app)
      .post('/api/v1/oauth/get-profile')
      .set('Authorization', `Bearer ${tokens.access_token}`)
      .type('form')
      .send('request_id=5b4f7c8e-1d2a-4e3b-9c8d-7e6f5a4b3c2d&created_at=2024-10-17T12:00:00Z')
    expect(profile.status).toBe(415)
  })

  it('leave the consent page form working when switched off', async () => {
    const emulator = createEmulator({ strict: true })
    const page = await request(emulator.app).get(`/openid?${authorizeQuery()}`).expect(200)
    const transaction = /name="transaction" value="([^"]+)"/.exec(page.text)![1]!
    const done = await request(emulator.app).post('/openid/decide').type('form').send({ transaction, sub: aigerim.sub }).expect(303)
    expect(new URL(done.headers.location!).searchParams.get('code')).toMatch(/^[A-Za-z0-9]+$/)
  })
})

describe('bodyCredentials', () => {
  const withBodyCredentials = (r: request.Test, code: string) =>
    r.send({ ...tokenBody(code), client_id: DEMO_CLIENT.clientID, client_secret: DEMO_CLIENT.clientSecret })

  it('accepts client_secret_post, also beside a broken Basic header, by default', async () => {
    const emulator = setup()
    expect((await oidcTokenCall(emulator, withBodyCredentials)).status).toBe(200)
    expect((await oidcTokenCall(emulator, (r, code) => withBodyCredentials(r.set('Authorization', 'Basic !!!'), code))).status).toBe(200)
  })

  it('refuses both with 401 and code 100401 when switched off; Basic still works', async () => {
    const emulator = setup({ bodyCredentials: false })
    for (const send of [withBodyCredentials, (r: request.Test, code: string) => withBodyCredentials(r.set('Authorization', 'Basic !!!'), code)]) {
      const res = await oidcTokenCall(emulator, send)
      expect(res.status).toBe(401)
      expect(res.body.error.code).toBe(100401)
    }
    expect((await oidcTokenCall(emulator, (r, code) => r.set('Authorization', basic()).send(tokenBody(code)))).status).toBe(200)
  })
})

describe('schemeAnyCase', () => {
  const lowerBasic = () => basic().replace(/^Basic/, 'basic')

  it('accepts "basic" and "bearer" by default', async () => {
    const emulator = setup()
    expect((await oidcTokenCall(emulator, (r, code) => r.set('Authorization', lowerBasic()).send(tokenBody(code)))).status).toBe(200)
    const tokens = await oidcTokens(emulator)
    await request(emulator.app).get('/api/v1/oidc/userinfo').set('Authorization', `bearer ${tokens.access_token}`).expect(200)
  })

  it('accepts only "Basic" and "Bearer" when switched off', async () => {
    const emulator = setup({ schemeAnyCase: false })
    expect((await oidcTokenCall(emulator, (r, code) => r.set('Authorization', lowerBasic()).send(tokenBody(code)))).status).toBe(401)
    const tokens = await oidcTokens(emulator)
    await request(emulator.app).get('/api/v1/oidc/userinfo').set('Authorization', `bearer ${tokens.access_token}`).expect(401)
    await request(emulator.app).get('/api/v1/oidc/userinfo').set('Authorization', `Bearer ${tokens.access_token}`).expect(200)
    const refresh = await request(emulator.app).patch('/api/v1/oauth/token').set('Authorization', `BEARER ${tokens.refresh_token}`)
    expect(refresh.status).toBe(401)
  })
})

describe('exactRedirectURI', () => {
  const registered = 'https://app.example/auth/callback'
  const client = { ...DEMO_CLIENT, redirectURIs: [registered] }
  const link = (emulator: ReturnType<typeof setup>, redirectURI: string) =>
    request(emulator.app).post('/api/v1/oauth/authorize').set('Authorization', basic()).send({ redirect_uri: redirectURI, grants: ['read.email'] })

  it('OAuth2: by default ignores the query against a registered URI, and takes any http(s) URL without one', async () => {
    await link(setup({ clients: [client] }), `${registered}?state=abc`).expect(200)
    await link(setup(), 'https://anywhere.example/cb?state=abc').expect(200)
  })

  it('OAuth2: when switched on, compares the query too, and takes only loopback URLs without a query when none are registered', async () => {
    const strict = setup({ clients: [client], exactRedirectURI: true })
    await link(strict, registered).expect(200)
    const res = await link(strict, `${registered}?state=abc`).expect(422)
    expect(res.body.error.errors).toEqual({ redirect_uri: ['The selected redirect uri is invalid.'] })
    const bare = setup({ exactRedirectURI: true })
    await link(bare, CALLBACK).expect(200)
    await link(bare, `${CALLBACK}?state=abc`).expect(422)
    await link(bare, 'https://anywhere.example/cb').expect(422)
  })

  it('OIDC: a loopback URL with a query is taken by default, and not when switched on', async () => {
    const uri = `${CALLBACK}?tenant=1`
    expect((await authorize(setup().app, { redirect_uri: uri })).get('code')).toBeTruthy()
    await request(setup({ exactRedirectURI: true }).app).get(`/openid?${authorizeQuery({ redirect_uri: uri })}`).expect(400)
    expect((await authorize(setup({ exactRedirectURI: true }).app)).get('code')).toBeTruthy()
  })
})

describe('flavourBoundTokens', () => {
  it('by default, OIDC tokens work at the OAuth2 endpoints and OAuth2 tokens at OIDC userinfo', async () => {
    const emulator = setup()
    const oidc = await oidcTokens(emulator, { scope: 'openid read.email read.profile' })
    await request(emulator.app).get('/api/v1/oauth/user').set('Authorization', `Bearer ${oidc.access_token}`).expect(200)
    await request(emulator.app).patch('/api/v1/oauth/token').set('Authorization', `Bearer ${oidc.refresh_token}`).expect(200)
    const oauth2 = await oauth2Tokens(emulator)
    await request(emulator.app).get('/api/v1/oidc/userinfo').set('Authorization', `Bearer ${oauth2.access_token}`).expect(200)
  })

  it('when switched on, each token works only in its own flavour', async () => {
    const emulator = setup({ flavourBoundTokens: true })
    const oidc = await oidcTokens(emulator, { scope: 'openid read.email read.profile' })
    const bearer = `Bearer ${oidc.access_token}`
    expect((await request(emulator.app).get('/api/v1/oauth/user').set('Authorization', bearer).expect(401)).body.error.code).toBe(100402)
    const refresh = await request(emulator.app).patch('/api/v1/oauth/token').set('Authorization', `Bearer ${oidc.refresh_token}`).expect(401)
    expect(refresh.body.error.code).toBe(100403)
    await request(emulator.app)
      .post('/api/v1/oauth/get-profile')
      .set('Authorization', bearer)
      .send({ request_id: '5b4f7c8e-1d2a-4e3b-9c8d-7e6f5a4b3c2d', created_at: '2024-10-17T12:00:00Z' })
      .expect(401)
    await request(emulator.app).get('/api/v1/oauth/get-profile/status?request_id=x').set('Authorization', bearer).expect(401)
    await request(emulator.app).get('/api/v1/oidc/userinfo').set('Authorization', bearer).expect(200)

    const oauth2 = await oauth2Tokens(emulator)
    await request(emulator.app).get('/api/v1/oidc/userinfo').set('Authorization', `Bearer ${oauth2.access_token}`).expect(401)
    await request(emulator.app).get('/api/v1/oauth/user').set('Authorization', `Bearer ${oauth2.access_token}`).expect(200)
    await request(emulator.app).patch('/api/v1/oauth/token').set('Authorization', `Bearer ${oauth2.refresh_token}`).expect(200)
  })
})

describe('burnCodeOnFailure', () => {
  const exchange = (emulator: ReturnType<typeof setup>, code: string, body: Record<string, string> = {}) =>
    request(emulator.app).post('/api/v1/oidc/token').set('Authorization', basic()).send({ ...tokenBody(code), ...body })

  it.each<[string, Record<string, string>, number, { pkce?: boolean }]>([
    ['a wrong redirect_uri', { redirect_uri: 'http://127.0.0.1:3000/other' }, 100103, {}],
    ['a wrong PKCE verifier', { code_verifier: pkcePair().verifier }, 100104, { pkce: true }],
  ])('by default a code survives an exchange with %s; when switched on it is burned', async (_name, wrong, code, flags) => {
    for (const burn of [false, true]) {
      const emulator = setup({ burnCodeOnFailure: burn })
      const pair = pkcePair()
      const params = (await authorize(emulator.app, flags.pkce ? { code_challenge: pair.challenge, code_challenge_method: 'S256' } : {})).get('code')!
      const failed = await exchange(emulator, params, wrong)
      expect(failed.body.error.code).toBe(code)
      const retry = await exchange(emulator, params, flags.pkce ? { code_verifier: pair.verifier } : {})
      expect(retry.status).toBe(burn ? 400 : 200)
      if (burn) expect(retry.body.error.code).toBe(100101)
    }
  })

  it('OAuth2: a code presented by another client is burned when switched on', async () => {
    const other = { clientID: 'other-client', clientSecret: 'other-secret' }
    for (const burn of [false, true]) {
      const emulator = setup({ burnCodeOnFailure: burn, clients: [DEMO_CLIENT, other] })
      const url = await oauth2Link(emulator.app)
      const code = new URL((await request(emulator.app).get(`${url.pathname}${url.search}`).expect(302)).headers.location!).searchParams.get('authorization_code')
      await request(emulator.app).post('/api/v1/oauth/token').set('Authorization', basic(other.clientID, other.clientSecret)).send({ authorization_code: code }).expect(400)
      const mine = await request(emulator.app).post('/api/v1/oauth/token').set('Authorization', basic()).send({ authorization_code: code })
      expect(mine.status).toBe(burn ? 400 : 200)
    }
  })
})

describe('errorsWith200', () => {
  it('by default errors are 4xx, a 401 with WWW-Authenticate', async () => {
    const res = await request(setup().app).get('/api/v1/oidc/userinfo').set('Authorization', 'Bearer nope')
    expect(res.status).toBe(401)
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/)
  })

  it('when switched on, API errors keep their body under HTTP 200; unknown paths and broken JSON keep their 4xx', async () => {
    const emulator = setup({ errorsWith200: true })
    const userinfo = await request(emulator.app).get('/api/v1/oidc/userinfo').set('Authorization', 'Bearer nope')
    expect(userinfo.status).toBe(200)
    expect(userinfo.body).toEqual({ error: { message: 'Unauthenticated.', code: 100402 } })
    expect(userinfo.headers['www-authenticate']).toBeUndefined()
    const code = await request(emulator.app).post('/api/v1/oauth/token').set('Authorization', basic()).send({ authorization_code: 'nope' })
    expect([code.status, code.body]).toEqual([200, { error: { message: 'Invalid authorization_code.', code: 100101 } }])
    const invalid = await request(emulator.app).post('/api/v1/oauth/authorize').set('Authorization', basic()).send({ redirect_uri: CALLBACK })
    expect([invalid.status, invalid.body.error.errors]).toEqual([200, { grants: ['The Grants field is required.'] }])
    await request(emulator.app).get('/api/v1/nothing').expect(404)
    await request(emulator.app).post('/api/v1/oauth/token').set('Content-Type', 'application/json').send('{"broken').expect(400)
  })

  it('a tamper\'s status still wins', async () => {
    const emulator = setup({ errorsWith200: true })
    emulator.nextUserInfoResponse({ status: 401 })
    expect((await request(emulator.app).get('/api/v1/oidc/userinfo').set('Authorization', 'Bearer nope')).status).toBe(401)
  })
})

describe('revokeTokenId', () => {
  it.each<['newest' | 'original', (t: { id: string; originalId: string }) => string]>([
    ['newest', (t) => t.id],
    ['original', (t) => t.originalId],
  ])('after a refresh, a sign-out POSTs the %s token id', async (which, expected) => {
    const received: unknown[] = []
    const { createServer } = await import('node:http')
    const server = createServer((req, res) => {
      let body = ''
      req.on('data', (d: Buffer) => (body += d.toString()))
      req.on('end', () => {
        received.push(JSON.parse(body))
        res.writeHead(204).end()
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const port = (server.address() as { port: number }).port
      const emulator = setup({ revokeTokenId: which })
      const first = await oauth2Tokens(emulator, ['read.email'], { revoke_uri: `http://127.0.0.1:${port}/revoke` })
      const refreshed = await request(emulator.app).patch('/api/v1/oauth/token').set('Authorization', `Bearer ${first.refresh_token}`).expect(200)
      expect(refreshed.body.id).not.toBe(first.id)
      const live = emulator.tokens().find((t) => !t.revoked)!
      expect(live).toMatchObject({ id: refreshed.body.id, originalId: first.id })
      const deliveries = await emulator.logout({ sub: aigerim.sub })
      expect(deliveries).toEqual([{ id: expected(live), revokeURI: `http://127.0.0.1:${port}/revoke`, status: 204 }])
      expect(received).toEqual([{ id: expected(live) }])
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
  })
})
