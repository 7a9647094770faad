import { describe, expect, it } from '@jest/globals'
import request from 'supertest'
import { createEmulator, DEFAULT_USERS, DEMO_CLIENT } from '../../src/emulator/index.js'
import { authorizeQuery, CALLBACK } from './support.js'

const aigerim = DEFAULT_USERS[0]!

function consentForm(html: string): { transaction: string } {
  const transaction = /name="transaction" value="([^"]+)"/.exec(html)?.[1]
  if (!transaction) throw new Error('no transaction in the page')
  return { transaction }
}

describe('GET /openid', () => {
  it('redirects at once with a code and the state in automatic mode', async () => {
    const emulator = createEmulator({ autoLogin: aigerim.sub })
    const res = await request(emulator.app).get(`/openid?${authorizeQuery()}`).expect(302)
    const location = new URL(res.headers.location!)
    expect(`${location.origin}${location.pathname}`).toBe(CALLBACK)
    expect(location.searchParams.get('state')).toBe('state-123')
    expect(location.searchParams.get('code')).toMatch(/^[A-Za-z0-9]{64}$/)
    expect(emulator.stats.authorize).toBe(1)
  })

  it('keeps the query the redirect_uri already has', async () => {
    const emulator = createEmulator({ autoLogin: aigerim.sub })
    const res = await request(emulator.app)
      .get(`/openid?${authorizeQuery({ redirect_uri: `${CALLBACK}?tenant=kz` })}`)
      .expect(302)
    const params = new URL(res.headers.location!).searchParams
    expect(params.get('tenant')).toBe('kz')
    expect(params.get('code')).not.toBeNull()
  })

  it('shows a consent page naming the client, its grants and one button per user', async () => {
    const emulator = createEmulator()
    const res = await request(emulator.app).get(`/openid?${authorizeQuery()}`).expect(200)
    expect(res.headers['content-type']).toMatch(/text\/html/)
    expect(res.headers['content-security-policy']).toContain("default-src 'none'")
    expect(res.text).toContain('<title>Freedom ID (emulator)</title>')
    expect(res.text).toContain(DEMO_CLIENT.clientID)
    expect(res.text).toContain('read.email')
    expect(res.text).toContain('Continue as Aigerim Bekova')
    expect(res.text).toContain('Continue as Daniyar Seitkali')
    expect(res.text).toContain('Continue as Yerlan')
    expect(res.text).toContain('>Cancel<')
    expect(res.text).not.toContain('nonce-456')
  })

  it('escapes HTML in what the page shows', async () => {
    const emulator = createEmulator({
      clients: [{ clientID: 'c1', clientSecret: 's', name: '<script>alert(1)</script>' }],
      users: [{ sub: 'u"1', firstname: '<b>Asel</b>' }],
    })
    const res = await request(emulator.app)
      .get(`/openid?${authorizeQuery({ client_id: 'c1' })}`)
      .expect(200)
    expect(res.text).not.toContain('<script>alert(1)</script>')
    expect(res.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
    expect(res.text).toContain('value="u&quot;1"')
    expect(res.text).toContain('Continue as &lt;b&gt;Asel&lt;/b&gt;')
  })

  it('signs in the user picked on the page and redirects with a code and the state', async () => {
    const emulator = createEmulator()
    const page = await request(emulator.app).get(`/openid?${authorizeQuery()}`).expect(200)
    const res = await request(emulator.app)
      .post('/openid/decide')
      .type('form')
      .send({ ...consentForm(page.text), sub: aigerim.sub })
      .expect(303)
    const params = new URL(res.headers.location!).searchParams
    expect(params.get('state')).toBe('state-123')
    expect(emulator.tokens()).toHaveLength(0)
    expect([...params.keys()].sort()).toEqual(['code', 'state'])
  })

  it('redirects with access_denied and the state when the user cancels', async () => {
    const emulator = createEmulator()
    const page = await request(emulator.app).get(`/openid?${authorizeQuery()}`).expect(200)
    const res = await request(emulator.app)
      .post('/openid/decide')
      .type('form')
      .send({ ...consentForm(page.text), cancel: '1' })
      .expect(303)
    const params = new URL(res.headers.location!).searchParams
    expect(params.get('error')).toBe('access_denied')
    expect(params.get('error_description')).toBe('The user cancelled')
    expect(params.get('state')).toBe('state-123')
    expect(params.get('code')).toBeNull()
  })

  it.each([
    [{}, null],
    [{ authorizationResponseIss: true }, 'http://127.0.0.1:4000'],
    [{ authorizationResponseIss: true, issuerTrailingSlash: true }, 'http://127.0.0.1:4000/'],
  ])('with %j the success and cancel callbacks carry iss %s (RFC 9207)', async (options, iss) => {
    const emulator = createEmulator({ issuer: 'http://127.0.0.1:4000', ...options })
    emulator.setAutoLogin(aigerim.sub)
    const success = await request(emulator.app).get(`/openid?${authorizeQuery()}`).expect(302)
    expect(new URL(success.headers.location!).searchParams.get('iss')).toBe(iss)
    emulator.setAutoLogin(false)
    const page = await request(emulator.app).get(`/openid?${authorizeQuery()}`).expect(200)
    const cancel = await request(emulator.app).post('/openid/decide').type('form').send({ ...consentForm(page.text), cancel: '1' }).expect(303)
    expect(new URL(cancel.headers.location!).searchParams.get('iss')).toBe(iss)
    const invalid = await request(emulator.app).get(`/openid?${authorizeQuery({ response_type: 'token' })}`).expect(302)
    expect(new URL(invalid.headers.location!).searchParams.get('iss')).toBe(iss)
  })

  it('accepts a decision once per sign-in', async () => {
    const emulator = createEmulator()
    const page = await request(emulator.app).get(`/openid?${authorizeQuery()}`).expect(200)
    const form = { ...consentForm(page.text), sub: aigerim.sub }
    await request(emulator.app).post('/openid/decide').type('form').send(form).expect(303)
    const again = await request(emulator.app).post('/openid/decide').type('form').send(form).expect(400)
    expect(again.headers.location).toBeUndefined()
  })

  it.each([
    ['an unknown transaction', { transaction: 'nope', sub: aigerim.sub }],
    ['no transaction', { sub: aigerim.sub }],
    ['an unknown user', 'unknown-user'],
  ])('answers the decision form with 400 for %s', async (_name, form) => {
    const emulator = createEmulator()
    const page = await request(emulator.app).get(`/openid?${authorizeQuery()}`).expect(200)
    const body = typeof form === 'string' ? { ...consentForm(page.text), sub: form } : form
    const res = await request(emulator.app).post('/openid/decide').type('form').send(body).expect(400)
    expect(res.headers['content-type']).toMatch(/text\/html/)
  })

  it.each([
    ['an unknown client_id', { client_id: 'unknown' }],
    ['no client_id', { client_id: undefined }],
    ['no redirect_uri', { redirect_uri: undefined }],
    ['a non-loopback redirect_uri for a client without a list', { redirect_uri: 'https://evil.example/cb' }],
    ['a redirect_uri that is not a URL', { redirect_uri: 'not a url' }],
    ['a redirect_uri with a fragment', { redirect_uri: `${CALLBACK}#frag` }],
    ['a javascript: redirect_uri', { redirect_uri: 'javascript://127.0.0.1/%0aalert(1)' }],
  ])('answers 400 with an HTML page and no redirect for %s', async (_name, overrides) => {
    const emulator = createEmulator({ autoLogin: aigerim.sub })
    const res = await request(emulator.app).get(`/openid?${authorizeQuery(overrides)}`).expect(400)
    expect(res.headers.location).toBeUndefined()
    expect(res.headers['content-type']).toMatch(/text\/html/)
  })

  it.each(['http://localhost:8080/cb', 'http://[::1]:8080/cb', 'https://127.0.0.1/cb'])(
    'accepts the loopback redirect_uri %s for a client without a list',
    async (redirectURI) => {
      const emulator = createEmulator({ autoLogin: aigerim.sub })
      await request(emulator.app).get(`/openid?${authorizeQuery({ redirect_uri: redirectURI })}`).expect(302)
    },
  )

  it('matches a registered redirect_uri list exactly', async () => {
    const registered = 'https://app.example/auth/callback'
    const emulator = createEmulator({
      autoLogin: aigerim.sub,
      clients: [{ clientID: 'c1', clientSecret: 's', redirectURIs: [registered] }],
    })
    await request(emulator.app).get(`/openid?${authorizeQuery({ client_id: 'c1', redirect_uri: registered })}`).expect(302)
    await request(emulator.app)
      .get(`/openid?${authorizeQuery({ client_id: 'c1', redirect_uri: `${registered}/` })}`)
      .expect(400)
    await request(emulator.app).get(`/openid?${authorizeQuery({ client_id: 'c1', redirect_uri: CALLBACK })}`).expect(400)
  })

  it.each([
    ['no response_type', { response_type: undefined }],
    ['response_type token', { response_type: 'token' }],
    ['no scope', { scope: undefined }],
    ['a scope without openid', { scope: 'read.email' }],
    ['an unknown scope', { scope: 'openid profile' }],
    ['no nonce', { nonce: undefined }],
    ['code_challenge_method plain', { code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' }],
    ['a code_challenge without a method', { code_challenge: 'a'.repeat(43) }],
    ['a code_challenge too short', { code_challenge: 'abc', code_challenge_method: 'S256' }],
    ['a method without a code_challenge', { code_challenge_method: 'S256' }],
    ['a negative max_age', { max_age: '-1' }],
  ])('redirects with invalid_request and the state for %s', async (_name, overrides) => {
    const emulator = createEmulator({ autoLogin: aigerim.sub })
    const res = await request(emulator.app).get(`/openid?${authorizeQuery(overrides)}`).expect(302)
    const params = new URL(res.headers.location!).searchParams
    expect(params.get('error')).toBe('invalid_request')
    expect(params.get('error_description')).toBeTruthy()
    expect(params.get('state')).toBe('state-123')
    expect(params.get('code')).toBeNull()
  })

  it('redirects with invalid_request and no state when the state is missing', async () => {
    const emulator = createEmulator({ autoLogin: aigerim.sub })
    const res = await request(emulator.app).get(`/openid?${authorizeQuery({ state: undefined })}`).expect(302)
    const params = new URL(res.headers.location!).searchParams
    expect(params.get('error')).toBe('invalid_request')
    expect(params.has('state')).toBe(false)
  })

  it('treats a repeated parameter as invalid instead of failing', async () => {
    const emulator = createEmulator({ autoLogin: aigerim.sub })
    const res = await request(emulator.app).get(`/openid?${authorizeQuery()}&nonce=again`).expect(302)
    expect(new URL(res.headers.location!).searchParams.get('error')).toBe('invalid_request')
  })

  it('accepts a valid max_age and an S256 challenge', async () => {
    const emulator = createEmulator({ autoLogin: aigerim.sub })
    const res = await request(emulator.app)
      .get(`/openid?${authorizeQuery({ max_age: '0', code_challenge: 'A'.repeat(43), code_challenge_method: 'S256' })}`)
      .expect(302)
    expect(new URL(res.headers.location!).searchParams.get('code')).not.toBeNull()
  })
})
