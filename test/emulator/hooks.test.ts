import { constants, createHmac, createPublicKey, verify } from 'node:crypto'
import { describe, expect, it } from '@jest/globals'
import { decodeJwt, decodeProtectedHeader } from 'jose'
import request from 'supertest'
import { createEmulator, DEFAULT_USERS, DEMO_CLIENT, type EmulatorSigningAlg } from '../../src/emulator/index.js'
import { authorize, basic, CALLBACK, oidcTokens, verifyWithServedJWKS } from './support.js'

const aigerim = DEFAULT_USERS[0]!

function setup() {
  return createEmulator({ autoLogin: aigerim.sub })
}

async function tokenCall(emulator: ReturnType<typeof setup>) {
  const code = (await authorize(emulator.app)).get('code')
  return request(emulator.app)
    .post('/api/v1/oidc/token')
    .set('Authorization', basic())
    .send({ grant_type: 'authorization_code', code, redirect_uri: CALLBACK })
}

describe('nextIdToken', () => {
  it('merges claims over the real ones, deletes those set to undefined, and still signs properly', async () => {
    const emulator = setup()
    emulator.nextIdToken({ claims: { iss: 'https://evil.example', nonce: undefined, azp: 'x' } })
    const tokens = await oidcTokens(emulator)
    const claims = decodeJwt(tokens.id_token as string)
    expect(claims.iss).toBe('https://evil.example')
    expect(claims.azp).toBe('x')
    expect('nonce' in claims).toBe(false)
    expect(claims.sub).toBe(aigerim.sub)
  })

  it('applies to the next id_token only, and queued tampers apply in order', async () => {
    const emulator = setup()
    emulator.nextIdToken({ claims: { nonce: 'first' } })
    emulator.nextIdToken({ claims: { nonce: 'second' } })
    const nonces = []
    for (let i = 0; i < 3; i++) nonces.push(decodeJwt((await oidcTokens(emulator)).id_token as string).nonce)
    expect(nonces).toEqual(['first', 'second', 'nonce-456'])
  })

  it('merges the header: an unknown kid or a deleted kid', async () => {
    const emulator = setup()
    emulator.nextIdToken({ header: { kid: 'other' } })
    emulator.nextIdToken({ header: { kid: undefined } })
    expect(decodeProtectedHeader((await oidcTokens(emulator)).id_token as string).kid).toBe('other')
    const noKid = (await oidcTokens(emulator)).id_token as string
    expect(decodeProtectedHeader(noKid).kid).toBeUndefined()
    await verifyWithServedJWKS(emulator, noKid)
  })

  it('produces an unsigned token for alg none', async () => {
    const emulator = setup()
    emulator.nextIdToken({ header: { alg: 'none' } })
    const token = (await oidcTokens(emulator)).id_token as string
    expect(token.endsWith('.')).toBe(true)
    expect(decodeProtectedHeader(token).alg).toBe('none')
  })

  it('keeps the real signature under a header that claims another alg', async () => {
    const emulator = setup()
    emulator.nextIdToken({ header: { alg: 'HS256' } })
    const token = (await oidcTokens(emulator)).id_token as string
    expect(decodeProtectedHeader(token).alg).toBe('HS256')
    await expect(verifyWithServedJWKS(emulator, token)).rejects.toBeDefined()
  })

  it.each<[EmulatorSigningAlg, string]>([
    ['RS256', 'PS256'],
    ['PS256', 'RS256'],
    ['ES256', 'RS256'],
    ['EdDSA', 'ES256'],
    ['HS256', 'RS256'],
  ])('signs %s tokens with the real key and algorithm under a header claiming %s', async (alg, claimed) => {
    const emulator = createEmulator({ autoLogin: aigerim.sub, idTokenAlg: alg })
    emulator.nextIdToken({ header: { alg: claimed } })
    const token = (await oidcTokens(emulator)).id_token as string
    expect(decodeProtectedHeader(token).alg).toBe(claimed)
    const [h, p, sig] = token.split('.') as [string, string, string]
    const input = Buffer.from(`${h}.${p}`)
    const signature = Buffer.from(sig, 'base64url')
    const key = createPublicKey(emulator.publicKeyPEM())
    const valid = {
      RS256: () => verify('sha256', input, key, signature),
      PS256: () => verify('sha256', input, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, signature),
      ES256: () => verify('sha256', input, { key, dsaEncoding: 'ieee-p1363' }, signature),
      EdDSA: () => verify(null, input, key, signature),
      HS256: () => createHmac('sha256', DEMO_CLIENT.clientSecret).update(input).digest().equals(signature),
    }[alg]()
    expect(valid).toBe(true)
  })

  it('lets a custom signer produce the whole token', async () => {
    const emulator = setup()
    emulator.nextIdToken({ claims: { extra: 1 }, sign: (payload, header) => `custom.${payload.extra}.${header.alg}` })
    expect((await oidcTokens(emulator)).id_token).toBe('custom.1.RS256')
  })
})

