import { describe, expect, it } from '@jest/globals'
import request from 'supertest'
import { createEmulator, DEFAULT_USERS, DEMO_CLIENT, type EmulatorOptions } from '../../src/emulator/index.js'
import { authorize, basic, CALLBACK, fakeClock, oauth2Link, oauth2Tokens } from './support.js'

const aigerim = DEFAULT_USERS[0]!
const EXPIRY = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000000Z$/
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

function setup(options: EmulatorOptions = {}) {
  return createEmulator({ autoLogin: aigerim.sub, issuer: 'http://127.0.0.1:4000', ...options })
}

function linkPath(link: URL): string {
  return `${link.pathname}${link.search}`
}

describe('POST /api/v1/oauth/authorize', () => {
  it('returns a sign-in link on the issuer with a track_id and an expire_at 10 minutes ahead', async () => {
    const clock = fakeClock()
    const emulator = setup({ now: clock.now })
    const link = await oauth2Link(emulator.app)
    expect(link.origin).toBe('http://127.0.0.1:4000')
    expect(link.pathname).toBe('/login')
    expect(link.searchParams.get('track_id')).toMatch(/^[0-9a-f-]{36}$/)
    expect(Number(link.searchParams.get('expire_at'))).toBe(Math.floor(clock.now() / 1000) + 600)
    expect(emulator.stats.authorize).toBe(1)
  })

  it.each([
    ['no grants', { redirect_uri: CALLBACK }, { grants: ['The Grants field is required.'] }],
    ['empty grants', { redirect_uri: CALLBACK, grants: [] }, { grants: ['The Grants field is required.'] }],
    ['grants that are not an array', { redirect_uri: CALLBACK, grants: 'read.email' }, { grants: ['The Grants must be an array.'] }],
    [
      'an unknown grant',
      { redirect_uri: CALLBACK, grants: ['read.email', 'openid', 'read.phone', 'write.all'] },
      { 'grants.3': ['The selected grants.3 is invalid.'] },
    ],
    ['a grant that is not a string', { redirect_uri: CALLBACK, grants: [{}] }, { 'grants.0': ['The selected grants.0 is invalid.'] }],
    ['no redirect_uri', { grants: ['read.email'] }, { redirect_uri: ['The Redirect uri field is required.'] }],
    ['a redirect_uri that is not a URL', { redirect_uri: 'example.com/cb', grants: ['read.email'] }, { redirect_uri: ['The Redirect uri must be a valid URL.'] }],
    ['a numeric redirect_uri', { redirect_uri: 42, grants: ['read.email'] }, { redirect_uri: ['The Redirect uri must be a string.'] }],
  ])('answers 422 with Freedom ID validation errors for %s', async (_name, body, errors) => {
    const emulator = setup()
    const res = await request(emulator.app).post('/api/v1/oauth/authorize').set('Authorization', basic()).send(body).expect(422)
    expect(res.body).toEqual({ error: { message: 'Error validating transmitted data.', errors } })
  })

  it.each([
    ['no credentials', undefined],
    ['a wrong secret', basic(DEMO_CLIENT.clientID, 'wrong')],
  ])('answers 401 with code 100401 for %s', async (_name, auth) => {
    const emulator = setup()
    const req = request(emulator.app).post('/api/v1/oauth/authorize')
    if (auth) req.set('Authorization', auth)
    const res = await req.send({ redirect_uri: CALLBACK, grants: ['read.email'] }).expect(401)
    expect(res.body.error.code).toBe(100401)
  })

  it('accepts any http(s) redirect_uri, or one registered apart from its query', async () => {
    const emulator = setup({
      clients: [
        { clientID: DEMO_CLIENT.clientID, clientSecret: DEMO_CLIENT.clientSecret },
        { clientID: 'c2', clientSecret: 's2', redirectURIs: ['https://app.example/cb'] },
      ],
    })
    await oauth2Link(emulator.app, 'https://anywhere.example/cb?state=abc')
    const send = (uri: string) =>
      request(emulator.app).post('/api/v1/oauth/authorize').set('Authorization', basic('c2', 's2')).send({ redirect_uri: uri, grants: ['read.email'] })
    await send('https://app.example/cb?state=xyz').expect(200)
    const res = await send('https://other.example/cb').expect(422)
    expect(res.body.error.errors.redirect_uri).toEqual(['The selected redirect uri is invalid.'])
  })
})

