import { describe, expect, it } from '@jest/globals'
import { decodeProtectedHeader } from 'jose'
import request from 'supertest'
import { createEmulator, DEFAULT_USERS, DEMO_CLIENT, type EmulatorOptions } from '../../src/emulator/index.js'
import { authorize, basic, CALLBACK, fakeClock, oidcTokens, pkcePair, verifyWithServedJWKS } from './support.js'

const aigerim = DEFAULT_USERS[0]!
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

function setup(options: EmulatorOptions = {}) {
  return createEmulator({ autoLogin: aigerim.sub, issuer: 'http://127.0.0.1:4000', ...options })
}

type App = ReturnType<typeof setup>['app']

function exchange(app: App, body: unknown, path = '/api/v1/oidc/token') {
  return request(app).post(path).set('Authorization', basic()).send(body as object)
}

describe('POST /api/v1/oidc/token', () => {
  it('exchanges a code for opaque tokens, a UUIDv7 id and an id_token the served JWKS verifies', async () => {
    const emulator = setup()
    const body = await oidcTokens(emulator)
    expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_in', 'id', 'id_token', 'refresh_token', 'token_type'])
    expect(body.access_token).toMatch(/^[a-zA-Z0-9]{128}$/)
    expect(body.refresh_token).toMatch(/^[a-zA-Z0-9]{128}$/)
    expect(body.access_token).not.toBe(body.refresh_token)
    expect(body).toMatchObject({ expires_in: 604800, token_type: 'Bearer' })
    expect(body.id).toMatch(UUID_V7)

    const { payload, protectedHeader } = await verifyWithServedJWKS(emulator, body.id_token as string)
    expect(Object.keys(payload).sort()).toEqual(['aud', 'auth_time', 'exp', 'iat', 'iss', 'nonce', 'sub'])
    expect(payload).toMatchObject({ iss: 'http://127.0.0.1:4000', sub: aigerim.sub, aud: DEMO_CLIENT.clientID, nonce: 'nonce-456' })
    expect(payload.exp! - payload.iat!).toBe(604800)
    expect(protectedHeader).toEqual({ alg: 'RS256', typ: 'JWT', kid: emulator.publicJWKS().keys[0]!.kid })
    expect(emulator.stats.token).toBe(1)
  })

  it('answers on the misprinted path /api/v1oidc//token too', async () => {
    const emulator = setup()
    const code = (await authorize(emulator.app)).get('code')
    const res = await exchange(emulator.app, { grant_type: 'authorization_code', code, redirect_uri: CALLBACK }, '/api/v1oidc//token')
    expect(res.status).toBe(200)
    expect(res.body.id_token).toEqual(expect.any(String))
  })

  it('accepts a form body with the client credentials in it', async () => {
    const emulator = setup()
    const code = (await authorize(emulator.app)).get('code')!
    const res = await request(emulator.app)
      .post('/api/v1/oidc/token')
      .type('form')
      .send({
        grant_type: 'authorization_code',
        code,
        redirect_uri: CALLBACK,
        client_id: DEMO_CLIENT.clientID,
        client_secret: DEMO_CLIENT.clientSecret,
      })
      .expect(200)
    expect(res.headers['cache-control']).toBe('no-store')
  })

  it('accepts form-encoded Basic credentials', async () => {
    const emulator = setup({ clients: [{ clientID: 'id:with colon', clientSecret: 's+cret' }] })
    const code = (await authorize(emulator.app, { client_id: 'id:with colon' })).get('code')
    await request(emulator.app)
      .post('/api/v1/oidc/token')
      .set('Authorization', basic(encodeURIComponent('id:with colon'), encodeURIComponent('s+cret')))
      .send({ grant_type: 'authorization_code', code, redirect_uri: CALLBACK })
      .expect(200)
  })

  it('remembers the revoke_uri for the token record', async () => {
    const emulator = setup()
    const body = await oidcTokens(emulator, {}, { revoke_uri: 'https://app.example/revoke' })
    expect(emulator.tokens()).toEqual([
      expect.objectContaining({ id: body.id, sub: aigerim.sub, clientID: DEMO_CLIENT.clientID, protocol: 'oidc', revoked: false, revokeURI: 'https://app.example/revoke' }),
    ])
  })

  it('completes a PKCE exchange with the right verifier', async () => {
    const emulator = setup()
    const { verifier, challenge } = pkcePair()
    await oidcTokens(emulator, { code_challenge: challenge, code_challenge_method: 'S256' }, { code_verifier: verifier })
  })

  it('accepts a code once, and revokes the tokens of a code presented twice', async () => {
    const emulator = setup()
    const code = (await authorize(emulator.app)).get('code')
    const first = await exchange(emulator.app, { grant_type: 'authorization_code', code, redirect_uri: CALLBACK }).expect(200)
    const second = await exchange(emulator.app, { grant_type: 'authorization_code', code, redirect_uri: CALLBACK }).expect(400)
    expect(second.body).toEqual({ error: { message: 'Invalid authorization_code.', code: 100101 } })
    expect(emulator.tokens()[0]).toMatchObject({ id: first.body.id, revoked: true })
    await request(emulator.app).get('/api/v1/oidc/userinfo').set('Authorization', `Bearer ${first.body.access_token}`).expect(401)
  })

  it('refuses a code once its 60 seconds have passed', async () => {
    const clock = fakeClock()
    const emulator = setup({ now: clock.now })
    const code = (await authorize(emulator.app)).get('code')
    clock.advance(60_000)
    const res = await exchange(emulator.app, { grant_type: 'authorization_code', code, redirect_uri: CALLBACK }).expect(400)
    expect(res.body.error.code).toBe(100101)
  })

  it('honours the codeTTL option', async () => {
    const clock = fakeClock()
    const emulator = setup({ now: clock.now, codeTTL: 300 })
    const code = (await authorize(emulator.app)).get('code')
    clock.advance(299_000)
    await exchange(emulator.app, { grant_type: 'authorization_code', code, redirect_uri: CALLBACK }).expect(200)
  })

  const pkce = pkcePair()
  const failures: [string, Record<string, string | undefined>, (app: App, code: string) => request.Test, number, number | 'validation'][] = [
    ['a wrong client secret', {}, (app, code) => request(app).post('/api/v1/oidc/token').set('Authorization', basic(DEMO_CLIENT.clientID, 'wrong')).send({ grant_type: 'authorization_code', code, redirect_uri: CALLBACK }), 401, 100401],
    ['no client authentication', {}, (app, code) => request(app).post('/api/v1/oidc/token').send({ grant_type: 'authorization_code', code, redirect_uri: CALLBACK }), 401, 100401],
    ['an unknown client', {}, (app, code) => request(app).post('/api/v1/oidc/token').set('Authorization', basic('other', 'x')).send({ grant_type: 'authorization_code', code, redirect_uri: CALLBACK }), 401, 100401],
    ['a Basic header without a colon', {}, (app, code) => request(app).post('/api/v1/oidc/token').set('Authorization', `Basic ${Buffer.from('nocolon').toString('base64')}`).send({ grant_type: 'authorization_code', code, redirect_uri: CALLBACK }), 401, 100401],
    ['a body client_id other than the Basic one', {}, (app, code) => exchange(app, { grant_type: 'authorization_code', code, redirect_uri: CALLBACK, client_id: 'other' }), 401, 100401],
    ['an unknown code', {}, (app) => exchange(app, { grant_type: 'authorization_code', code: 'nope', redirect_uri: CALLBACK }), 400, 100101],
    ['a code issued to another client', { client_id: 'second' }, (app, code) => exchange(app, { grant_type: 'authorization_code', code, redirect_uri: CALLBACK }), 400, 100101],
    ['another redirect_uri', {}, (app, code) => exchange(app, { grant_type: 'authorization_code', code, redirect_uri: 'http://127.0.0.1:3000/other' }), 400, 100103],
    ['grant_type refresh_token', {}, (app, code) => exchange(app, { grant_type: 'refresh_token', code, redirect_uri: CALLBACK }), 400, 100105],
    ['no code_verifier after a challenge', { code_challenge: pkce.challenge, code_challenge_method: 'S256' }, (app, code) => exchange(app, { grant_type: 'authorization_code', code, redirect_uri: CALLBACK }), 400, 100104],
    ['a wrong code_verifier', { code_challenge: pkce.challenge, code_challenge_method: 'S256' }, (app, code) => exchange(app, { grant_type: 'authorization_code', code, redirect_uri: CALLBACK, code_verifier: pkcePair().verifier }), 400, 100104],
    ['a malformed code_verifier', { code_challenge: pkce.challenge, code_challenge_method: 'S256' }, (app, code) => exchange(app, { grant_type: 'authorization_code', code, redirect_uri: CALLBACK, code_verifier: 'short' }), 400, 100104],
    ['a code_verifier without a challenge', {}, (app, code) => exchange(app, { grant_type: 'authorization_code', code, redirect_uri: CALLBACK, code_verifier: pkce.verifier }), 400, 100104],
    ['no code', {}, (app) => exchange(app, { grant_type: 'authorization_code', redirect_uri: CALLBACK }), 422, 'validation'],
    ['a numeric code', {}, (app) => exchange(app, { grant_type: 'authorization_code', code: 12345, redirect_uri: CALLBACK }), 422, 'validation'],
    ['no grant_type', {}, (app, code) => exchange(app, { code, redirect_uri: CALLBACK }), 422, 'validation'],
    ['no redirect_uri', {}, (app, code) => exchange(app, { grant_type: 'authorization_code', code }), 422, 'validation'],
    ['a revoke_uri that is not a URL', {}, (app, code) => exchange(app, { grant_type: 'authorization_code', code, redirect_uri: CALLBACK, revoke_uri: 'ftp://x' }), 422, 'validation'],
    ['a JSON array body', {}, (app) => exchange(app, [1, 2]), 400, 100106],
    ['a JSON string body', {}, (app) => request(app).post('/api/v1/oidc/token').set('Authorization', basic()).type('json').send('"code"'), 400, 100106],
    ['broken JSON', {}, (app) => request(app).post('/api/v1/oidc/token').set('Authorization', basic()).type('json').send('{"code":'), 400, 100106],
    ['a body over 64 KiB', {}, (app, code) => exchange(app, { grant_type: 'authorization_code', code, redirect_uri: CALLBACK, pad: 'x'.repeat(70_000) }), 413, 100107],
    ['a form with repeated fields', {}, (app, code) => request(app).post('/api/v1/oidc/token').set('Authorization', basic()).type('form').send(`grant_type=authorization_code&code=${code}&code=${code}&redirect_uri=${encodeURIComponent(CALLBACK)}`), 422, 'validation'],
  ]

  it.each(failures)('refuses %s', async (_name, authorizeOverrides, send, status, code) => {
    const emulator = setup({
      clients: [
        { clientID: DEMO_CLIENT.clientID, clientSecret: DEMO_CLIENT.clientSecret },
        { clientID: 'second', clientSecret: 'second-secret' },
      ],
    })
    const authCode = (await authorize(emulator.app, authorizeOverrides)).get('code')!
    const res = await send(emulator.app, authCode)
    expect(res.status).toBe(status)
    expect(res.headers['content-type']).toMatch(/application\/json/)
    if (code === 'validation') {
      expect(res.body.error.message).toBe('Error validating transmitted data.')
      expect(Object.keys(res.body.error.errors).length).toBeGreaterThan(0)
    } else {
      expect(res.body.error.code).toBe(code)
    }
    expect(emulator.tokens()).toHaveLength(0)
  })

  it('keeps a code usable after a refused attempt with a wrong redirect_uri', async () => {
    const emulator = setup()
    const code = (await authorize(emulator.app)).get('code')
    await exchange(emulator.app, { grant_type: 'authorization_code', code, redirect_uri: 'http://127.0.0.1/x' }).expect(400)
    await exchange(emulator.app, { grant_type: 'authorization_code', code, redirect_uri: CALLBACK }).expect(200)
  })

  it('signs an HS256 id_token with the client secret and no kid', async () => {
    const emulator = setup({ idTokenAlg: 'HS256' })
    const body = await oidcTokens(emulator)
    expect(decodeProtectedHeader(body.id_token as string)).toEqual({ alg: 'HS256', typ: 'JWT' })
    const { jwtVerify } = await import('jose')
    const { payload } = await jwtVerify(body.id_token as string, new TextEncoder().encode(DEMO_CLIENT.clientSecret))
    expect(payload.sub).toBe(aigerim.sub)
  })
})