describe('nextTokenResponse', () => {
  it('replaces the status and body of the next token response only', async () => {
    const emulator = setup()
    emulator.nextTokenResponse({ status: 400, body: { error: { message: 'Nope', code: 100199 } } })
    const first = await tokenCall(emulator)
    expect(first.status).toBe(400)
    expect(first.body).toEqual({ error: { message: 'Nope', code: 100199 } })
    expect((await tokenCall(emulator)).status).toBe(200)
  })

  it('sends a raw body with the given content type', async () => {
    const emulator = setup()
    emulator.nextTokenResponse({ status: 503, rawBody: '<h1>Maintenance</h1>', contentType: 'text/html' })
    const res = await tokenCall(emulator)
    expect(res.status).toBe(503)
    expect(res.headers['content-type']).toMatch(/^text\/html/)
    expect(res.text).toBe('<h1>Maintenance</h1>')
  })

  it('changes only the status when only a status is given', async () => {
    const emulator = setup()
    emulator.nextTokenResponse({ status: 201 })
    const res = await tokenCall(emulator)
    expect(res.status).toBe(201)
    expect(res.body.access_token).toMatch(/^[A-Za-z0-9]{128}$/)
  })

  it('waits the delay before answering normally', async () => {
    const emulator = setup()
    emulator.nextTokenResponse({ delay: 50 })
    const res = await tokenCall(emulator)
    expect(res.status).toBe(200)
    expect(res.body.id_token).toEqual(expect.any(String))
  })

  it('applies to the OAuth2 refresh as well', async () => {
    const emulator = setup()
    emulator.nextTokenResponse({ status: 500, body: { message: 'Server Error' } })
    const res = await request(emulator.app).patch('/api/v1/oauth/token').set('Authorization', 'Bearer x')
    expect(res.status).toBe(500)
    expect(res.body).toEqual({ message: 'Server Error' })
  })
})

describe('nextUserInfoResponse', () => {
  it('replaces the next userinfo response', async () => {
    const emulator = setup()
    const tokens = await oidcTokens(emulator)
    emulator.nextUserInfoResponse({ body: { sub: 'someone-else' } })
    const auth = `Bearer ${tokens.access_token}`
    expect((await request(emulator.app).get('/api/v1/oidc/userinfo').set('Authorization', auth)).body).toEqual({ sub: 'someone-else' })
    expect((await request(emulator.app).get('/api/v1/oidc/userinfo').set('Authorization', auth)).body.sub).toBe(aigerim.sub)
  })
})

describe('reset', () => {
  it('clears tokens, codes, queued tampers and counters', async () => {
    const emulator = setup()
    const tokens = await oidcTokens(emulator)
    const code = (await authorize(emulator.app)).get('code')
    emulator.nextTokenResponse({ status: 500 })
    emulator.nextIdToken({ claims: { iss: 'x' } })
    emulator.reset()
    expect(emulator.tokens()).toEqual([])
    expect(emulator.stats).toEqual({ discovery: 0, jwks: 0, authorize: 0, token: 0, userinfo: 0, connections: 0 })
    await request(emulator.app).get('/api/v1/oidc/userinfo').set('Authorization', `Bearer ${tokens.access_token}`).expect(401)
    const res = await request(emulator.app)
      .post('/api/v1/oidc/token')
      .set('Authorization', basic())
      .send({ grant_type: 'authorization_code', code, redirect_uri: CALLBACK })
      .expect(400)
    expect(res.body.error.code).toBe(100101)
    expect(decodeJwt((await oidcTokens(emulator)).id_token as string).iss).toBe(emulator.issuer)
  })
})