describe('GET /login', () => {
  it('redirects at once with authorization_code appended to the registered redirect_uri in automatic mode', async () => {
    const emulator = setup()
    const link = await oauth2Link(emulator.app, `${CALLBACK}?state=abc`)
    const res = await request(emulator.app).get(linkPath(link)).expect(302)
    const params = new URL(res.headers.location!).searchParams
    expect(params.get('state')).toBe('abc')
    expect(params.get('authorization_code')).toMatch(/^[A-Za-z0-9]{64}$/)
  })

  it('shows the consent page, then appends error_code=100102 when the user cancels', async () => {
    const emulator = setup({ autoLogin: false })
    const link = await oauth2Link(emulator.app, `${CALLBACK}?state=abc`)
    const page = await request(emulator.app).get(linkPath(link)).expect(200)
    expect(page.text).toContain('Continue as Aigerim Bekova')
    expect(page.text).toContain('action="/login/decide"')
    const transaction = /name="transaction" value="([^"]+)"/.exec(page.text)![1]
    const res = await request(emulator.app).post('/login/decide').type('form').send({ transaction, cancel: '1' }).expect(303)
    const params = new URL(res.headers.location!).searchParams
    expect(params.get('error_code')).toBe('100102')
    expect(params.get('state')).toBe('abc')
    expect(params.get('authorization_code')).toBeNull()
  })

  it('signs in the user picked on the page', async () => {
    const emulator = setup({ autoLogin: false })
    const link = await oauth2Link(emulator.app)
    const page = await request(emulator.app).get(linkPath(link)).expect(200)
    const transaction = /name="transaction" value="([^"]+)"/.exec(page.text)![1]
    await request(emulator.app).post('/openid/decide').type('form').send({ transaction, sub: aigerim.sub }).expect(400)
    const res = await request(emulator.app).post('/login/decide').type('form').send({ transaction, sub: aigerim.sub }).expect(303)
    expect(new URL(res.headers.location!).searchParams.get('authorization_code')).not.toBeNull()
  })

  it.each([
    ['an unknown track_id', (link: URL) => `/login?track_id=00000000-0000-4000-8000-000000000000&expire_at=${link.searchParams.get('expire_at')}`],
    ['no track_id', () => '/login'],
    ['a wrong expire_at', (link: URL) => `/login?track_id=${link.searchParams.get('track_id')}&expire_at=1`],
  ])('answers 400 with an HTML page for %s', async (_name, path) => {
    const emulator = setup()
    const link = await oauth2Link(emulator.app)
    const res = await request(emulator.app).get(path(link)).expect(400)
    expect(res.headers['content-type']).toMatch(/text\/html/)
  })

  it('refuses a link after its 10 minutes', async () => {
    const clock = fakeClock()
    const emulator = setup({ now: clock.now })
    const link = await oauth2Link(emulator.app)
    clock.advance(600_000)
    await request(emulator.app).get(linkPath(link)).expect(400)
  })

  it('answers 400 when the client was removed since the link was made', async () => {
    const emulator = setup({ autoLogin: false })
    const link = await oauth2Link(emulator.app)
    emulator.clients.length = 0
    await request(emulator.app).get(linkPath(link)).expect(400)
  })

  it('uses a link once', async () => {
    const emulator = setup()
    const link = await oauth2Link(emulator.app)
    await request(emulator.app).get(linkPath(link)).expect(302)
    await request(emulator.app).get(linkPath(link)).expect(400)
  })
})

describe('POST /api/v1/oauth/token', () => {
  it('exchanges the code for an id, opaque tokens and expiry times 7 and 28 days ahead', async () => {
    const clock = fakeClock(Date.UTC(2025, 1, 25, 6, 35, 50, 355))
    const emulator = setup({ now: clock.now })
    const body = await oauth2Tokens(emulator, undefined, { revoke_uri: 'https://app.example/revoke' })
    expect(Object.keys(body).sort()).toEqual(['access_expire_at', 'access_token', 'id', 'refresh_expire_at', 'refresh_token'])
    expect(body.id).toMatch(UUID_V7)
    expect(body.access_token).toMatch(/^[a-zA-Z0-9]{128}$/)
    expect(body.refresh_token).toMatch(/^[a-zA-Z0-9]{128}$/)
    expect(body.access_expire_at).toMatch(EXPIRY)
    expect(body.access_expire_at).toBe('2025-03-04T06:35:50.000000Z')
    expect(body.refresh_expire_at).toBe('2025-03-25T06:35:50.000000Z')
    expect(emulator.tokens()[0]).toMatchObject({ id: body.id, protocol: 'oauth2', revokeURI: 'https://app.example/revoke' })
  })

  it.each([
    ['an unknown code', { authorization_code: 'nope' }, 400, 100101],
    ['no code', {}, 422, 'validation'],
    ['a revoke_uri that is not a URL', { authorization_code: 'x', revoke_uri: 'nope' }, 422, 'validation'],
  ])('refuses %s', async (_name, body, status, code) => {
    const emulator = setup()
    const res = await request(emulator.app).post('/api/v1/oauth/token').set('Authorization', basic()).send(body).expect(status)
    if (code === 'validation') expect(res.body.error.message).toBe('Error validating transmitted data.')
    else expect(res.body.error.code).toBe(code)
  })

  it('refuses bad client credentials with 401', async () => {
    const emulator = setup()
    const res = await request(emulator.app).post('/api/v1/oauth/token').set('Authorization', basic('x', 'y')).send({ authorization_code: 'x' }).expect(401)
    expect(res.body.error.code).toBe(100401)
  })

  it('accepts a code once and revokes the tokens of a reused one', async () => {
    const emulator = setup()
    const link = await oauth2Link(emulator.app)
    const login = await request(emulator.app).get(linkPath(link)).expect(302)
    const code = new URL(login.headers.location!).searchParams.get('authorization_code')
    const send = () => request(emulator.app).post('/api/v1/oauth/token').set('Authorization', basic()).type('form').send({ authorization_code: code! })
    await send().expect(200)
    const again = await send().expect(400)
    expect(again.body).toEqual({ error: { message: 'Invalid authorization_code.', code: 100101 } })
    expect(emulator.tokens()[0]!.revoked).toBe(true)
  })

  it('refuses a code once its 60 seconds have passed', async () => {
    const clock = fakeClock()
    const emulator = setup({ now: clock.now })
    const link = await oauth2Link(emulator.app)
    const login = await request(emulator.app).get(linkPath(link)).expect(302)
    const code = new URL(login.headers.location!).searchParams.get('authorization_code')
    clock.advance(60_000)
    const res = await request(emulator.app).post('/api/v1/oauth/token').set('Authorization', basic()).send({ authorization_code: code }).expect(400)
    expect(res.body.error.code).toBe(100101)
  })

  it('refuses a code issued by the OIDC flow', async () => {
    const emulator = setup()
    const code = (await authorize(emulator.app)).get('code')
    const res = await request(emulator.app).post('/api/v1/oauth/token').set('Authorization', basic()).send({ authorization_code: code }).expect(400)
    expect(res.body.error.code).toBe(100101)
  })
})

describe('PATCH /api/v1/oauth/token', () => {
  it('rotates the pair under a new id, keeping the sub and revoke_uri, and refuses the old refresh token', async () => {
    const emulator = setup()
    const first = await oauth2Tokens(emulator, undefined, { revoke_uri: 'https://app.example/revoke' })
    const res = await request(emulator.app).patch('/api/v1/oauth/token').set('Authorization', `Bearer ${first.refresh_token}`).expect(200)
    expect(res.body.id).not.toBe(first.id)
    expect(res.body.access_token).not.toBe(first.access_token)
    expect(res.body.refresh_token).not.toBe(first.refresh_token)
    expect(res.body.access_expire_at).toMatch(EXPIRY)
    expect(emulator.tokens().find((t) => t.id === res.body.id)).toMatchObject({ sub: aigerim.sub, revokeURI: 'https://app.example/revoke', revoked: false })
    expect(emulator.tokens().find((t) => t.id === first.id)!.revoked).toBe(true)
    const again = await request(emulator.app).patch('/api/v1/oauth/token').set('Authorization', `Bearer ${first.refresh_token}`).expect(401)
    expect(again.body.error.code).toBe(100403)
    await request(emulator.app).get('/api/v1/oauth/user').set('Authorization', `Bearer ${res.body.access_token}`).expect(200)
  })

  it.each([
    ['no Authorization header', undefined],
    ['an unknown refresh token', 'Bearer nope'],
  ])('answers 401 with code 100403 for %s', async (_name, auth) => {
    const emulator = setup()
    const req = request(emulator.app).patch('/api/v1/oauth/token')
    if (auth) req.set('Authorization', auth)
    expect((await req.expect(401)).body.error.code).toBe(100403)
  })

  it('refuses an expired refresh token', async () => {
    const clock = fakeClock()
    const emulator = setup({ now: clock.now, refreshTokenTTL: 100 })
    const first = await oauth2Tokens(emulator)
    clock.advance(100_000)
    const res = await request(emulator.app).patch('/api/v1/oauth/token').set('Authorization', `Bearer ${first.refresh_token}`).expect(401)
    expect(res.body.error.code).toBe(100403)
  })
})

describe('GET /api/v1/oauth/user', () => {
  it('returns the id and the granted fields', async () => {
    const emulator = setup()
    const tokens = await oauth2Tokens(emulator, ['read.firstname', 'read.lastname', 'read.cards', 'read.gender'])
    const res = await request(emulator.app).get('/api/v1/oauth/user').set('Authorization', `Bearer ${tokens.access_token}`).expect(200)
    expect(res.body).toEqual({ id: aigerim.sub, firstname: 'Aigerim', lastname: 'Bekova', cards: aigerim.cards, gender: 'F' })
    expect(emulator.stats.userinfo).toBe(1)
  })

  it('answers 401 with code 100402 for an unknown token', async () => {
    const emulator = setup()
    const res = await request(emulator.app).get('/api/v1/oauth/user').set('Authorization', 'Bearer nope').expect(401)
    expect(res.body.error.code).toBe(100402)
  })
})
